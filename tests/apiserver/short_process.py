"""A short process for test_publish: one create through the API server, then exit at once.

Its watchers' receiver (in the publisher thread) writes the keys it was told of to
the file named on the command line; the process does not flush before exiting.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from cluster.apiserver import ApiServer, publish  # noqa: E402
from cluster.models import Sandbox  # noqa: E402

told = Path(sys.argv[3])


def receiver(sender, *, events, **kwargs) -> None:
    with told.open("a") as out:
        out.writelines(f"{event['key']}\n" for event in events)


publish.store_committed.connect(receiver, weak=False)
sandbox = Sandbox.objects.get(pk=int(sys.argv[1]))
user = get_user_model().objects.get(username=sys.argv[2])
ApiServer.as_user(sandbox, user).create(
    "pods",
    {"metadata": {"name": "brief"}, "spec": {"containers": [{"name": "app", "image": "nginx"}]}},
    namespace="default",
)
