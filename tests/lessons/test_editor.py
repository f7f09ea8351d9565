"""Instructors write lessons in their own pages: live checks at the lines, versions,
upload, download, a try on a scratch sandbox, and classes that keep their version."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from lessons import classes
from lessons.editor_views import STARTER
from lessons.models import ClassLesson, Lesson, LessonRun
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def instructor_named(name: str):
    user = make_user(name)
    user.user_permissions.add(Permission.objects.get(codename="run_classes"))
    return user


@pytest.fixture
def instructor(db):
    return instructor_named("ms-rivera")


@pytest.fixture
def saved(instructor) -> Lesson:
    answer = client_for(instructor).post("/lessons/mine/", {"text": STARTER})
    assert answer.status_code == 302
    assert answer["Location"] == "/lessons/mine/my-first-lesson/"
    return Lesson.objects.get(slug="my-first-lesson")


def test_the_starter_is_a_valid_lesson_saved_as_version_one(saved, instructor):
    assert (saved.version, saved.author, saved.title) == (1, instructor, "My first lesson")
    page = client_for(instructor).get("/lessons/mine/").content.decode()
    assert "My first lesson" in page and "version 1" in page


def test_the_live_check_names_each_problem_at_its_line(instructor):
    client = client_for(instructor)
    broken = STARTER.replace("  mode: watch\n", "  mode: sometimes\n")
    html = client.post("/lessons/check/", {"text": broken}).content.decode()
    line = STARTER.splitlines().index("  mode: watch") + 1
    assert f'data-goto-line="{line}">line {line}</button>' in html
    assert "<code>cluster.mode</code>: must be one of" in html
    assert (
        "Valid: ready to save."
        in client.post("/lessons/check/", {"text": STARTER}).content.decode()
    )


def test_an_edit_is_a_new_version_and_the_same_text_is_not(saved, instructor):
    client = client_for(instructor)
    edited = STARTER.replace("minutes: 10", "minutes: 15")
    page = client.post("/lessons/mine/my-first-lesson/", {"text": edited})
    assert page.status_code == 200
    assert "Saved as version 2" in page.content.decode()
    client.post("/lessons/mine/my-first-lesson/", {"text": edited})
    assert list(Lesson.objects.values_list("version", flat=True).order_by("version")) == [1, 2]


def test_a_broken_edit_keeps_the_text_and_saves_nothing(saved, instructor):
    broken = STARTER.replace("kind: Lesson", "kind: Lessons")
    answer = client_for(instructor).post("/lessons/mine/my-first-lesson/", {"text": broken})
    assert answer.status_code == 422
    html = answer.content.decode()
    assert "kind: Lessons" in html  # the text, as typed, back in the editor
    assert "<code>kind</code>: must be" in html
    assert Lesson.objects.count() == 1


def test_a_name_of_podlabs_or_another_authors_lesson_is_refused_at_its_line(saved, instructor):
    shipped_name = STARTER.replace("name: my-first-lesson", "name: how-kubernetes-creates-a-pod")
    client_for(instructor).get("/lessons/")  # the shipped lessons are stored on first use
    answer = client_for(instructor).post("/lessons/mine/", {"text": shipped_name})
    assert answer.status_code == 422
    assert "is the name of a lesson Podlab ships: choose another" in answer.content.decode()
    other = instructor_named("mr-okafor")
    answer = client_for(other).post("/lessons/mine/", {"text": STARTER})
    assert answer.status_code == 422
    assert "is the name of another author&#x27;s lesson" in answer.content.decode()
    assert Lesson.objects.filter(author=other).count() == 0


def test_a_lesson_is_its_authors_alone(saved, alice):
    for user in (instructor_named("mr-okafor"),):
        client = client_for(user)
        assert client.get("/lessons/mine/my-first-lesson/").status_code == 404
        assert client.get("/lessons/mine/my-first-lesson/download/").status_code == 404
        assert client.post("/lessons/mine/my-first-lesson/try/").status_code == 404
        assert client.post("/lessons/mine/my-first-lesson/", {"text": STARTER}).status_code == 404
    student = client_for(alice)
    assert student.get("/lessons/mine/").status_code == 403
    assert student.post("/lessons/check/", {"text": STARTER}).status_code == 403
    assert not LessonRun.objects.exists()


def test_download_and_upload_round_trip(saved, instructor):
    client = client_for(instructor)
    download = client.get("/lessons/mine/my-first-lesson/download/?version=1")
    assert download["Content-Disposition"] == 'attachment; filename="my-first-lesson-v1.yaml"'
    text = download.content.decode().replace("minutes: 10", "minutes: 12")
    upload = SimpleUploadedFile("lesson.yaml", text.encode(), content_type="application/yaml")
    client.post("/lessons/mine/my-first-lesson/", {"text": "", "file": upload})
    latest = Lesson.objects.order_by("-version").first()
    assert (latest.version, latest.text) == (2, text)


def test_try_runs_the_latest_version_on_a_sandbox_of_the_instructors(saved, instructor):
    answer = client_for(instructor).post("/lessons/mine/my-first-lesson/try/")
    run = LessonRun.objects.get()
    assert answer["Location"] == f"/sandboxes/{run.sandbox_id}/"
    assert (run.student, run.lesson) == (instructor, saved)


def test_a_class_keeps_the_version_it_started_with(saved, instructor, alice):
    client = client_for(instructor)
    client.post("/classes/new/", {"name": "Friday", "lesson": "my-first-lesson"})
    class_lesson = ClassLesson.objects.get()
    assert class_lesson.lesson == saved
    client.post(
        "/lessons/mine/my-first-lesson/", {"text": STARTER.replace("minutes: 10", "minutes: 20")}
    )
    run = classes.class_join(class_lesson.code, alice)
    assert run.lesson.version == 1


def test_try_counts_against_the_sandbox_limit(saved, instructor, settings):
    settings.PODLAB_MAX_SANDBOXES_PER_USER = 0
    answer = client_for(instructor).post("/lessons/mine/my-first-lesson/try/")
    assert answer.status_code == 403
    assert "the most one account may have" in answer.content.decode()
    assert not LessonRun.objects.exists()
