"""The store's limits: its watch log bounded in bytes as well as in count, and a quota of
keys kept by the writes themselves. On PostgreSQL (one statement per write) and SQLite."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from cluster.models.store import StoreEvent, StoreRevision
from cluster.store import Delete, Put, QuotaExceeded, Store, TooOld

pytestmark = pytest.mark.django_db

KEY = "/registry/configmaps/default/big"


def blob(size: int, n: int) -> dict:
    return {"metadata": {"name": "big"}, "data": {"blob": "x" * size, "n": n}}


def log_bytes(sandbox) -> tuple[int, int]:
    """(the counter on the revision row, the watch log's entries added up)."""
    counted = StoreRevision.objects.get(sandbox=sandbox).history_bytes
    summed = StoreEvent.objects.filter(sandbox=sandbox).aggregate(total=Sum("bytes"))["total"]
    return counted, summed or 0


def test_the_watch_log_is_bounded_in_bytes_oldest_first(bare_sandbox, settings):
    """Ten-kilobyte values rewritten 40 times make 800 kB of log (each entry holds the
    value and the one it replaced); the log keeps at most 100 kB, the newest revisions."""
    settings.PODLAB_STORE_HISTORY_BYTES = 100_000
    store = Store(bare_sandbox.pk)
    for n in range(40):
        last = store.put(KEY, blob(10_000, n))
    counted, summed = log_bytes(bare_sandbox)
    assert counted == summed <= 100_000
    assert store.events_since(last.revision - 1)[-1].value["data"]["n"] == 39
    with pytest.raises(TooOld):
        store.events_since(1)
    assert store.compacted_revision() > 1


def test_the_log_keeps_its_count_bound_and_its_byte_counter_through_compaction(
    bare_sandbox, settings
):
    settings.PODLAB_STORE_HISTORY = 5
    store = Store(bare_sandbox.pk)
    for n in range(20):
        store.put(f"/registry/configmaps/default/c{n % 3}", blob(100, n))
    store.delete("/registry/configmaps/default/c0")
    store.txn(
        [
            Put("/registry/configmaps/default/c1", blob(50, 99)),
            Delete("/registry/configmaps/default/c2"),
        ]
    )
    counted, summed = log_bytes(bare_sandbox)
    assert counted == summed > 0
    assert store.revision() - store.compacted_revision() <= 5 + 1  # a tenth more, at most


def test_a_create_past_the_quota_writes_nothing_and_events_are_not_counted(bare_sandbox):
    store = Store(bare_sandbox.pk, max_objects=2, uncounted_prefixes=("/registry/events/",))
    store.put("/registry/pods/default/a", {"n": 1}, expect_mod_revision=0)
    store.put("/registry/pods/default/b", {"n": 2}, expect_mod_revision=0)
    revision = store.revision()
    with pytest.raises(QuotaExceeded) as refused:
        store.put("/registry/pods/default/c", {"n": 3}, expect_mod_revision=0)
    assert (refused.value.used, refused.value.limit) == (2, 2)
    with pytest.raises(QuotaExceeded):  # the portable path (several keys at once) too
        store.txn(
            [Put("/registry/pods/default/c", {"n": 3}, expect_mod_revision=0)] * 1
            + [Put("/registry/pods/default/d", {"n": 4}, expect_mod_revision=0)]
        )
    assert store.revision() == revision and store.get("/registry/pods/default/c") is None
    store.put("/registry/events/default/a.1", {"n": 5}, expect_mod_revision=0)
    store.put("/registry/pods/default/a", {"n": 6}, expect_mod_revision=1)  # an update fits
    store.delete("/registry/pods/default/b")
    store.put("/registry/pods/default/c", {"n": 7}, expect_mod_revision=0)
    assert StoreRevision.objects.get(sandbox=bare_sandbox).object_count == 2
