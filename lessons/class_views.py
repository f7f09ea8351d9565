"""Classes in the browser: the instructor's classes and dashboard, and the students'
join page. Who may do what is checked first, before anything of the class is read: a
class is the business of its instructor (and the administrators) alone, and answers
anyone else as if it did not exist."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cluster.objects import parse_time
from lessons import classes, engine, runner
from lessons.catalogue import class_lessons, may_run_classes
from lessons.models import ClassLesson, LessonRun

MAX_CLASS_NAME = 100
MAX_MESSAGE = 500
ACTIONS = ("next", "pause", "resume", "restart", "broadcast")


def class_for(user, class_id: int) -> ClassLesson:
    """The class, for its instructor or an administrator; 404 for anyone else."""
    class_lesson = (
        ClassLesson.objects.select_related("classroom", "lesson").filter(pk=class_id).first()
    )
    if class_lesson is None or not (
        user.is_superuser or class_lesson.classroom.instructor_id == user.pk
    ):
        raise Http404("no such class")
    return class_lesson


@require_GET
@login_required
def class_list(request: HttpRequest) -> HttpResponse:
    return _render_class_list(request)


def _render_class_list(request: HttpRequest, *, errors: dict | None = None, status: int = 200):
    allowed = may_run_classes(request.user)
    taught = ClassLesson.objects.select_related("classroom", "lesson").order_by("-created_at")
    if not request.user.is_superuser:
        taught = taught.filter(classroom__instructor=request.user)
    return render(
        request,
        "lessons/classes.html",
        {
            "may_run_classes": allowed,
            "classes": taught,
            "lessons": class_lessons(request.user) if allowed else [],
            "errors": errors or {},
            "form": request.POST if errors else {},
        },
        status=status if allowed else 403,
    )


@require_POST
@login_required
def class_new(request: HttpRequest) -> HttpResponse:
    if not may_run_classes(request.user):
        return _render_class_list(request, status=403)
    name = request.POST.get("name", "").strip()
    slug = request.POST.get("lesson", "")
    lesson = next((lesson for lesson in class_lessons(request.user) if lesson.slug == slug), None)
    errors = {}
    if not name:
        errors["name"] = "Name the class, e.g. “Tuesday group”."
    elif len(name) > MAX_CLASS_NAME:
        errors["name"] = f"At most {MAX_CLASS_NAME} characters."
    if lesson is None:
        errors["lesson"] = "Choose one of the lessons."
    if errors:
        return _render_class_list(request, errors=errors, status=422)
    class_lesson = classes.class_create(instructor=request.user, name=name, lesson=lesson)
    return redirect("class-dashboard", class_id=class_lesson.pk)


@require_GET
@login_required
def class_dashboard(request: HttpRequest, class_id: int) -> HttpResponse:
    class_lesson = class_for(request.user, class_id)
    return render(
        request,
        "lessons/dashboard.html",
        {"class_lesson": class_lesson, **_progress(class_lesson)},
    )


@require_GET
@login_required
def class_progress(request: HttpRequest, class_id: int) -> HttpResponse:
    class_lesson = class_for(request.user, class_id)
    return render(
        request,
        "lessons/class_progress.html",
        {"class_lesson": class_lesson, **_progress(class_lesson)},
    )


@require_POST
@login_required
def class_action(request: HttpRequest, class_id: int, action: str) -> HttpResponse:
    class_lesson = class_for(request.user, class_id)
    if action not in ACTIONS:
        raise Http404(f"no action {action!r}")
    error = ""
    if action == "next":
        classes.class_advance(class_lesson)
    elif action in ("pause", "resume"):
        classes.class_clock(class_lesson, request.user, paused=action == "pause")
    elif action == "restart":
        classes.class_restart(class_lesson)
    else:
        message = request.POST.get("message", "").strip()
        if len(message) > MAX_MESSAGE:
            error = f"A message is at most {MAX_MESSAGE} characters."
        else:
            classes.class_broadcast(class_lesson, message)
    return render(
        request,
        "lessons/class_progress.html",
        {"class_lesson": class_lesson, "error": error, **_progress(class_lesson)},
        status=422 if error else 200,
    )


@require_GET
@login_required
def class_results(request: HttpRequest, class_id: int) -> HttpResponse:
    class_lesson = class_for(request.user, class_id)
    response = HttpResponse(classes.class_results_csv(class_lesson), content_type="text/csv")
    filename = f"{class_lesson.lesson.slug}-class-{class_lesson.pk}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def join(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("code", "") if request.method == "POST" else ""
    if request.method == "POST":
        try:
            run = classes.class_join(code, request.user)
        except classes.JoinRefused as refused:
            return render(
                request, "lessons/join.html", {"code": code, "error": str(refused)}, status=422
            )
        return redirect("sandbox-detail", sandbox_id=run.sandbox_id)
    return render(request, "lessons/join.html", {"code": request.GET.get("code", "")})


# -- what the dashboard shows --------------------------------------------------------------


@dataclass(frozen=True)
class StudentRow:
    run: LessonRun
    name: str
    step: int  # from 1
    title: str
    kind: str
    doing: str
    state: str
    seconds_here: float  # sandbox seconds at this step
    right: int
    answered: int
    points: int  # the checkpoints' points so far, of
    points_of: int
    stuck: bool


@dataclass(frozen=True)
class QuestionChart:
    number: int
    question: str
    bars: list[tuple[str, int, bool]]  # (choice, how many, right)
    answered: int


def _progress(class_lesson: ClassLesson) -> dict:
    lesson = runner.lesson_data(class_lesson.lesson.pk, class_lesson.lesson.text)
    steps = lesson["steps"]
    runs = classes.class_runs(class_lesson)
    rows = [_row(lesson, run) for run in runs]
    return {
        "lesson": lesson,
        "rows": rows,
        "charts": _charts(lesson, runs),
        "step_count": len(steps),
        "stuck": sum(row.stuck for row in rows),
    }


# What a student is doing at a step of each kind, for the dashboard.
DOING = {
    "narrate": "reading",
    "act": "watching the lesson act",
    "do": "asked to act",
    "kubectl": "asked to run kubectl",
    "wait_for": "watching the cluster",
    "ask": "answering",
    "checkpoint": "at a checkpoint",
    "pause_for_instructor": "waiting for you",
}
STUCK_SECONDS = 120.0  # sandbox seconds at one step that waits on the student or a wait


def _row(lesson: dict, run: LessonRun) -> StudentRow:
    steps = lesson["steps"]
    progress = engine.Progress.from_json(run.progress)
    index = min(progress.step, len(steps) - 1)
    step = steps[index]
    kind = engine.step_kind(step)
    here = 0.0
    if progress.started_at and progress.state in (engine.RUNNING, engine.TIMED_OUT):
        here = (run.sandbox.now() - parse_time(progress.started_at)).total_seconds()
    results = [r for r in progress.results.values() if "answer" in r]
    graded = [r for r in progress.results.values() if "checks" in r]
    return StudentRow(
        run=run,
        name=run.student.get_username(),
        step=min(progress.step + 1, len(steps)),
        title=step.get("title") or step.get("id") or kind,
        kind=kind,
        doing=DOING[kind],
        state=progress.state,
        seconds_here=here,
        right=sum(1 for r in results if r.get("revealed") and r.get("right")),
        answered=len(results),
        points=sum(r["points"] for r in graded),
        points_of=sum(r["of"] for r in graded),
        stuck=progress.state == engine.TIMED_OUT
        or (progress.state == engine.RUNNING and here > STUCK_SECONDS),
    )


def _charts(lesson: dict, runs: list[LessonRun]) -> list[QuestionChart]:
    charts = []
    for index, step in enumerate(lesson["steps"]):
        if engine.step_kind(step) != "ask":
            continue
        ask = step["ask"]
        key = engine.step_key(lesson, index)
        answers = [(run.progress.get("results") or {}).get(key, {}).get("answer") for run in runs]
        answers = [answer for answer in answers if answer is not None]
        counts = Counter(answers)
        if "choices" in ask:
            bars = [
                (choice, counts.get(number, 0), ask.get("answer") == number)
                for number, choice in enumerate(ask["choices"])
            ]
        else:
            bars = [(str(node), count, False) for node, count in sorted(counts.items())]
        charts.append(QuestionChart(index + 1, ask["question"], bars, len(answers)))
    return charts
