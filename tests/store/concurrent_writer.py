"""A separate OS process that writes to one sandbox's store; used by test_concurrency."""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
django.setup()

from cluster.store import Store  # noqa: E402

sandbox_id, label, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
store = Store(sandbox_id)
revisions = []
for i in range(count):
    key = f"/registry/pods/default/{label}-{i}"
    result = store.put(key, {"metadata": {"name": f"{label}-{i}"}, "spec": {}, "status": {}})
    revisions.append(result.revision)
    store.put(
        key, {"metadata": {"name": f"{label}-{i}"}, "spec": {}, "status": {"phase": "Running"}}
    )
print(json.dumps(revisions))
