"""A separate OS process that writes to one sandbox's store; used by test_concurrency.

Each round creates a key of its own and updates it, then adds one to a counter
both processes share, by compare-and-swap, reading again after every lost race.
Prints the revisions of its creates and how many races it lost.
"""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
django.setup()

from cluster.store import CompareFailed, Store  # noqa: E402

SHARED = "/registry/configmaps/default/counter"

sandbox_id, label, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
store = Store(sandbox_id)
revisions = []
lost_races = 0
for i in range(count):
    key = f"/registry/pods/default/{label}-{i}"
    result = store.put(key, {"metadata": {"name": f"{label}-{i}"}, "spec": {}, "status": {}})
    revisions.append(result.revision)
    store.put(
        key, {"metadata": {"name": f"{label}-{i}"}, "spec": {}, "status": {"phase": "Running"}}
    )
    while True:
        current = store.get(SHARED)
        try:
            store.put(
                SHARED,
                {"metadata": {"name": "counter"}, "data": {"n": current.value["data"]["n"] + 1}},
                expect_mod_revision=current.mod_revision,
            )
            break
        except CompareFailed:
            lost_races += 1
print(json.dumps({"revisions": revisions, "lost_races": lost_races}))
