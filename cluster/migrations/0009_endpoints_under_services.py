"""Endpoints move to upstream's key, /registry/services/endpoints/<ns>/<name>, from
/registry/endpoints/...: rename stored keys and their history in place."""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Substr

OLD, NEW = "/registry/endpoints/", "/registry/services/endpoints/"


def rename(apps, schema_editor, old: str = OLD, new: str = NEW) -> None:
    moved_key = Concat(Value(new), Substr("key", len(old) + 1))
    for table in ("StoreKey", "StoreEvent"):
        model = apps.get_model("cluster", table)
        rows = model.objects.filter(key__startswith=old)
        if table == "StoreKey":
            rows.update(key=moved_key, resource=new.strip("/").removeprefix("registry/"))
        else:
            rows.update(key=moved_key)


def rename_back(apps, schema_editor) -> None:
    rename(apps, schema_editor, old=NEW, new=OLD)


class Migration(migrations.Migration):
    dependencies = [("cluster", "0008_trace_command")]

    operations = [migrations.RunPython(rename, rename_back)]
