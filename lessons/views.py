"""The lesson pages: the list to start one from, and the lesson panel of the live page
with its Next, Back and answers. Every sandbox URL is authorized first (sandbox_view);
a press moves the run on in the request itself (lessons.runner.advance_run), so the
student sees the next step at once."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cluster.apiserver import ApiError, ApiServer
from cluster.models import Sandbox
from cluster.sandboxes import SandboxLimitReached
from lessons import engine, runner, tasks
from lessons.models import LessonRun
from lessons.shipped_lessons import shipped_lessons
from sandbox.views.access import sandbox_view

# How long a press waits for an advance in flight (a worker's) to finish.
PRESS_WAIT_SECONDS = 5.0
KIND_WORDS = {
    "narrate": "",
    "act": "The lesson acts",
    "do": "Your turn",
    "kubectl": "Your turn: kubectl",
    "wait_for": "Watch",
    "ask": "Question",
    "checkpoint": "Checkpoint",
    "pause_for_instructor": "Pause",
}


@dataclass(frozen=True)
class StepView:
    index: int  # from 0
    number: int  # from 1
    kind: str
    kind_words: str
    title: str
    body: dict | str
    result: dict | None
    state: str  # done | current | upcoming
    highlight: tuple[str, ...] = ()
    summary: str = ""  # for an act: what the lesson does, in a few words


@require_GET
@login_required
def lesson_list(request: HttpRequest) -> HttpResponse:
    return render_lesson_list(request)


def render_lesson_list(request: HttpRequest, *, error: str = "", status: int = 200):
    lessons = [(lesson, runner.lesson_data(lesson.pk, lesson.text)) for lesson in shipped_lessons()]
    runs = (
        LessonRun.objects.filter(student=request.user)
        .select_related("lesson", "sandbox")
        .order_by("-created_at")
    )
    return render(
        request,
        "lessons/list.html",
        {"lessons": lessons, "runs": runs, "error": error},
        status=status,
    )


@require_POST
@login_required
def lesson_start(request: HttpRequest, slug: str) -> HttpResponse:
    lesson = next((lesson for lesson in shipped_lessons() if lesson.slug == slug), None)
    if lesson is None:
        raise Http404(f"no lesson {slug!r}")
    try:
        run = runner.run_start(lesson, request.user, within_limit=True)
    except SandboxLimitReached as refused:
        return render_lesson_list(request, error=str(refused), status=403)
    tasks.remember_run(run)
    tasks.wake(run.pk)
    return redirect("sandbox-detail", sandbox_id=run.sandbox_id)


@require_GET
@sandbox_view
def lesson_panel(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    return render_panel(request, sandbox, _run_of(sandbox))


@require_POST
@sandbox_view
def lesson_next(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    run = _run_or_404(sandbox)
    return _press(request, sandbox, run, engine.Inputs(next_from_student=True))


@require_POST
@sandbox_view
def lesson_answer(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    run = _run_or_404(sandbox)
    answer: object = None
    if "choice" in request.POST:
        try:
            answer = int(request.POST["choice"])
        except ValueError:
            answer = None
    elif request.POST.get("node"):
        answer = request.POST["node"]
    if answer is None:
        return render_panel(request, sandbox, run, error="Choose an answer first.", status=422)
    return _press(request, sandbox, run, engine.Inputs(answer=answer))


def _press(
    request: HttpRequest, sandbox: Sandbox, run: LessonRun, inputs: engine.Inputs
) -> HttpResponse:
    try:
        run = runner.advance_run(run.pk, inputs, wait=PRESS_WAIT_SECONDS) or run
    except runner.RunBusy:
        return render_panel(request, sandbox, run, error="Busy: press again.", status=409)
    tasks.remember_run(run)
    if run.state in tasks.GOING:
        tasks.look_again(run.pk)
    return render_panel(request, sandbox, run)


def _run_of(sandbox: Sandbox) -> LessonRun | None:
    return LessonRun.objects.filter(sandbox=sandbox).select_related("lesson").first()


def _run_or_404(sandbox: Sandbox) -> LessonRun:
    run = _run_of(sandbox)
    if run is None:
        raise ApiError(404, "NotFound", f"no lesson runs in sandbox {sandbox.pk}")
    return run


def render_panel(
    request: HttpRequest,
    sandbox: Sandbox,
    run: LessonRun | None,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    if run is None:
        return render(request, "lessons/panel.html", {"run": None, "sandbox": sandbox})
    lesson = runner.lesson_data(run.lesson.pk, run.lesson.text)
    progress = engine.Progress.from_json(run.progress)
    steps = [_step_view(lesson, index, progress) for index in range(len(lesson["steps"]))]
    shown = _shown_index(request, progress, len(steps))
    current = steps[shown] if shown < len(steps) else None
    context = {
        "sandbox": sandbox,
        "run": run,
        "lesson": lesson,
        "progress": progress,
        "steps": steps,
        "step": current,
        "shown": shown,
        "live": shown == min(progress.step, len(steps)),
        "done": progress.state == engine.DONE,
        "failed": progress.state == engine.FAILED,
        "timed_out": progress.state == engine.TIMED_OUT,
        "nodes": _node_names(sandbox, request.user) if _picks_a_node(current) else [],
        "error": error,
    }
    return render(request, "lessons/panel.html", context, status=status)


def _shown_index(request: HttpRequest, progress: engine.Progress, count: int) -> int:
    """The step the panel shows: the run's, or an earlier one the student went back to."""
    try:
        wanted = int(request.GET.get("view", ""))
    except ValueError:
        wanted = progress.step
    return max(0, min(wanted, progress.step, count))


def _step_view(lesson: dict, index: int, progress: engine.Progress) -> StepView:
    step = lesson["steps"][index]
    kind = engine.step_kind(step)
    state = "done" if index < progress.step else "current" if index == progress.step else "upcoming"
    body = step[kind]
    return StepView(
        index=index,
        number=index + 1,
        kind=kind,
        kind_words=KIND_WORDS[kind],
        title=step.get("title", ""),
        body=body,
        result=progress.results.get(engine.step_key(lesson, index)),
        state=state,
        highlight=tuple(step.get("highlight") or ()),
        summary=describe_act(body) if kind == "act" else "",
    )


def describe_act(act: dict) -> str:
    """ "The lesson cordons node-1", for the panel."""
    [(verb, target)] = act.items()
    if verb == "apply":
        return f"The lesson creates {target['kind']} {target['metadata']['name']}"
    if verb == "delete":
        if "name" in target:
            return f"The lesson deletes {target['resource']} {target['name']}"
        labels = ",".join(f"{key}={value}" for key, value in target["labels"].items())
        return f"The lesson deletes every one of the {target['resource']} labelled {labels}"
    if verb == "crash":
        return f"The lesson crashes the container of pod {target['pod']}"
    if verb in ("stop", "restore"):
        return f"The lesson {'stops' if verb == 'stop' else 'starts'} {target}"
    if verb in ("cordon", "uncordon", "drain"):
        return f"The lesson {verb}s {target}"
    if verb == "taint":
        value = f"={target['value']}" if target.get("value") else ""
        return f"The lesson taints {target['node']} {target['key']}{value}:{target['effect']}"
    if verb == "untaint":
        return f"The lesson removes the {target['key']} taint from {target['node']}"
    if verb == "scale":
        return f"The lesson scales {target['resource']} {target['name']} to {target['replicas']}"
    if verb == "set_image":
        return f"The lesson sets {target['deployment']}'s image to {target['image']}"
    return f"The lesson rolls {target['deployment']} back"


def _picks_a_node(step: StepView | None) -> bool:
    return step is not None and step.kind == "ask" and "pick_node" in step.body


def _node_names(sandbox: Sandbox, user) -> list[str]:
    nodes = ApiServer.as_user(sandbox, user).list("nodes")["items"]
    return [node["metadata"]["name"] for node in nodes]
