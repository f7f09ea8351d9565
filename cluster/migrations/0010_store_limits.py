"""The store's limits: counters on each keyspace's revision row (the keys a quota counts,
the watch log's size) and each watch-log entry's size, filled in for what is stored."""

from django.db import migrations, models

# Events are not counted against a sandbox's object quota (cluster.store.Store).
FILL_EVENT_BYTES = {
    "postgresql": (
        "UPDATE cluster_storeevent SET bytes ="
        " COALESCE(LENGTH(value::text), 0) + COALESCE(LENGTH(prev_value::text), 0)"
    ),
    "sqlite": (
        "UPDATE cluster_storeevent SET bytes ="
        " COALESCE(LENGTH(value), 0) + COALESCE(LENGTH(prev_value), 0)"
    ),
}
FILL_COUNTERS = (
    "UPDATE cluster_storerevision SET"
    " object_count = (SELECT COUNT(*) FROM cluster_storekey AS k"
    "   WHERE k.sandbox_id = cluster_storerevision.sandbox_id"
    "   AND k.key NOT LIKE '/registry/events/%%'),"
    " history_bytes = (SELECT COALESCE(SUM(e.bytes), 0) FROM cluster_storeevent AS e"
    "   WHERE e.sandbox_id = cluster_storerevision.sandbox_id)"
)


def fill(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FILL_EVENT_BYTES.get(vendor, FILL_EVENT_BYTES["sqlite"]))
        cursor.execute(FILL_COUNTERS.replace("%%", "%"))


class Migration(migrations.Migration):
    dependencies = [("cluster", "0009_upstream_store_keys")]

    operations = [
        migrations.AddField(
            model_name="storerevision",
            name="object_count",
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name="storerevision",
            name="history_bytes",
            field=models.BigIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name="storeevent",
            name="bytes",
            field=models.BigIntegerField(
                db_default=0,
                default=0,
                help_text="the JSON text of value and prev_value, in characters",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
