"""Instructors write their own lessons: an editor that checks the text as it is typed
(each problem at its line), saves versions (a class keeps the version it started with),
uploads and downloads the YAML, and tries a lesson on a scratch sandbox. A lesson is its
author's: anyone else is answered as if it did not exist."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cluster.sandboxes import SandboxLimitReached
from lessons import runner, tasks
from lessons.catalogue import may_run_classes, own_lessons
from lessons.models import Lesson
from lessons.reading import LessonInvalid, LessonProblem
from lessons.shipped_lessons import SHIPPED_DIRECTORY

MAX_UPLOAD_BYTES = 1024 * 1024
STARTER = (SHIPPED_DIRECTORY.parent / "starter.yaml").read_text(encoding="utf-8")


def _instructor_only(request: HttpRequest) -> HttpResponse | None:
    if may_run_classes(request.user):
        return None
    return render(request, "lessons/mine.html", {"may_write": False}, status=403)


def _versions_of(user, slug: str) -> list[Lesson]:
    """The versions of the user's lesson, newest first; 404 if it is not theirs."""
    versions = list(Lesson.objects.filter(slug=slug, author=user).order_by("-version"))
    if not versions:
        raise Http404("no such lesson")
    return versions


@require_http_methods(["GET", "POST"])
@login_required
def my_lessons(request: HttpRequest) -> HttpResponse:
    if refused := _instructor_only(request):
        return refused
    text, problems, status = STARTER, [], 200
    if request.method == "POST":
        text, problems = _submitted_text(request)
        if not problems:
            try:
                lesson = runner.lesson_store(text, author=request.user)
            except LessonInvalid as invalid:
                problems = invalid.problems
            else:
                messages.success(
                    request,
                    f"Saved “{lesson.title}” as version {lesson.version}:"
                    " try it, or run a class with it.",
                )
                return redirect("lesson-edit", slug=lesson.slug)
        status = 422
    return render(
        request,
        "lessons/mine.html",
        {
            "may_write": True,
            "lessons": own_lessons(request.user),
            "text": text,
            "problems": problems,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def lesson_edit(request: HttpRequest, slug: str) -> HttpResponse:
    if refused := _instructor_only(request):
        return refused
    versions = _versions_of(request.user, slug)
    text, problems, status, saved = versions[0].text, [], 200, None
    if request.method == "POST":
        text, problems = _submitted_text(request)
        if not problems:
            try:
                saved = runner.lesson_store(text, author=request.user)
            except LessonInvalid as invalid:
                problems = invalid.problems
        if saved is not None and saved.slug != slug:  # renamed: a lesson of its own
            return redirect("lesson-edit", slug=saved.slug)
        if saved is not None:
            versions = _versions_of(request.user, slug)
        status = 422 if problems else 200
    return render(
        request,
        "lessons/edit.html",
        {
            "slug": slug,
            "versions": versions,
            "text": text,
            "problems": problems,
            "saved": saved,
        },
        status=status,
    )


@require_POST
@login_required
def lesson_check(request: HttpRequest) -> HttpResponse:
    """The editor's live check, as the instructor types: the problems, each at its line."""
    if refused := _instructor_only(request):
        return refused
    text = request.POST.get("text", "")
    problems: list[LessonProblem] = []
    try:
        runner.validate(text)
    except LessonInvalid as invalid:
        problems = invalid.problems
    return render(request, "lessons/problems.html", {"problems": problems, "checked": True})


@require_GET
@login_required
def lesson_download(request: HttpRequest, slug: str) -> HttpResponse:
    if refused := _instructor_only(request):
        return refused
    versions = _versions_of(request.user, slug)
    wanted = request.GET.get("version", "")
    lesson = next((v for v in versions if str(v.version) == wanted), versions[0])
    response = HttpResponse(lesson.text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}-v{lesson.version}.yaml"'
    return response


@require_POST
@login_required
def lesson_try(request: HttpRequest, slug: str) -> HttpResponse:
    """The latest version, run on a new sandbox of the instructor's own, as a student
    would meet it."""
    if refused := _instructor_only(request):
        return refused
    lesson = _versions_of(request.user, slug)[0]
    try:
        run = runner.run_start(lesson, request.user, within_limit=True)
    except SandboxLimitReached as refused:
        context = {"slug": slug, "versions": _versions_of(request.user, slug)}
        problems = [LessonProblem(None, None, "", str(refused))]
        return render(
            request,
            "lessons/edit.html",
            {**context, "text": lesson.text, "problems": problems},
            status=403,
        )
    tasks.remember_run(run)
    tasks.wake(run.pk)
    return redirect("sandbox-detail", sandbox_id=run.sandbox_id)


def _submitted_text(request: HttpRequest) -> tuple[str, list[LessonProblem]]:
    """The lesson's text from the editor, or from an uploaded file if one came."""
    upload = request.FILES.get("file")
    if upload is None:
        return request.POST.get("text", ""), []
    if upload.size > MAX_UPLOAD_BYTES:
        problem = LessonProblem(None, None, "", f"the file is over {MAX_UPLOAD_BYTES} bytes")
        return "", [problem]
    try:
        return upload.read().decode("utf-8"), []
    except UnicodeDecodeError:
        return "", [LessonProblem(None, None, "", "the file is not UTF-8 text")]
