"""Nodes and Endpoints move to upstream's etcd keys: /registry/minions/<name> (from
/registry/nodes/) and /registry/services/endpoints/<ns>/<name> (from /registry/endpoints/).
Stored keys and their history are renamed in place."""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Substr

# (old prefix, new prefix, new resource column)
MOVES = [
    ("/registry/nodes/", "/registry/minions/"),
    ("/registry/endpoints/", "/registry/services/endpoints/"),
]


def _move(apps, old: str, new: str) -> None:
    moved_key = Concat(Value(new), Substr("key", len(old) + 1))
    resource = new.removeprefix("/registry/").strip("/")
    apps.get_model("cluster", "StoreKey").objects.filter(key__startswith=old).update(
        key=moved_key, resource=resource
    )
    apps.get_model("cluster", "StoreEvent").objects.filter(key__startswith=old).update(
        key=moved_key
    )


def forwards(apps, schema_editor) -> None:
    for old, new in MOVES:
        _move(apps, old, new)


def backwards(apps, schema_editor) -> None:
    for old, new in MOVES:
        _move(apps, new, old)


class Migration(migrations.Migration):
    dependencies = [("cluster", "0008_trace_command")]

    operations = [migrations.RunPython(forwards, backwards)]
