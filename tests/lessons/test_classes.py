"""Classes: an instructor makes one from a lesson, students join with its code, and the
instructor follows and steers them from the dashboard."""

from __future__ import annotations

import csv
import io

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser, Permission
from django.test import Client

from cluster.apiserver import publish
from cluster.models import Sandbox, Trace
from lessons import classes, engine, runner
from lessons.models import ClassLesson, LessonRun
from lessons.shipped_lessons import shipped_lessons
from sandbox.routing import websocket_urlpatterns
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def instructor(db):
    user = make_user("ms-rivera")
    user.user_permissions.add(Permission.objects.get(codename="run_classes"))
    return user


@pytest.fixture
def lesson_one():
    return next(lesson for lesson in shipped_lessons() if lesson.slug.startswith("how-"))


@pytest.fixture
def class_lesson(instructor, lesson_one) -> ClassLesson:
    return classes.class_create(instructor=instructor, name="Tuesday group", lesson=lesson_one)


def test_an_instructor_makes_a_class_and_gets_a_code_to_give(instructor):
    client = client_for(instructor)
    assert client.get("/classes/").status_code == 200
    answer = client.post(
        "/classes/new/", {"name": "Tuesday group", "lesson": "how-kubernetes-creates-a-pod"}
    )
    class_lesson = ClassLesson.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/classes/{class_lesson.pk}/"
    assert class_lesson.classroom.instructor == instructor
    assert len(class_lesson.code) == classes.CODE_LENGTH
    assert set(class_lesson.code) <= set(classes.CODE_ALPHABET)
    page = client.get(answer["Location"]).content.decode()
    assert class_lesson.code in page and "No student has joined yet" in page


def test_a_class_needs_a_name_and_a_lesson_said_at_the_fields(instructor):
    answer = client_for(instructor).post("/classes/new/", {"name": " ", "lesson": "nope"})
    assert answer.status_code == 422
    html = answer.content.decode()
    assert 'id="class-name-error"' in html and "Name the class" in html
    assert 'id="class-lesson-error"' in html and "Choose one of the lessons" in html
    assert not ClassLesson.objects.exists()


def test_only_instructors_make_classes(alice):
    client = client_for(alice)
    assert client.get("/classes/").status_code == 403
    answer = client.post(
        "/classes/new/", {"name": "Mine", "lesson": "how-kubernetes-creates-a-pod"}
    )
    assert answer.status_code == 403
    assert not ClassLesson.objects.exists()


def test_a_student_joins_with_the_code_however_typed_and_once(class_lesson, alice):
    client = client_for(alice)
    typed = " ".join(class_lesson.code.lower())  # "a b c 2 3 x"
    answer = client.post("/join/", {"code": typed})
    run = LessonRun.objects.get(student=alice)
    assert answer.status_code == 302
    assert answer["Location"] == f"/sandboxes/{run.sandbox_id}/"
    assert run.sandbox.classroom == class_lesson.classroom
    assert class_lesson.classroom.students.filter(pk=alice.pk).exists()
    again = client.post("/join/", {"code": class_lesson.code})
    assert again["Location"] == answer["Location"]
    assert LessonRun.objects.count() == 1


def test_a_wrong_code_is_said_next_to_the_field_and_joins_nothing(class_lesson, alice):
    answer = client_for(alice).post("/join/", {"code": "ZZZZZZ"})
    assert answer.status_code == 422
    assert "No class has that code" in answer.content.decode()
    assert not LessonRun.objects.exists()
    assert not class_lesson.classroom.students.exists()


def test_the_class_is_its_instructors_alone(class_lesson, alice, teacher, root_admin):
    base = f"/classes/{class_lesson.pk}/"
    for user in (alice, teacher):  # a student, another instructor
        client = client_for(user)
        for path in ("", "progress/", "results.csv"):
            assert client.get(base + path).status_code == 404
        assert client.post(base + "broadcast/", {"message": "hi"}).status_code == 404
    class_lesson.refresh_from_db()
    assert class_lesson.message == ""
    assert client_for(root_admin).get(base).status_code == 200


def test_the_dashboard_moves_the_class_on_pauses_it_and_speaks_to_it(
    class_lesson, instructor, alice, bob
):
    runs = [classes.class_join(class_lesson.code, student) for student in (alice, bob)]
    client = client_for(instructor)
    base = f"/classes/{class_lesson.pk}/"
    html = client.get(base + "progress/").content.decode()
    assert 'data-student="alice"' in html and 'data-student="bob"' in html

    graded = {"pod-running": {"checks": [], "points": 1, "of": 1}}
    LessonRun.objects.filter(pk=runs[1].pk).update(progress={**runs[1].progress, "results": graded})
    html = client.get(base + "progress/").content.decode()
    assert "1 of 1 points" in html  # bob's checkpoint, on his row

    client.post(base + "next/")  # past "The cluster", for everyone
    assert [LessonRun.objects.get(pk=run.pk).step for run in runs] == [1, 1]

    client.post(base + "pause/")
    assert all(Sandbox.objects.get(pk=run.sandbox_id).clock_paused for run in runs)
    trace = Trace.objects.filter(sandbox_id=runs[0].sandbox_id, verb="pause").get()
    assert trace.actor == "alice"
    assert "as their instructor ms-rivera paused the class" in trace.narration
    client.post(base + "resume/")
    assert not any(Sandbox.objects.get(pk=run.sandbox_id).clock_paused for run in runs)

    moves = LessonRun.objects.get(pk=runs[0].pk).moves
    client.post(base + "broadcast/", {"message": "Five minutes left"})
    panel = client_for(alice).get(f"/sandboxes/{runs[0].sandbox_id}/lesson/").content.decode()
    assert "From your instructor:</strong> Five minutes left" in panel
    # The panel changed: its version is one more, and a page on an older one fetches it.
    assert f'data-version="{moves + 1}"' in panel
    long = client.post(base + "broadcast/", {"message": "x" * 501})
    assert long.status_code == 422


def test_start_over_puts_every_student_back_at_the_first_step(class_lesson, instructor, alice):
    run = classes.class_join(class_lesson.code, alice)
    runner.advance_run(run.pk, engine.Inputs(next_from_student=True))
    assert LessonRun.objects.get(pk=run.pk).step == 1
    moves = LessonRun.objects.get(pk=run.pk).moves
    client_for(instructor).post(f"/classes/{class_lesson.pk}/restart/")
    run.refresh_from_db()
    assert (run.step, run.state, run.progress["answers"]) == (0, engine.RUNNING, {})
    assert run.moves > moves  # never back to an earlier version: the pages fetch step 1


def test_the_results_are_one_row_per_student(class_lesson, instructor, alice):
    run = classes.class_join(class_lesson.code, alice)
    run.progress = {
        **run.progress,
        "step": 6,
        "results": {"is-it-running": {"answer": 1, "revealed": True, "right": True}},
    }
    run.step = 6
    run.save()
    answer = client_for(instructor).get(f"/classes/{class_lesson.pk}/results.csv")
    assert answer["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
    assert len(rows) == 1
    assert rows[0]["student"] == "alice"
    assert rows[0]["step"] == "7" and rows[0]["of"] == "23"
    assert rows[0]["is-it-running: answer"] == "No, it is only written down in etcd"
    assert rows[0]["is-it-running: right"] == "yes"
    assert rows[0]["where-will-it-go: answer"] == ""


def dashboard_socket(class_id: int, user) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(
        AuthMiddlewareStack(URLRouter(websocket_urlpatterns)), f"/ws/classes/{class_id}/"
    )
    socket.scope["user"] = user
    return socket


def test_the_dashboard_socket_is_its_instructors_and_tells_each_step(
    class_lesson, instructor, alice, teacher
):
    run = classes.class_join(class_lesson.code, alice)

    async def refused(user) -> tuple[dict, dict]:
        socket = dashboard_socket(class_lesson.pk, user)
        await socket.connect()
        return await socket.receive_json_from(timeout=5), await socket.receive_output(timeout=5)

    for user, code in ((AnonymousUser(), 4401), (teacher, 4404), (alice, 4404)):
        message, closed = async_to_sync(refused)(user)
        assert message["type"] == "error" and closed["code"] == code

    async def follow() -> dict:
        socket = dashboard_socket(class_lesson.pk, instructor)
        await socket.connect()
        assert (await socket.receive_json_from(timeout=5))["type"] == "hello"
        await sync_to_async(runner.advance_run)(run.pk, engine.Inputs(next_from_student=True))
        await sync_to_async(publish.flush)()
        pushed = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return pushed

    assert async_to_sync(follow)() == {"type": "progress", "sandbox": run.sandbox_id}
