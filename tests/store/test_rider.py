"""A rider (the API server's trace) commits with its write, and only with it.

On PostgreSQL a single-key write carries its rider inside its one statement;
a transaction of several keys (and every write on SQLite) runs it after the
writes. Both must give the same row.
"""

from __future__ import annotations

import pytest
from django.db import connection

from cluster.apiserver.tracing import REVISION, Request, WriteTrace
from cluster.models import Trace
from cluster.resources import RESOURCES
from cluster.store import CompareFailed, Delete, Put, RequiredKeyMissing, Store

pytestmark = pytest.mark.django_db


def pod(name: str) -> dict:
    return {"metadata": {"name": name}, "spec": {}, "status": {"phase": "Pending"}}


def trace_of(sandbox, name: str) -> WriteTrace:
    return WriteTrace(
        sandbox=sandbox,
        request=Request("create", RESOURCES["pods"], "default", name, actor="tester"),
        code=201,
        narration=f"tester stored {name} at revision {REVISION}",
        stages=[{"stage": "etcd", "ok": True, "detail": f"stored at revision {REVISION}"}],
    )


def test_a_single_key_write_writes_its_rider_with_the_revision_filled_in(bare_sandbox):
    store = Store(bare_sandbox.pk)
    store.put("/registry/namespaces/default", {"metadata": {"name": "default"}})
    draft = trace_of(bare_sandbox, "web")
    result = store.put(
        "/registry/pods/default/web",
        pod("web"),
        expect_mod_revision=0,
        requires=("/registry/namespaces/default",),
        rider=draft.rider(),
    )
    recorded = draft.recorded(result)
    row = Trace.objects.get(pk=recorded.id)
    assert result.revision == 2
    assert (row.revision, row.narration) == (2, "tester stored web at revision 2")
    assert row.stages == [{"stage": "etcd", "ok": True, "detail": "stored at revision 2"}]
    assert row.as_message() == recorded.message
    assert row.duration_ms > 0


@pytest.mark.parametrize(
    ("key", "expected", "requires", "refusal"),
    [
        ("/registry/pods/default/web", 0, (), CompareFailed),  # it exists
        ("/registry/pods/default/web", 1, (), CompareFailed),  # it is at revision 2
        ("/registry/pods/nowhere/web", 0, ("/registry/namespaces/nowhere",), RequiredKeyMissing),
    ],
)
def test_a_write_that_fails_its_compare_writes_no_rider(
    bare_sandbox, key, expected, requires, refusal
):
    store = Store(bare_sandbox.pk)
    store.put("/registry/namespaces/default", {"metadata": {"name": "default"}})
    store.put("/registry/pods/default/web", pod("web"))
    with pytest.raises(refusal):
        store.put(
            key,
            pod("web"),
            expect_mod_revision=expected,
            requires=requires,
            rider=trace_of(bare_sandbox, "web").rider(),
        )
    assert not Trace.objects.filter(sandbox=bare_sandbox).exists()
    assert store.revision() == 2, "a failed write uses up no revision"


def test_a_transaction_of_several_keys_runs_its_rider_after_the_writes(bare_sandbox):
    store = Store(bare_sandbox.pk)
    store.put("/registry/pods/default/a", pod("a"))
    draft = trace_of(bare_sandbox, "a")
    result = store.txn(
        [Delete("/registry/pods/default/a"), Put("/registry/pods/default/b", pod("b"))],
        rider=draft.rider(),
    )
    row = Trace.objects.get(pk=draft.recorded(result).id)
    assert (row.revision, row.narration) == (2, "tester stored a at revision 2")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's one-statement write")
def test_a_single_key_write_and_its_rider_are_one_statement(
    bare_sandbox, django_assert_num_queries
):
    store = Store(bare_sandbox.pk)
    store.put("/registry/pods/default/web", pod("web"))  # the keyspace's counter now exists
    with django_assert_num_queries(1) as queries:
        store.put(
            "/registry/pods/default/web",
            pod("web"),
            expect_mod_revision=1,
            rider=trace_of(bare_sandbox, "web").rider(),
        )
    assert "INSERT INTO cluster_trace" in queries.captured_queries[0]["sql"]
