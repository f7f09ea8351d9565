"""The Django admin: inspect everything; change cluster state only through the API server."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from cluster import node_operations
from cluster.apiserver import ApiError, ApiServer
from cluster.models import ApiToken, Classroom, ComponentState, Sandbox, SchedulingRecord, Trace

# The operator's etcd view: the admin reads the store's rows as `etcdctl get` would, the
# one place besides the API server allowed to (pyproject.toml's import contracts). Every
# change it makes goes through the API server (call_api_server).
from cluster.models.store import Node, Pod, StoreEvent, StoreKey
from cluster.sandboxes import sandbox_delete


def pretty_json(value: object):
    return format_html("<pre style='white-space: pre-wrap'>{}</pre>", json.dumps(value, indent=2))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Store records are written by the API server alone."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def call_api_server(request: HttpRequest, records: QuerySet, action, done: str) -> None:
    """Run `action(apiserver, record)` for each record as the admin, and report each outcome."""
    for record in records.select_related("sandbox"):
        apiserver = ApiServer.as_user(record.sandbox, request.user)
        try:
            action(apiserver, record)
        except ApiError as error:
            messages.error(request, f"{record.key}: {error.code} {error.reason}: {error.message}")
        else:
            messages.success(request, f"{record.key}: {done}")


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ["name", "instructor"]
    search_fields = ["name", "instructor__username"]
    filter_horizontal = ["students"]


@admin.register(Sandbox)
class SandboxAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "owner",
        "classroom",
        "mode",
        "revision",
        "clock_paused",
        "idle",
        "created_at",
    ]
    list_filter = ["mode", "classroom", "clock_paused", "idle"]
    search_fields = ["name", "owner__username"]
    # Idle is the task layer's to set, with the clock rebased under the row lock.
    readonly_fields = ["created_at", "idle"]

    @admin.display(description="store revision")
    def revision(self, sandbox: Sandbox) -> int:
        return getattr(getattr(sandbox, "store_revision", None), "revision", 0)

    # A sandbox goes as a student's Delete makes it go (cluster.sandboxes.sandbox_delete):
    # its components stop and their ticks in flight finish first. The service lets an
    # administrator do it; staff who are not may not.
    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def get_deleted_objects(self, objs, request: HttpRequest) -> tuple:
        """The confirmation page names the sandboxes alone: what goes with each (its store
        rows, thousands of traces) is the service's to delete, not rows the admin deletes
        one by one, so neither their list nor their own delete permission applies."""
        names = [str(sandbox) for sandbox in objs]
        return names, {Sandbox._meta.verbose_name_plural: len(names)}, set(), []

    def delete_model(self, request: HttpRequest, obj: Sandbox) -> None:
        sandbox_delete(obj, request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for sandbox in queryset:
            sandbox_delete(sandbox, request.user)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "created_at", "last_used_at"]
    search_fields = ["name", "user__username"]
    readonly_fields = ["token_hash", "created_at", "last_used_at"]


class StoreKeyAdmin(ReadOnlyAdmin):
    list_display = ["key", "sandbox", "mod_revision", "version"]
    list_filter = ["sandbox", "resource"]
    search_fields = ["key", "name"]
    fields = [
        "sandbox",
        "key",
        "create_revision",
        "mod_revision",
        "version",
        "object",
        "history",
    ]
    readonly_fields = fields

    @admin.display(description="value")
    def object(self, record: StoreKey):
        return pretty_json(record.value)

    @admin.display(description="revision history (watch log)")
    def history(self, record: StoreKey):
        events = StoreEvent.objects.filter(sandbox=record.sandbox, key=record.key).order_by(
            "revision"
        )
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "", "<li>revision {}: {}</li>", ((e.revision, e.type) for e in events)
            ),
        )


admin.site.register(StoreKey, StoreKeyAdmin)


@admin.register(Node)
class NodeAdmin(StoreKeyAdmin):
    list_display = ["name", "sandbox", "ready", "unschedulable", "mod_revision"]
    ordering = ["sandbox", "name"]
    list_filter = ["sandbox"]
    actions = ["cordon", "uncordon", "drain"]

    @admin.display(description="Ready")
    def ready(self, node: Node) -> str:
        conditions = node.value.get("status", {}).get("conditions", [])
        return next((c["status"] for c in conditions if c.get("type") == "Ready"), "Unknown")

    @admin.display(boolean=True)
    def unschedulable(self, node: Node) -> bool:
        return bool(node.value.get("spec", {}).get("unschedulable"))

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None and request.user.is_superuser  # allows actions, not edits

    @admin.action(description="Cordon selected nodes (through the API server)")
    def cordon(self, request: HttpRequest, queryset: QuerySet) -> None:
        call_api_server(
            request,
            queryset,
            lambda api, node: node_operations.cordon(api, node.name),
            "cordoned",
        )

    @admin.action(description="Uncordon selected nodes (through the API server)")
    def uncordon(self, request: HttpRequest, queryset: QuerySet) -> None:
        call_api_server(
            request,
            queryset,
            lambda api, node: node_operations.uncordon(api, node.name),
            "uncordoned",
        )

    @admin.action(description="Drain selected nodes: cordon, then delete their pods")
    def drain(self, request: HttpRequest, queryset: QuerySet) -> None:
        call_api_server(
            request,
            queryset,
            lambda api, node: node_operations.drain(api, node.name),
            "drained",
        )


@admin.register(Pod)
class PodAdmin(StoreKeyAdmin):
    list_display = ["name", "namespace", "sandbox", "phase", "node_name", "mod_revision"]
    ordering = ["sandbox", "namespace", "name"]
    list_filter = ["sandbox", "phase", "node_name", "namespace"]
    actions = ["delete_through_api_server"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None and request.user.is_superuser  # allows actions, not edits

    @admin.action(description="Delete selected pods (through the API server)")
    def delete_through_api_server(self, request: HttpRequest, queryset: QuerySet) -> None:
        call_api_server(
            request,
            queryset,
            lambda api, pod: api.delete("pods", pod.name, namespace=pod.namespace),
            "deletion requested",
        )


@admin.register(StoreEvent)
class StoreEventAdmin(ReadOnlyAdmin):
    list_display = ["revision", "type", "key", "sandbox"]
    list_filter = ["sandbox", "type"]
    search_fields = ["key"]
    fields = ["sandbox", "revision", "type", "key", "new_value", "previous_value"]
    readonly_fields = fields

    @admin.display(description="value")
    def new_value(self, event: StoreEvent):
        return pretty_json(event.value)

    @admin.display(description="previous value")
    def previous_value(self, event: StoreEvent):
        return pretty_json(event.prev_value)


@admin.register(Trace)
class TraceAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "sandbox",
        "actor",
        "verb",
        "resource",
        "name",
        "code",
        "revision",
        "narration",
    ]
    list_filter = ["sandbox", "verb", "resource", "code", "actor"]
    search_fields = ["name", "narration", "actor"]
    fields = [
        "sandbox",
        "actor",
        "verb",
        "resource",
        "subresource",
        "namespace",
        "name",
        "code",
        "reason",
        "revision",
        "duration_ms",
        "sandbox_time",
        "created_at",
        "narration",
        "command",
        "pipeline",
    ]
    readonly_fields = fields

    @admin.display(description="stages")
    def pipeline(self, trace: Trace):
        return pretty_json(trace.stages)


class FailingFilter(admin.SimpleListFilter):
    title = "ticks"
    parameter_name = "ticks"

    def lookups(self, request: HttpRequest, model_admin):
        return [("failing", "failing"), ("healthy", "healthy")]

    def queryset(self, request: HttpRequest, queryset: QuerySet):
        if self.value() == "failing":
            return queryset.filter(failed_ticks__gt=0)
        if self.value() == "healthy":
            return queryset.filter(failed_ticks=0)
        return queryset


@admin.register(ComponentState)
class ComponentStateAdmin(ReadOnlyAdmin):
    list_display = ["name", "sandbox", "health", "last_tick_at", "updated_at"]
    list_filter = ["sandbox", "running", FailingFilter]
    search_fields = ["name", "failure"]
    fields = [
        "sandbox",
        "name",
        "running",
        "health",
        "failure",
        "failing_since",
        "failed_ticks",
        "last_tick_at",
        "updated_at",
        "memory",
    ]
    readonly_fields = fields

    @admin.display(description="health", ordering="failed_ticks")
    def health(self, row: ComponentState):
        """Stopped by a fault, failing (its ticks raise), or running: as the live page says."""
        if not row.running:
            return format_html("<strong>stopped</strong>")
        if row.failing:
            return format_html(
                "<strong style='color: #b3261e'>failing</strong> since {} ({} ticks): {}",
                row.failing_since,
                row.failed_ticks,
                row.failure,
            )
        return "running"

    @admin.display(description="state (the component's memory between ticks)")
    def memory(self, row: ComponentState):
        return pretty_json(row.state)


@admin.register(SchedulingRecord)
class SchedulingRecordAdmin(ReadOnlyAdmin):
    list_display = ["pod", "namespace", "node", "sandbox", "sandbox_time"]
    list_filter = ["sandbox", "node"]
    search_fields = ["pod"]
    fields = ["sandbox", "namespace", "pod", "pod_uid", "node", "sandbox_time", "table"]
    readonly_fields = fields

    @admin.display(description="decision: every node, every plugin")
    def table(self, record: SchedulingRecord):
        return pretty_json(record.decision)
