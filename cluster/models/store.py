"""The etcd-like store's tables. Read and written only through cluster.store."""

from django.db import models
from django.db.models.fields.json import KT

from cluster.models.fields import FastJSONField
from cluster.models.tenancy import Sandbox


class StoreRevision(models.Model):
    """The sandbox's revision counter, bumped inside each write transaction."""

    sandbox = models.OneToOneField(
        Sandbox, on_delete=models.CASCADE, primary_key=True, related_name="store_revision"
    )
    revision = models.BigIntegerField(default=0)
    compacted_revision = models.BigIntegerField(default=0)
    # Kept by the writes themselves, in the statement that bumps the revision, so the
    # store's limits cost no count at each write: the keys a quota counts, and the
    # size of the watch log (each entry's `bytes`).
    object_count = models.BigIntegerField(default=0, db_default=0)
    history_bytes = models.BigIntegerField(default=0, db_default=0)


class StoreKey(models.Model):
    """One live key and its value, like an etcd mvccpb.KeyValue."""

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="store_keys")
    key = models.CharField(max_length=600)
    resource = models.CharField(max_length=63)
    namespace = models.CharField(max_length=63, blank=True)
    name = models.CharField(max_length=253)
    value = FastJSONField()
    create_revision = models.BigIntegerField()
    mod_revision = models.BigIntegerField()
    version = models.BigIntegerField()
    # Computed by the database from the value itself, so typed queries (pods by
    # node and phase) can never disagree with the stored object.
    node_name = models.GeneratedField(
        expression=KT("value__spec__nodeName"),
        output_field=models.CharField(max_length=253),
        db_persist=True,
    )
    phase = models.GeneratedField(
        expression=KT("value__status__phase"),
        output_field=models.CharField(max_length=32),
        db_persist=True,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sandbox", "key"], name="store_key_unique_per_sandbox")
        ]
        indexes = [
            models.Index(fields=["sandbox", "resource", "namespace", "name"]),
            models.Index(fields=["sandbox", "resource", "node_name"]),
        ]
        verbose_name = "store key"

    def __str__(self) -> str:
        return self.key


class StoreEvent(models.Model):
    """The watch log: one entry per key changed, at the revision that changed it."""

    class Type(models.TextChoices):
        PUT = "PUT"
        DELETE = "DELETE"

    sandbox = models.ForeignKey(Sandbox, on_delete=models.CASCADE, related_name="store_events")
    revision = models.BigIntegerField()
    type = models.CharField(max_length=6, choices=Type.choices)
    key = models.CharField(max_length=600)
    value = FastJSONField(null=True)
    prev_value = FastJSONField(null=True)
    bytes = models.BigIntegerField(
        default=0, db_default=0, help_text="the JSON text of value and prev_value, in characters"
    )

    class Meta:
        indexes = [models.Index(fields=["sandbox", "revision"])]
        ordering = ["revision", "id"]
        verbose_name = "store event (watch log)"
        verbose_name_plural = "store events (watch log)"

    def __str__(self) -> str:
        return f"{self.revision} {self.type} {self.key}"


class NodeManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(resource="minions")


class PodManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(resource="pods")


class Node(StoreKey):
    """Typed, read-only view of the store's node keys (for the admin and queries)."""

    objects = NodeManager()

    class Meta:
        proxy = True


class Pod(StoreKey):
    """Typed, read-only view of the store's pod keys (for the admin and queries)."""

    objects = PodManager()

    class Meta:
        proxy = True
