"""ConfigMap validation, as upstream's ValidateConfigMap words it."""

from __future__ import annotations

from cluster.resources.configmaps import validate


def config_map(**fields) -> dict:
    return {"metadata": {"name": "app", "namespace": "default"}, **fields}


def messages(obj: dict, old: dict | None = None) -> list[str]:
    return [error.message for error in validate(obj, old)]


def test_keys_are_config_keys_and_not_in_both_maps():
    assert messages(config_map(data={"mode": "fast", "app.conf": "x"})) == []
    [bad_key] = messages(config_map(data={"a b": "x"}))
    assert bad_key.startswith('data: Invalid value: "a b": a valid config key must consist of')
    assert messages(config_map(data={"..x": "y"})) == [
        "data: Invalid value: \"..x\": must not start with '..'"
    ]
    assert messages(config_map(data={"k": "x"}, binaryData={"k": "eA=="})) == [
        'data: Invalid value: "k": duplicate of key present in binaryData'
    ]


def test_an_immutable_config_map_keeps_its_data():
    old = config_map(data={"mode": "fast"}, immutable=True)
    assert messages(config_map(data={"mode": "fast"}, immutable=True), old) == []
    assert messages(config_map(data={"mode": "slow"}, immutable=True), old) == [
        "data: Forbidden: field is immutable when `immutable` is set"
    ]
