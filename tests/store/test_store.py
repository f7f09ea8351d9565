"""The etcd-like store: revisions, compare-and-swap, transactions, range, watch log, limits."""

from __future__ import annotations

import pytest

from cluster.models.store import StoreEvent, StoreKey
from cluster.store import (
    MAX_VALUE_BYTES,
    ColumnMatch,
    CompareFailed,
    Delete,
    KeyMissing,
    Put,
    Required,
    RequiredKeyMissing,
    Store,
    TooOld,
    ValueTooLarge,
)

pytestmark = pytest.mark.django_db


def pod(name: str, node: str = "", phase: str = "Pending") -> dict:
    spec = {"nodeName": node} if node else {}
    return {"metadata": {"name": name}, "spec": spec, "status": {"phase": phase}}


def test_each_write_gets_the_next_revision(bare_sandbox):
    store = Store(bare_sandbox.pk)
    revisions = [store.put(f"/registry/pods/default/p{i}", pod(f"p{i}")).revision for i in range(5)]
    assert revisions == [1, 2, 3, 4, 5]
    assert store.revision() == 5


def test_key_keeps_create_and_mod_revision_and_version(bare_sandbox):
    store = Store(bare_sandbox.pk)
    store.put("/registry/pods/default/web", pod("web"))
    store.put("/registry/pods/default/other", pod("other"))
    store.put("/registry/pods/default/web", pod("web", phase="Running"))
    kv = store.get("/registry/pods/default/web")
    assert (kv.create_revision, kv.mod_revision, kv.version) == (1, 3, 2)
    assert kv.value["status"]["phase"] == "Running"


def test_keyspaces_of_two_sandboxes_are_separate(bare_sandbox, alice):
    from cluster.models import Sandbox

    other = Sandbox.objects.create(owner=alice, name="other")
    Store(bare_sandbox.pk).put("/registry/pods/default/web", pod("web"))
    assert Store(other.pk).get("/registry/pods/default/web") is None
    assert Store(other.pk).put("/registry/pods/default/web", pod("web")).revision == 1


def test_stale_compare_and_swap_fails_and_changes_nothing(bare_sandbox):
    store = Store(bare_sandbox.pk)
    first = store.put("/registry/pods/default/web", pod("web")).revision
    store.put("/registry/pods/default/web", pod("web", phase="Running"))
    with pytest.raises(CompareFailed) as failure:
        store.put(
            "/registry/pods/default/web", pod("web", phase="Failed"), expect_mod_revision=first
        )
    assert failure.value.actual.mod_revision == 2
    assert store.get("/registry/pods/default/web").value["status"]["phase"] == "Running"
    assert store.revision() == 2, "a failed compare must not use up a revision"
    assert StoreEvent.objects.filter(sandbox=bare_sandbox).count() == 2


def test_create_only_put_fails_when_the_key_exists(bare_sandbox):
    store = Store(bare_sandbox.pk)
    store.put("/registry/pods/default/web", pod("web"), expect_mod_revision=0)
    with pytest.raises(CompareFailed):
        store.put("/registry/pods/default/web", pod("web"), expect_mod_revision=0)


def test_transaction_writes_all_at_one_revision_or_nothing(bare_sandbox):
    store = Store(bare_sandbox.pk)
    store.put("/registry/pods/default/a", pod("a"))
    result = store.txn(
        [Put("/registry/pods/default/b", pod("b")), Delete("/registry/pods/default/a")]
    )
    assert result.revision == 2
    assert [(e.type, e.key, e.revision) for e in result.events] == [
        ("PUT", "/registry/pods/default/b", 2),
        ("DELETE", "/registry/pods/default/a", 2),
    ]
    with pytest.raises(CompareFailed):
        store.txn(
            [
                Put("/registry/pods/default/c", pod("c")),
                Put("/registry/pods/default/b", pod("b"), 1),
            ]
        )
    assert store.get("/registry/pods/default/c") is None
    assert store.revision() == 2


def test_delete_of_a_missing_key_fails(bare_sandbox):
    with pytest.raises(KeyMissing):
        Store(bare_sandbox.pk).delete("/registry/pods/default/ghost")


def test_range_pages_through_a_prefix_in_key_order(bare_sandbox):
    store = Store(bare_sandbox.pk)
    for name in ["c", "a", "b", "d"]:
        store.put(f"/registry/pods/default/{name}", pod(name))
    store.put("/registry/pods/other/z", pod("z"))
    first = store.range("/registry/pods/default/", limit=3)
    assert [kv.key.rsplit("/", 1)[1] for kv in first.items] == ["a", "b", "c"]
    assert first.more and first.revision == 5
    rest = store.range("/registry/pods/default/", limit=3, start_after=first.items[-1].key)
    assert [kv.key.rsplit("/", 1)[1] for kv in rest.items] == ["d"]
    assert not rest.more


def test_typed_columns_follow_the_stored_object(bare_sandbox):
    store = Store(bare_sandbox.pk)
    store.put("/registry/pods/default/a", pod("a"))
    store.put("/registry/pods/default/b", pod("b", node="node-1", phase="Running"))
    on_node = store.range("/registry/pods/", where=[ColumnMatch("node_name", "node-1")])
    unscheduled = store.range("/registry/pods/", where=[ColumnMatch("node_name", "")])
    assert [kv.value["metadata"]["name"] for kv in on_node.items] == ["b"]
    assert [kv.value["metadata"]["name"] for kv in unscheduled.items] == ["a"]
    row = StoreKey.objects.get(sandbox=bare_sandbox, key="/registry/pods/default/b")
    assert (row.node_name, row.phase) == ("node-1", "Running")


def test_watch_from_revision_n_returns_exactly_the_events_after_n(bare_sandbox):
    store = Store(bare_sandbox.pk)
    for i in range(1, 6):
        store.put(f"/registry/pods/default/p{i}", pod(f"p{i}"))
    store.delete("/registry/pods/default/p1")
    events = store.events_since(3)
    assert [(e.revision, e.type, e.key) for e in events] == [
        (4, "PUT", "/registry/pods/default/p4"),
        (5, "PUT", "/registry/pods/default/p5"),
        (6, "DELETE", "/registry/pods/default/p1"),
    ]
    assert events[-1].prev_value == pod("p1")
    assert store.events_since(6) == []


def test_update_event_carries_the_previous_value(bare_sandbox):
    store = Store(bare_sandbox.pk)
    store.put("/registry/pods/default/web", pod("web"))
    store.put("/registry/pods/default/web", pod("web", phase="Running"))
    (event,) = store.events_since(1)
    assert event.prev_value["status"]["phase"] == "Pending"
    assert event.value["status"]["phase"] == "Running"


def test_after_compaction_an_old_revision_is_too_old(bare_sandbox):
    store = Store(bare_sandbox.pk)
    for i in range(10):
        store.put(f"/registry/pods/default/p{i}", pod(f"p{i}"))
    store.compact(6)
    with pytest.raises(TooOld) as failure:
        store.events_since(5)
    assert (failure.value.requested, failure.value.compacted) == (5, 6)
    assert [e.revision for e in store.events_since(6)] == [7, 8, 9, 10]


def test_history_is_bounded_by_automatic_compaction(bare_sandbox, settings):
    settings.PODLAB_STORE_HISTORY = 20
    store = Store(bare_sandbox.pk)
    for i in range(60):
        store.put("/registry/pods/default/web", pod("web", phase=str(i)))
    kept = StoreEvent.objects.filter(sandbox=bare_sandbox).count()
    assert 20 <= kept <= 22
    assert store.compacted_revision() >= 60 - 22
    with pytest.raises(TooOld):
        store.events_since(1)


def test_an_oversized_value_is_refused_and_nothing_is_written(bare_sandbox):
    store = Store(bare_sandbox.pk)
    huge = pod("huge")
    huge["metadata"]["annotations"] = {"blob": "x" * MAX_VALUE_BYTES}
    with pytest.raises(ValueTooLarge):
        store.put("/registry/pods/default/huge", huge)
    assert store.get("/registry/pods/default/huge") is None
    assert store.revision() == 0
    assert not StoreEvent.objects.filter(sandbox=bare_sandbox).exists()


def test_a_write_that_requires_a_missing_key_writes_nothing(bare_sandbox):
    store = Store(bare_sandbox.pk)
    store.put("/registry/namespaces/default", {"metadata": {"name": "default"}})
    with pytest.raises(RequiredKeyMissing) as failure:
        store.put(
            "/registry/pods/nowhere/web",
            pod("web"),
            expect_mod_revision=0,
            requires=("/registry/namespaces/default", "/registry/namespaces/nowhere"),
        )
    assert failure.value.key == "/registry/namespaces/nowhere"
    assert store.get("/registry/pods/nowhere/web") is None
    assert store.revision() == 1, "a failed requirement must not use up a revision"
    written = store.put(
        "/registry/pods/default/web",
        pod("web"),
        expect_mod_revision=0,
        requires=("/registry/namespaces/default",),
    )
    assert written.revision == 2


@pytest.mark.parametrize("several_keys", [False, True], ids=["one key", "a transaction"])
def test_a_requirement_pinned_to_a_revision_fails_once_the_key_moves_on(bare_sandbox, several_keys):
    store = Store(bare_sandbox.pk)
    namespace = "/registry/namespaces/lab"
    admitted = store.put(namespace, {"metadata": {"name": "lab"}}).revision
    store.put(namespace, {"metadata": {"name": "lab"}, "status": {"phase": "Terminating"}})
    ops = [Put("/registry/pods/lab/web", pod("web"), expect_mod_revision=0)]
    if several_keys:
        ops.append(Put("/registry/pods/lab/db", pod("db"), expect_mod_revision=0))
    with pytest.raises(CompareFailed) as failure:
        store.txn(ops, requires=(Required(namespace, admitted),))
    assert (failure.value.key, failure.value.expected) == (namespace, admitted)
    assert store.get("/registry/pods/lab/web") is None
    assert store.revision() == 2, "a failed requirement must not use up a revision"
    written = store.txn(ops, requires=(Required(namespace, 2),))
    assert written.revision == 3


def test_a_transaction_of_several_keys_checks_its_requirements(bare_sandbox):
    store = Store(bare_sandbox.pk)
    with pytest.raises(RequiredKeyMissing):
        store.txn(
            [Put("/registry/pods/default/a", pod("a")), Put("/registry/pods/default/b", pod("b"))],
            requires=("/registry/namespaces/default",),
        )
    assert store.range("/registry/").items == [] and store.revision() == 0


def test_a_stale_delete_fails_and_keeps_the_key(bare_sandbox):
    store = Store(bare_sandbox.pk)
    first = store.put("/registry/pods/default/web", pod("web")).revision
    store.put("/registry/pods/default/web", pod("web", phase="Running"))
    with pytest.raises(CompareFailed) as failure:
        store.delete("/registry/pods/default/web", expect_mod_revision=first)
    assert failure.value.actual.mod_revision == 2
    assert store.revision() == 2
    deleted = store.delete("/registry/pods/default/web", expect_mod_revision=2)
    (event,) = deleted.events
    assert (event.type, event.revision, event.prev_value["status"]["phase"]) == (
        "DELETE",
        3,
        "Running",
    )
    assert store.get("/registry/pods/default/web") is None


def test_a_compare_and_swap_update_logs_the_value_it_replaced(bare_sandbox):
    store = Store(bare_sandbox.pk)
    created = store.put("/registry/pods/default/web", pod("web"), expect_mod_revision=0)
    updated = store.put(
        "/registry/pods/default/web",
        pod("web", phase="Running"),
        expect_mod_revision=created.revision,
    )
    kv = updated.kvs["/registry/pods/default/web"]
    assert (kv.create_revision, kv.mod_revision, kv.version) == (1, 2, 2)
    (event,) = store.events_since(1)
    assert event.prev_value == pod("web") and event.value == pod("web", phase="Running")
    stored = StoreKey.objects.get(sandbox=bare_sandbox, key="/registry/pods/default/web")
    assert (stored.phase, stored.version) == ("Running", 2)


def test_range_filters_treat_an_absent_column_as_empty(bare_sandbox):
    store = Store(bare_sandbox.pk)
    store.put("/registry/pods/default/a", pod("a"))
    store.put("/registry/pods/default/b", pod("b", node="node-1", phase="Running"))
    store.put("/registry/pods/default/c", pod("c", node="node-2", phase="Running"))

    def names(*where: ColumnMatch) -> list[str]:
        return [
            kv.value["metadata"]["name"] for kv in store.range("/registry/pods/", where=where).items
        ]

    assert names(ColumnMatch("node_name", "node-1", negate=True)) == ["a", "c"]
    assert names(ColumnMatch("node_name", "", negate=True)) == ["b", "c"]
    assert names(ColumnMatch("phase", "Running"), ColumnMatch("node_name", "node-2")) == ["c"]


def test_an_empty_range_still_answers_the_revision(bare_sandbox):
    store = Store(bare_sandbox.pk)
    assert (store.range("/registry/pods/").items, store.range("/registry/pods/").revision) == (
        [],
        0,
    )
    store.put("/registry/nodes/node-1", {"metadata": {"name": "node-1"}})
    empty = store.range("/registry/pods/", limit=10)
    assert (empty.items, empty.revision, empty.more) == ([], 1, False)


def test_a_prefix_matches_literally(bare_sandbox):
    """LIKE's wildcards in a prefix are plain characters: "pod_" is not "pods"."""
    store = Store(bare_sandbox.pk)
    store.put("/registry/pods/default/a", pod("a"))
    assert store.range("/registry/pod_/").items == []
    assert store.range("/registry/pod%").items == []
    assert [kv.key for kv in store.range("/registry/pods").items] == ["/registry/pods/default/a"]
