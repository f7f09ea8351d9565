"""Running a lesson in a sandbox: the step machine (lessons/engine.py) wired to the API
server, the faults and the database.

The lesson's reads and acts are API calls like any other, made as the run's student:
its acts are traced with the kubectl command each stands for, and its reads with the
live page's user agent (the page's doing, which the timeline folds away). Where a run
stands is kept in its LessonRun row; advance_run() takes the run's lock, moves it on
and saves it, so that a worker, the student's request and `lesson run` can each call it
at any time, and a run resumes wherever it was after any process restarts.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import fields, replace
from functools import lru_cache, partial
from shlex import quote

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from cluster import faults, idle, node_operations, workload_operations
from cluster.apiserver import ApiError, ApiServer
from cluster.apiserver.authn import LIVE_PAGE_USER_AGENT, caller_for_user
from cluster.apiserver.publish import publish_note, publish_to_group
from cluster.clock import clock_pause, clock_set_speed
from cluster.coordination import component_lock
from cluster.models import Sandbox, Trace
from cluster.resources import RESOURCES, ResourceType
from cluster.sandboxes import claim_sandbox_room, sandbox_create
from cluster.topology import NodeShape
from kubeapi.command_box import box as command_box
from lessons.conditions import CallSeen
from lessons.engine import FAILED, RUNNING, TIMED_OUT, ActFailed, Inputs, Progress, advance
from lessons.models import Lesson, LessonRun
from lessons.reading import LessonInvalid, LessonProblem, read_document
from lessons.validation import validate
from sandbox.kubectl import node_command, workload_command

log = logging.getLogger(__name__)

# The lock a run's advances share (cluster.coordination's, under a name no component has).
RUN_LOCK = "lesson"
READ_VERBS = ("get", "list", "watch")
CALLS_READ_AT_ONCE = 1000
# A trace's columns, in CallSeen's order: what a lesson may know of a call.
CALL_SEEN_FIELDS = tuple(field.name for field in fields(CallSeen))


@lru_cache(maxsize=64)
def lesson_data(lesson_id: int, text: str) -> dict:
    """A stored lesson's data: validated when stored, parsed once per process."""
    return validate(text)


def resource_for(resource: str) -> ResourceType:
    return RESOURCES[resource]


def resource_of_manifest(manifest: Mapping) -> ResourceType:
    for rt in RESOURCES.values():
        version = f"{rt.group}/{rt.version}" if rt.group else rt.version
        if rt.kind == manifest["kind"] and version == manifest["apiVersion"]:
            return rt
    raise ActFailed(f"{manifest['apiVersion']} {manifest['kind']} is not a kind Podlab serves")


class ApiView:
    """The cluster as a lesson sees it: reads through the API server as the student's
    page, and the calls the API server answered (its traces), the page's reads aside."""

    def __init__(self, sandbox: Sandbox, student) -> None:
        self.sandbox = sandbox
        self.api = ApiServer(sandbox, partial(caller_for_user, student))

    def get(self, resource: str, name: str, namespace: str) -> dict | None:
        scope = namespace if resource_for(resource).namespaced else ""
        try:
            return self.api.get(resource, name, namespace=scope)
        except ApiError as error:
            if error.code == 404:
                return None
            raise

    def list(self, resource: str, namespace: str, labels: Mapping[str, str]) -> list[dict]:
        scope = namespace if resource_for(resource).namespaced else ""
        selector = ",".join(f"{key}={value}" for key, value in labels.items())
        return self.api.list(resource, namespace=scope, label_selector=selector)["items"]

    def calls_since(self, after_id: int) -> list[CallSeen]:
        rows = (
            Trace.objects.filter(sandbox=self.sandbox, id__gt=after_id)
            .exclude(user_agent=LIVE_PAGE_USER_AGENT, verb__in=READ_VERBS)
            .order_by("id")
            .values_list(*CALL_SEEN_FIELDS)[:CALLS_READ_AT_ONCE]
        )
        return [CallSeen(*row) for row in rows]


def newest_call(sandbox: Sandbox) -> int:
    return (
        Trace.objects.filter(sandbox=sandbox).order_by("-id").values_list("id", flat=True).first()
        or 0
    )


class ApiDoer:
    """A lesson's acts: API calls as the student, each with its kubectl command, or the
    sandbox's faults (a crash, a stopped node), which have none."""

    def __init__(self, sandbox: Sandbox, student) -> None:
        self.sandbox, self.student = sandbox, student

    def api(self, command: str = "") -> ApiServer:
        return ApiServer.as_user(self.sandbox, self.student, command=command)

    def act(self, act: Mapping, *, as_student: bool) -> None:
        [(verb, target)] = act.items()
        try:
            getattr(self, f"_{verb}")(target)
        except ApiError as refused:
            raise ActFailed(f"{verb}: {refused.code} {refused.reason}: {refused}") from refused
        except workload_operations.RollbackError as refused:
            raise ActFailed(f"undo: {refused}") from refused

    def _kubectl(self, command: str) -> None:
        """A `kubectl` step's command, in the student's place (headless): through the
        command box, as the student would type it."""
        reply = command_box.answer(self.sandbox, self.student, command)
        if not reply.ok:
            raise ActFailed(f"{command}: {reply.text}")

    def _apply(self, manifest: Mapping) -> None:
        rt = resource_of_manifest(manifest)
        meta = manifest["metadata"]
        namespace = meta.get("namespace", "default") if rt.namespaced else ""
        api = self.api(f"kubectl apply -f {quote(meta['name'])}.yaml")
        try:
            api.create(rt.name, dict(manifest), namespace=namespace)
        except ApiError as error:
            if error.reason != "AlreadyExists":
                raise
            current = api.get(rt.name, meta["name"], namespace=namespace)
            changed = {**manifest, "metadata": {**meta, **_kept_metadata(current)}}
            api.update(rt.name, changed, namespace=namespace)

    def _delete(self, target: Mapping) -> None:
        rt = resource_for(target["resource"])
        namespace = target.get("namespace", "default") if rt.namespaced else ""
        suffix = f" -n {quote(namespace)}" if namespace not in ("", "default") else ""
        if "name" in target:
            command = f"kubectl delete {rt.name} {quote(target['name'])}{suffix}"
            self.api(command).delete(rt.name, target["name"], namespace=namespace)
            return
        selector = ",".join(f"{key}={value}" for key, value in target["labels"].items())
        api = self.api(f"kubectl delete {rt.name} -l {quote(selector)}{suffix}")
        for obj in api.list(rt.name, namespace=namespace, label_selector=selector)["items"]:
            api.delete(rt.name, obj["metadata"]["name"], namespace=namespace)

    def _crash(self, target: Mapping) -> None:
        namespace = target.get("namespace", "default")
        container = (
            target.get("container")
            or self.api().get("pods", target["pod"], namespace=namespace)["spec"]["containers"][0][
                "name"
            ]
        )
        faults.container_crash(
            self.sandbox,
            self.student,
            namespace=namespace,
            pod=target["pod"],
            container=container,
            exit_code=target.get("exitCode", 1),
        )

    def _stop(self, target: str) -> None:
        kind, _, name = target.partition("/")
        if kind == "node":
            faults.node_stop(self.sandbox, self.student, name=name)
        else:
            faults.component_stop(self.sandbox, self.student, target)

    def _restore(self, target: str) -> None:
        kind, _, name = target.partition("/")
        if kind == "node":
            faults.node_start(self.sandbox, self.student, name=name)
        else:
            faults.component_start(self.sandbox, self.student, target)

    def _cordon(self, node: str) -> None:
        node_operations.cordon(self.api(node_command("cordon", node)), node)

    def _uncordon(self, node: str) -> None:
        node_operations.uncordon(self.api(node_command("uncordon", node)), node)

    def _drain(self, node: str) -> None:
        node_operations.drain(self.api(node_command("drain", node)), node)

    def _taint(self, target: Mapping) -> None:
        taint = {key: target[key] for key in ("key", "value", "effect") if key in target}
        api = self.api(node_command("taint", target["node"], taint=taint))
        taints = api.get("nodes", target["node"])["spec"].get("taints") or []
        node_operations.set_taints(api, target["node"], node_operations.taints_with(taints, taint))

    def _untaint(self, target: Mapping) -> None:
        api = self.api(node_command("untaint", target["node"], taint={"key": target["key"]}))
        taints = api.get("nodes", target["node"])["spec"].get("taints") or []
        node_operations.set_taints(
            api, target["node"], node_operations.without_key(taints, target["key"])
        )

    def _scale(self, target: Mapping) -> None:
        rt = resource_for(target["resource"])
        namespace = target.get("namespace", "default")
        command = workload_command(
            "scale", rt.kind, namespace, target["name"], replicas=target["replicas"]
        )
        workload_operations.scale(
            self.api(command), rt.name, target["name"], target["replicas"], namespace=namespace
        )

    def _set_image(self, target: Mapping) -> None:
        namespace = target.get("namespace", "default")
        command = workload_command(
            "image",
            "Deployment",
            namespace,
            target["deployment"],
            container=target["container"],
            image=target["image"],
        )
        workload_operations.set_image(
            self.api(command),
            target["deployment"],
            target["image"],
            namespace=namespace,
            container=target["container"],
        )

    def _undo(self, target: Mapping) -> None:
        namespace = target.get("namespace", "default")
        command = workload_command("undo", "Deployment", namespace, target["deployment"])
        message = workload_operations.undo(
            self.api(command), target["deployment"], namespace=namespace
        )
        if message:
            raise ActFailed(f"undo: {message}")


def _kept_metadata(current: Mapping) -> dict:
    """What an update must carry over from the stored object: its resourceVersion."""
    return {"resourceVersion": current["metadata"]["resourceVersion"]}


def class_group(classroom_id: int) -> str:
    """The channel group of a class's dashboards."""
    return f"class-{classroom_id}"


class RunBusy(Exception):
    """Another advance of the run holds its lock."""


def advance_run(run_id: int, inputs: Inputs | None = None, *, wait: float = 0) -> LessonRun | None:
    """Move a run on as far as it goes now, and save where it stands. None if the run is
    gone; raises RunBusy when another advance holds its lock past `wait` seconds (the
    caller tries again)."""
    with component_lock(run_sandbox_id(run_id), RUN_LOCK, wait=wait) as locked:
        if not locked:
            raise RunBusy(run_id)
        run = (
            LessonRun.objects.select_related("lesson", "sandbox", "student")
            .filter(pk=run_id)
            .first()
        )
        if run is None:
            return None
        sandbox, student = run.sandbox, run.student
        progress = Progress.from_json(run.progress)
        lesson = lesson_data(run.lesson.pk, run.lesson.text)
        before = progress.as_json()
        advance(
            lesson,
            progress,
            ApiView(sandbox, student),
            ApiDoer(sandbox, student),
            now=sandbox.now(),
            newest_call=newest_call(sandbox),
            inputs=replace(inputs or Inputs(), student=student.get_username()),
            headless=run.headless,
        )
        moved = progress.as_json() != before
        fields = ["progress", "state", "step", "updated_at"]
        if moved:
            run.progress = progress.as_json()
            run.state, run.step = progress.state, progress.step
            run.moves = F("moves") + 1  # in the database: a class's message may count too
            fields.append("moves")
        run.updated_at = timezone.now()
        run.save(update_fields=fields)
        if moved:
            tell_moved(run, counted=True)
        keep_watching(run)
        return run


def tell_moved(run: LessonRun, *, counted: bool = False) -> None:
    """What the run's panel shows has changed: count it (LessonRun.moves; counted: the
    caller's save did) and tell the student's pages and the class's dashboard. Told once
    saved: a page told fetches its panel, and must find it moved."""
    if not counted:  # in the database: the run's advance may count at the same time
        LessonRun.objects.filter(pk=run.pk).update(moves=F("moves") + 1)
    run.refresh_from_db(fields=["moves"])
    note = {"type": "lesson", "run": run.pk, "moves": run.moves, **run.progress}
    publish_note(run.sandbox, note)
    if run.sandbox.classroom_id is not None:  # the class's dashboard follows
        publish_to_group(run.sandbox, class_group(run.sandbox.classroom_id), note)


def keep_watching(run: LessonRun) -> None:
    """A lesson going on watches its sandbox as an open page does (cluster/idle.py): its
    clock must not stand still under a wait, or the wait would never end. Said again at
    each advance (at least every few seconds while it goes); a run that ended stops."""
    viewer = f"lesson-run-{run.pk}"
    if run.state in (RUNNING, TIMED_OUT):
        idle.viewer_here(run.sandbox_id, viewer)
    else:
        idle.viewer_gone(run.sandbox_id, viewer)


def run_sandbox_id(run_id: int) -> int:
    sandbox_id = LessonRun.objects.filter(pk=run_id).values_list("sandbox_id", flat=True).first()
    return sandbox_id or 0


def lesson_store(text: str, *, author=None) -> Lesson:
    """A new version of the lesson (validated: raises LessonInvalid), unless its text is
    the latest version's. A lesson's name is its author's: another author's lesson (or
    one Podlab ships) of the same name is refused at the name's line."""
    data = validate(text)
    slug = data["metadata"]["name"]
    for _ in range(2):  # a second try after losing a race for the same version
        try:
            with transaction.atomic():
                return _store_version(text, data, slug, author)
        except IntegrityError:
            continue
    raise LessonInvalid([LessonProblem(None, None, "metadata.name", "saved by two at once")])


def _store_version(text: str, data: dict, slug: str, author) -> Lesson:
    latest = Lesson.objects.select_for_update().filter(slug=slug).order_by("-version").first()
    author_id = author.pk if author is not None else None
    if latest is not None and latest.author_id != author_id:
        line, column = read_document(text)[1].of(("metadata", "name"))
        owner = "a lesson Podlab ships" if latest.author_id is None else "another author's lesson"
        raise LessonInvalid(
            [
                LessonProblem(
                    line,
                    column,
                    "metadata.name",
                    f'"{slug}" is the name of {owner}: choose another',
                )
            ]
        )
    if latest is not None and latest.text == text:
        return latest
    return Lesson.objects.create(
        slug=slug,
        version=(latest.version + 1) if latest else 1,
        title=data["metadata"]["title"],
        text=text,
        author=author,
    )


def run_start(
    lesson: Lesson,
    student,
    *,
    headless: bool = False,
    speed: float | None = None,
    classroom=None,
    within_limit: bool = False,
) -> LessonRun:
    """A new sandbox built from the lesson's starting cluster (in the class's classroom,
    if given), and the lesson's run in it. within_limit: for a person asking for one,
    SandboxLimitReached past their limit of sandboxes."""
    data = lesson_data(lesson.pk, lesson.text)
    cluster = data.get("cluster") or {}
    with transaction.atomic():
        if within_limit:
            claim_sandbox_room(student)
        sandbox = sandbox_create(
            owner=student,
            name=data["metadata"]["title"][:100],
            shape=cluster.get("shape", "lesson"),
            mode=cluster.get("mode", Sandbox.Mode.WATCH),
            nodes=tuple(NodeShape.from_json(node) for node in cluster.get("nodes") or []),
            intervals=cluster.get("intervals"),
            classroom=classroom,
        )
        run = LessonRun.objects.create(
            sandbox=sandbox,
            lesson=lesson,
            student=student,
            headless=headless,
            progress=Progress().as_json(),
        )
    _set_the_scene(run, data, speed=speed)
    return run


def run_restart(run: LessonRun) -> None:
    """The run back at its first step, its sandbox (already reset to its template) given
    the lesson's clock and objects again."""
    run.progress, run.state, run.step = Progress().as_json(), RUNNING, 0
    run.save(update_fields=["progress", "state", "step"])
    _set_the_scene(run, lesson_data(run.lesson.pk, run.lesson.text))
    tell_moved(run)


def _set_the_scene(run: LessonRun, data: dict, *, speed: float | None = None) -> None:
    """The lesson's clock and objects, created through the API server as the student;
    an object the API server refuses fails the run, with its answer."""
    cluster = data.get("cluster") or {}
    sandbox = run.sandbox
    clock = cluster.get("clock") or {}
    if speed or clock.get("speed"):
        clock_set_speed(sandbox, speed or clock["speed"])
    if clock.get("paused"):
        clock_pause(sandbox)
    doer = ApiDoer(sandbox, run.student)
    for index, manifest in enumerate(cluster.get("objects") or []):
        try:
            doer.act({"apply": manifest}, as_student=False)
        except ActFailed as refused:
            progress = Progress(state=FAILED, seen=f"cluster.objects[{index}]: {refused}")
            run.progress, run.state = progress.as_json(), FAILED
            run.save(update_fields=["progress", "state"])
            break
