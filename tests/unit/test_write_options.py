"""A write's options (cluster/apiserver/options.py), checked as upstream's
ValidateCreateOptions, ValidatePatchOptions and ValidateDeleteOptions."""

from __future__ import annotations

import copy

from cluster.apiserver import strategy
from cluster.apiserver.errors import invalid_options
from cluster.apiserver.options import APPLY, CREATE, DELETE, PATCH, WriteOptions, problems
from cluster.resources import RESOURCES


def messages(kind: str, options: WriteOptions, patch_type: str = "") -> list[str]:
    return [p.message for p in problems(kind, options, patch_type=patch_type)]


def test_apply_needs_a_field_manager_and_only_apply_may_force():
    assert messages(PATCH, WriteOptions(), APPLY) == [
        "fieldManager: Required value: is required for apply patch"
    ]
    assert messages(PATCH, WriteOptions(field_manager="me", force=True), APPLY) == []
    assert messages(PATCH, WriteOptions(force=False), "merge") == [
        "force: Forbidden: may not be specified for non-apply patch"
    ]


def test_a_field_manager_is_short_and_printable():
    assert messages(CREATE, WriteOptions(field_manager="x" * 129)) == [
        "fieldManager: Too long: must have at most 128 bytes"
    ]
    assert messages(CREATE, WriteOptions(field_manager="a\tb")) == [
        'fieldManager: Invalid value: "a\\tb": invalid character U+0009 (at position 1)'
    ]


def test_dry_run_takes_only_all_and_is_worded_as_upstream():
    assert messages(DELETE, WriteOptions(dry_run=("All",))) == []
    found = problems(CREATE, WriteOptions(dry_run=("All", "x")))
    error = invalid_options(CREATE, found)
    assert (error.code, error.message) == (
        422,
        'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value:'
        ' []string{"All", "x"}: supported values: "All"',
    )
    assert error.details["kind"] == CREATE and error.details["group"] == "meta.k8s.io"


def test_an_update_that_sends_no_managed_fields_keeps_them_and_an_empty_entry_clears_them():
    pods = RESOURCES["pods"]
    owned = [{"manager": "kubectl", "operation": "Apply", "fieldsType": "FieldsV1"}]
    old = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default", "managedFields": owned},
        "spec": {"containers": [{"name": "web", "image": "nginx"}]},
    }
    sent = copy.deepcopy(old)
    del sent["metadata"]["managedFields"]
    kept, _ = strategy.prepare_update(pods, "", sent, old)
    assert kept["metadata"]["managedFields"] == owned
    cleared = copy.deepcopy(old)
    cleared["metadata"]["managedFields"] = [{}]
    new, _ = strategy.prepare_update(pods, "", cleared, old)
    assert "managedFields" not in new["metadata"]
