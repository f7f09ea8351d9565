"""The isolation matrix (issue 11): every URL pattern of sandbox/urls.py and the websocket
route of sandbox/routing.py, asked by each kind of user, GET and POST, with the exact
answer of each cell in the table below.

The patterns are read from Django's URL resolver, so a new one without a row fails
test_every_url_pattern_has_a_row. For the sandbox URLs, a call that is refused (not
logged in, a sandbox the user may not see, a change by its read-only instructor, a
method the URL does not take) must leave nothing in the sandbox: no trace, no store
revision, no component or clock change, nothing pushed to its open page. A sandbox the
user may not see answers exactly as a missing one, and so does a missing node or pod in
it, so neither ids nor names can be probed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser, Permission
from django.db import connections
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cluster.apiserver import ApiServer, publish
from cluster.models import Classroom, ComponentState, Sandbox, Trace
from cluster.sandboxes import sandbox_create
from cluster.store import Store
from lessons import runner
from lessons.editor_views import STARTER
from lessons.models import ClassLesson
from lessons.shipped_lessons import shipped_lessons
from sandbox.routing import websocket_urlpatterns
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)

USERS = ("anonymous", "owner", "classmate", "other-instructor", "class-instructor", "admin")
LOGIN = "302 to log in"  # a redirect to the login page (the site's, or the admin's)
SNAPSHOT = "snapshot"  # the sandbox websocket's first message
HELLO = "hello"  # the class websocket's
CLASS_ID = 4242  # the class of the world's classroom
TEACHERS_LESSON = "teachers-lesson"  # a lesson the class's instructor wrote
MISSING_SANDBOX = 2_000_000_000


class Row(NamedTuple):
    """The answers to GET and to POST, one per user in USERS' order (post None: the
    URL is not the sandbox's, and POST means nothing there), and the URL's parameters."""

    get: tuple
    post: tuple | None = None
    params: dict[str, str] = {}
    data: dict[str, str] = {}


NOT_ALLOWED = (405,) * 6
WEB = {"namespace": "default", "name": "web"}
POD_FORM = {"name": "made", "image": "nginx:1.27.3", "replicas": "1", "restart_policy": "Always"}
MANIFEST = {
    "manifest": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: typed\nspec:\n  containers:\n"
    "    - name: app\n      image: nginx:1.27.3\n"
}

# fmt: off
MATRIX: dict[str, Row] = {
    # URL name                    anonymous  owner  classmate  other-instr  class-instr  admin
    "sandbox-detail": Row(
        get=                        (LOGIN,   200,   404,       404,         200,        200),
        post=NOT_ALLOWED),
    "sandbox-reset": Row(
        get=NOT_ALLOWED,
        post=                       (LOGIN,   302,   404,       404,         403,        302)),
    "sandbox-delete": Row(
        get=NOT_ALLOWED,
        post=                       (LOGIN,   302,   404,       404,         403,        302)),
    "sandbox-clock-state": Row(
        get=                        (401,     200,   404,       404,         200,        200),
        post=NOT_ALLOWED),
    "sandbox-clock": Row(
        params={"action": "pause"},
        get=NOT_ALLOWED,
        post=                       (401,     200,   404,       404,         403,        200)),
    "sandbox-history": Row(
        get=                        (401,     200,   404,       404,         200,        200),
        post=NOT_ALLOWED),
    "pod-new": Row(
        data=POD_FORM,
        get=                        (LOGIN,   200,   404,       404,         200,        200),
        post=                       (LOGIN,   200,   404,       404,         403,        200)),
    "manifest-create": Row(
        data=MANIFEST,
        get=                        (LOGIN,   200,   404,       404,         200,        200),
        post=                       (LOGIN,   200,   404,       404,         403,        200)),
    "pod-detail": Row(
        params=WEB,
        get=                        (LOGIN,   200,   404,       404,         200,        200),
        post=NOT_ALLOWED),
    "pod-action": Row(
        params={**WEB, "action": "delete"},
        get=NOT_ALLOWED,
        post=                       (LOGIN,   200,   404,       404,         403,        200)),
    "workload-detail": Row(
        params={"resource": "deployments", **WEB},
        get=                        (LOGIN,   200,   404,       404,         200,        200),
        post=NOT_ALLOWED),
    "workload-action": Row(
        params={"resource": "deployments", **WEB, "action": "scale"},
        data={"replicas": "2"},
        get=NOT_ALLOWED,
        post=                       (LOGIN,   200,   404,       404,         403,        200)),
    "etcd-browser": Row(
        get=                        (LOGIN,   200,   404,       404,         200,        200),
        post=NOT_ALLOWED),
    "node-detail": Row(
        params={"name": "node-1"},
        get=                        (LOGIN,   200,   404,       404,         200,        200),
        post=NOT_ALLOWED),
    "node-action": Row(
        params={"name": "node-1", "action": "cordon"},
        get=NOT_ALLOWED,
        post=                       (LOGIN,   200,   404,       404,         403,        200)),
    # GET and POST share one view; a POST names no action here, so it is 404 to a writer.
    "scheduler-panel": Row(
        get=                        (LOGIN,   200,   404,       404,         200,        200),
        post=                       (LOGIN,   404,   404,       404,         403,        404)),
    "scheduler-action": Row(
        params={"action": "stop"},
        get=                        (LOGIN,   200,   404,       404,         200,        200),
        post=                       (LOGIN,   200,   404,       404,         403,        200)),
    "controller-manager-panel": Row(
        get=                        (LOGIN,   200,   404,       404,         200,        200),
        post=                       (LOGIN,   404,   404,       404,         403,        404)),
    "controller-manager-action": Row(
        params={"action": "stop"},
        get=                        (LOGIN,   200,   404,       404,         200,        200),
        post=                       (LOGIN,   200,   404,       404,         403,        200)),
    "component-panel": Row(
        params={"name": "kube-apiserver"},
        get=                        (LOGIN,   200,   404,       404,         200,        200),
        post=NOT_ALLOWED),
    # The lesson panel of a sandbox with no lesson: nothing to move on (404), as for a
    # sandbox the user may not see.
    "lesson-panel": Row(
        get=                        (LOGIN,   200,   404,       404,         200,        200),
        post=NOT_ALLOWED),
    "lesson-next": Row(
        get=NOT_ALLOWED,
        post=                       (LOGIN,   404,   404,       404,         403,        404)),
    "lesson-answer": Row(
        data={"choice": "0"},
        get=NOT_ALLOWED,
        post=                       (LOGIN,   404,   404,       404,         403,        404)),
    # A kubeconfig, with a new token, for whoever may change the sandbox.
    "sandbox-kubeconfig": Row(
        get=NOT_ALLOWED,
        post=                       (LOGIN,   200,   404,       404,         403,        200)),
    # The command box: a kubectl command run as the user, for whoever may change the
    # sandbox; a refused one runs nothing (no list of pods traced in another's sandbox).
    "sandbox-command-box": Row(
        data={"command": "kubectl get pods"},
        get=NOT_ALLOWED,
        post=                       (LOGIN,   200,   404,       404,         403,        200)),
    # The sandbox's Kubernetes API (kubeapi/) takes a bearer token, never the page's
    # session: 401 to everyone here. /version is open, as upstream's is. tests/kubectl
    # asks it with tokens: another's sandbox is 403, a revoked token 401.
    "kubeapi-version": Row(
        get=                        (200,     200,   200,       200,         200,        200),
        post=NOT_ALLOWED),
    "kubeapi-core": Row(
        get=                        (401,     401,   401,       401,         401,        401),
        post=NOT_ALLOWED),
    "kubeapi-groups": Row(
        get=                        (401,     401,   401,       401,         401,        401),
        post=NOT_ALLOWED),
    "kubeapi-core-resources": Row(
        params={"version": "v1"},
        get=                        (401,     401,   401,       401,         401,        401),
        post=NOT_ALLOWED),
    "kubeapi-resources": Row(
        params={"group": "apps", "version": "v1"},
        get=                        (401,     401,   401,       401,         401,        401),
        post=NOT_ALLOWED),
    "kubeapi-openapi": Row(
        get=                        (401,     401,   401,       401,         401,        401),
        post=NOT_ALLOWED),
    "kubeapi-openapi-core": Row(
        params={"version": "v1"},
        get=                        (401,     401,   401,       401,         401,        401),
        post=NOT_ALLOWED),
    "kubeapi-openapi-group": Row(
        params={"group": "apps", "version": "v1"},
        get=                        (401,     401,   401,       401,         401,        401),
        post=NOT_ALLOWED),
    "kubeapi-core-objects": Row(
        params={"version": "v1", "rest": "namespaces/default/pods"},
        get=                        (401,     401,   401,       401,         401,        401),
        post=                       (401,     401,   401,       401,         401,        401)),
    "kubeapi-objects": Row(
        params={"group": "apps", "version": "v1", "rest": "namespaces/default/deployments"},
        get=                        (401,     401,   401,       401,         401,        401),
        post=                       (401,     401,   401,       401,         401,        401)),
    # Each user's API tokens; one that is not the user's is revoked as a missing one is.
    "api-tokens": Row(
        get=                        (LOGIN,   200,   200,       200,         200,        200)),
    "api-token-revoke": Row(
        params={"token_id": "4242"},
        get=NOT_ALLOWED,
        post=                       (LOGIN,   404,   404,       404,         404,        404)),
    # Not a sandbox's: each user's own home page, new sandbox, login, logout, admin, icon;
    # the lessons to start, each in a new sandbox of one's own.
    "lesson-list": Row(
        get=                        (LOGIN,   200,   200,       200,         200,        200)),
    # Instructors' own lessons: students are refused (403); a lesson is its author's
    # (the class's instructor wrote TEACHERS_LESSON), 404 to anyone else, admins included
    # (they see every version in the Django admin). A broken text is said at its lines.
    "lesson-mine": Row(
        data={"text": "kind: x"},
        get=                        (LOGIN,   403,   403,       200,         200,        200),
        post=                       (LOGIN,   403,   403,       422,         422,        422)),
    "lesson-check": Row(
        data={"text": "kind: x"},
        get=NOT_ALLOWED,
        post=                       (LOGIN,   403,   403,       200,         200,        200)),
    "lesson-edit": Row(
        params={"slug": TEACHERS_LESSON},
        data={"text": "kind: x"},
        get=                        (LOGIN,   403,   403,       404,         200,        404),
        post=                       (LOGIN,   403,   403,       404,         422,        404)),
    "lesson-download": Row(
        params={"slug": TEACHERS_LESSON},
        get=                        (LOGIN,   403,   403,       404,         200,        404),
        post=NOT_ALLOWED),
    "lesson-try": Row(
        params={"slug": TEACHERS_LESSON},
        get=NOT_ALLOWED,
        post=                       (LOGIN,   403,   403,       404,         302,        404)),
    # A wrong code: said next to the field (a right one would make each user a student).
    "lesson-join": Row(
        data={"code": "WRONG1"},
        get=                        (LOGIN,   200,   200,       200,         200,        200),
        post=                       (LOGIN,   422,   422,       422,         422,        422)),
    # Classes: only instructors (the run_classes permission) make them, and a class is
    # its instructor's (and the administrators') alone, 404 to anyone else.
    "class-list": Row(
        get=                        (LOGIN,   403,   403,       200,         200,        200)),
    "class-new": Row(
        data={"name": "New class", "lesson": "how-kubernetes-creates-a-pod"},
        get=NOT_ALLOWED,
        post=                       (LOGIN,   403,   403,       302,         302,        302)),
    "class-dashboard": Row(
        params={"class_id": CLASS_ID},
        get=                        (LOGIN,   404,   404,       404,         200,        200),
        post=NOT_ALLOWED),
    "class-progress": Row(
        params={"class_id": CLASS_ID},
        get=                        (LOGIN,   404,   404,       404,         200,        200),
        post=NOT_ALLOWED),
    "class-results": Row(
        params={"class_id": CLASS_ID},
        get=                        (LOGIN,   404,   404,       404,         200,        200),
        post=NOT_ALLOWED),
    "class-action": Row(
        params={"class_id": CLASS_ID, "action": "broadcast"},
        data={"message": "Look at node-2"},
        get=NOT_ALLOWED,
        post=                       (LOGIN,   404,   404,       404,         200,        200)),
    "lesson-start": Row(
        params={"slug": "how-kubernetes-creates-a-pod"},
        get=NOT_ALLOWED,
        post=                       (LOGIN,   302,   302,       302,         302,        302)),
    "home": Row(
        get=                        (LOGIN,   200,   200,       200,         200,        200)),
    "sandbox-new": Row(
        data={"shape": "lesson"},
        get=NOT_ALLOWED,
        post=                       (LOGIN,   302,   302,       302,         302,        302)),
    "login": Row(
        get=                        (200,     200,   200,       200,         200,        200)),
    "logout": Row(
        get=NOT_ALLOWED,
        post=                       (LOGIN,   LOGIN, LOGIN,     LOGIN,       LOGIN,      LOGIN)),
    "admin/": Row(
        get=                        (LOGIN,   LOGIN, LOGIN,     LOGIN,       LOGIN,      200)),
    "favicon.ico": Row(
        get=                        (301,     301,   301,       301,         301,        301)),
}

WEBSOCKETS: dict[str, tuple] = {
    # route                  anonymous  owner     classmate  other-instr  class-instr  admin
    "ws/sandboxes/<int:sandbox_id>/":
                            (4401,     SNAPSHOT, 4404,      4404,        SNAPSHOT,    SNAPSHOT),
    "ws/classes/<int:class_id>/":
                            (4401,     4404,     4404,      4404,        HELLO,       HELLO),
}
# fmt: on


def url_patterns() -> dict[str, str]:
    """Every URL pattern as its row's name (its URL name, else its route) -> its route.
    An include other than the sandbox's (the admin site) is one row: it guards itself."""

    def walk(patterns, prefix: str) -> Iterator[tuple[str, str]]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver) and "sandbox_id" in route:
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLResolver):
                yield route, route
            else:
                assert isinstance(pattern, URLPattern)
                yield pattern.name or route, route

    return dict(walk(get_resolver().url_patterns, ""))


SANDBOX_URLS = [name for name, route in url_patterns().items() if "<int:sandbox_id>" in route]
OTHER_URLS = [name for name in url_patterns() if name not in SANDBOX_URLS]


def test_every_url_pattern_has_a_row():
    patterns = url_patterns()
    missing = sorted(set(patterns) - set(MATRIX))
    assert not missing, (
        f"URL patterns without a row in the isolation matrix: {missing}. Add a row to MATRIX"
        " in tests/web/test_isolation_matrix.py with the answer each user must get."
    )
    stale = sorted(set(MATRIX) - set(patterns))
    assert not stale, f"rows for URL patterns that no longer exist: {stale}; remove them"
    for name in SANDBOX_URLS:
        assert MATRIX[name].post is not None, f"{name}: a sandbox URL needs its POST answers"


def test_every_websocket_route_has_a_row():
    routes = {str(pattern.pattern) for pattern in websocket_urlpatterns}
    missing = sorted(routes - set(WEBSOCKETS))
    assert not missing, (
        f"websocket routes without a row in the isolation matrix: {missing}. Add a row to"
        " WEBSOCKETS in tests/web/test_isolation_matrix.py."
    )
    assert not set(WEBSOCKETS) - routes, "rows for websocket routes that no longer exist"


# -- the people and their sandbox -----------------------------------------------------


class World(NamedTuple):
    users: dict  # USERS name -> user (None: anonymous)
    classroom: Classroom


@pytest.fixture
def world(db) -> World:
    owner, classmate = make_user("alice"), make_user("bob")
    instructor, other_instructor = make_user("teacher"), make_user("other-teacher")
    classroom = Classroom.objects.create(name="Class of 2026", instructor=instructor)
    classroom.students.add(owner, classmate)  # a classmate sees no more than a stranger
    other_class = Classroom.objects.create(name="Other class", instructor=other_instructor)
    other_class.students.add(make_user("carol"))
    admin = make_user("root-admin", is_staff=True, is_superuser=True)
    may_run_classes = Permission.objects.get(codename="run_classes")
    for teacher in (instructor, other_instructor):
        teacher.user_permissions.add(may_run_classes)
    lesson = next(lesson for lesson in shipped_lessons() if lesson.slug.startswith("how-"))
    ClassLesson.objects.create(pk=CLASS_ID, classroom=classroom, lesson=lesson, code="CLASS1")
    runner.lesson_store(
        STARTER.replace("name: my-first-lesson", f"name: {TEACHERS_LESSON}"), author=instructor
    )
    users = dict(
        zip(USERS, (None, owner, classmate, other_instructor, instructor, admin), strict=True)
    )
    return World(users, classroom)


def owners_sandbox(world: World) -> Sandbox:
    """The owner's lesson sandbox with what the URLs name: pod web, Deployment web."""
    owner = world.users["owner"]
    sandbox = sandbox_create(owner=owner, name="lesson", classroom=world.classroom)
    api = ApiServer.as_user(sandbox, owner)
    container = {"name": "app", "image": "nginx:1.27.3"}
    pod = {"metadata": {"name": "web"}, "spec": {"containers": [container]}}
    api.create("pods", pod, namespace="default")
    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container]}}
    spec = {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": template}
    api.create("deployments", {"metadata": {"name": "web"}, "spec": spec}, namespace="default")
    return sandbox


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def url_of(name: str, sandbox_id: int | None, params: dict[str, str]) -> str:
    if url_patterns()[name] == name:  # no URL name: the row is named by its route
        return "/" + name
    kwargs = dict(params)
    if sandbox_id is not None:
        kwargs["sandbox_id"] = sandbox_id
    return reverse(name, kwargs=kwargs)


def ask(client: Client, method: str, url: str, data: dict) -> HttpResponse:
    return client.get(url) if method == "GET" else client.post(url, data)


def answer(response: HttpResponse) -> int | str:
    if response.status_code == 302 and response["Location"].startswith(
        ("/login/", "/admin/login/")
    ):
        return LOGIN
    return response.status_code


def footprint(sandbox: Sandbox) -> tuple:
    """Everything a call could leave in the sandbox."""
    traces = Trace.objects.filter(sandbox=sandbox)
    return (
        Store(sandbox.pk).revision(),
        traces.count(),
        max(traces.values_list("id", flat=True), default=0),
        sorted(ComponentState.objects.filter(sandbox=sandbox).values_list("name", "running")),
        Sandbox.objects.filter(pk=sandbox.pk)
        .values_list("clock_paused", "clock_speed", "mode", "name")
        .get(),
    )


def refused(user_name: str, method: str, expected: int | str) -> bool:
    """Cells that must leave nothing in the sandbox: the users who may not see it, a
    change by its read-only instructor, and a method the URL does not take."""
    if user_name in {"anonymous", "classmate", "other-instructor"} or expected == 405:
        return True
    return user_name == "class-instructor" and method == "POST"


def without_ids(response: HttpResponse, *ids: object) -> tuple[int, str]:
    """The answer with the ids and names it was asked about (and the per-response CSRF
    mask) taken out: what is left must not tell one sandbox or name from another."""
    text = response.content.decode()
    for value in ids:
        for quoted in (f"&quot;{value}&quot;", f'\\"{value}\\"', f'"{value}"'):  # HTML, JSON
            text = text.replace(quoted, '"X"')
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    return response.status_code, text


async def drained(socket: WebsocketCommunicator) -> None:
    """Let everything already published reach the socket, and read it away."""
    await sync_to_async(publish.flush, thread_sensitive=False)()
    while not await socket.receive_nothing(timeout=0.3):
        await socket.receive_output(timeout=1)


def socket_for(sandbox_id: int, user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(
        AuthMiddlewareStack(URLRouter(websocket_urlpatterns)), f"/ws/sandboxes/{sandbox_id}/"
    )
    communicator.scope["user"] = user or AnonymousUser()
    return communicator


def in_own_thread(work):
    """Run work in a thread with its own database connection, closed after it (the test
    client's requests run while the owner's socket listens on this thread's loop)."""

    def run():
        try:
            return work()
        finally:
            connections.close_all()

    return sync_to_async(run, thread_sensitive=False)()


# -- the sandbox's URLs -----------------------------------------------------------------


@pytest.mark.parametrize("name", SANDBOX_URLS)
def test_a_sandbox_url_answers_each_user_as_the_matrix_says(name: str, world: World):
    row = MATRIX[name]
    sandbox = owners_sandbox(world)
    clients = {user_name: client_for(user) for user_name, user in world.users.items()}
    cells = [
        (user_name, method, expected)
        for method, answers in (("GET", row.get), ("POST", row.post))
        for user_name, expected in zip(USERS, answers, strict=True)
    ]
    url = url_of(name, sandbox.pk, row.params)
    got: dict[tuple[str, str], int | str] = {}

    # First the refusals, with the owner's page open: nothing may change or be pushed.
    async def refusals() -> tuple[tuple, tuple, bool]:
        socket = socket_for(sandbox.pk, world.users["owner"])
        await socket.connect()
        assert (await socket.receive_json_from(timeout=5))["type"] == SNAPSHOT
        await drained(socket)
        before = await in_own_thread(lambda: footprint(sandbox))
        for user_name, method, expected in cells:
            if refused(user_name, method, expected):
                response = await in_own_thread(
                    lambda c=clients[user_name], m=method: ask(c, m, url, row.data)
                )
                got[user_name, method] = answer(response)
        after = await in_own_thread(lambda: footprint(sandbox))
        await sync_to_async(publish.flush, thread_sensitive=False)()
        nothing_pushed = await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()
        return before, after, nothing_pushed

    before, after, nothing_pushed = async_to_sync(refusals)()
    assert after == before, f"{name}: a refused call left something in the sandbox"
    assert nothing_pushed, f"{name}: a refused call was pushed to the owner's page"

    # Then the calls that may be made; each change on a sandbox of its own.
    for user_name, method, expected in cells:
        if refused(user_name, method, expected):
            continue
        target = sandbox if method == "GET" else owners_sandbox(world)
        target_url = url_of(name, target.pk, row.params)
        got[user_name, method] = answer(ask(clients[user_name], method, target_url, row.data))

    wanted = {(user_name, method): expected for user_name, method, expected in cells}
    assert got == wanted, f"{name}: answers differ from the matrix"


@pytest.mark.parametrize("name", SANDBOX_URLS)
def test_a_sandbox_or_name_you_may_not_see_answers_as_a_missing_one(name: str, world: World):
    """Neither sandbox ids nor node, pod or workload names can be probed: to a user who
    may not see the sandbox, the answer is the same for a missing sandbox, for the real
    one, and for a missing name in the real one."""
    row = MATRIX[name]
    sandbox = owners_sandbox(world)
    names = {key: value for key, value in row.params.items() if key not in {"action", "resource"}}
    absent = {key: f"no-such-{key}" for key in names}
    for user_name in ("classmate", "other-instructor"):
        client = client_for(world.users[user_name])
        for method in ("GET", "POST"):
            real = ask(client, method, url_of(name, sandbox.pk, row.params), row.data)
            missing = ask(client, method, url_of(name, MISSING_SANDBOX, row.params), row.data)
            no_such = ask(
                client, method, url_of(name, sandbox.pk, {**row.params, **absent}), row.data
            )
            seen = without_ids(real, sandbox.pk)
            assert seen == without_ids(missing, MISSING_SANDBOX), (name, user_name, method)
            assert seen == without_ids(no_such, sandbox.pk), (name, user_name, method)


@pytest.mark.parametrize("name", OTHER_URLS)
def test_a_url_of_no_sandbox_answers_each_user_as_the_matrix_says(name: str, world: World):
    row = MATRIX[name]
    wanted, got = {}, {}
    for method, answers in (("GET", row.get), ("POST", row.post)):
        if answers is None:
            continue
        for (user_name, user), expected in zip(world.users.items(), answers, strict=True):
            response = ask(client_for(user), method, url_of(name, None, row.params), row.data)
            wanted[user_name, method] = expected
            got[user_name, method] = answer(response)
    assert got == wanted


# -- the websocket ----------------------------------------------------------------------


@pytest.mark.parametrize("route", list(WEBSOCKETS))
def test_the_websocket_answers_each_user_as_the_matrix_says(route: str, world: World):
    sandbox = owners_sandbox(world)

    async def first_answer(user) -> int | str:
        if "<int:class_id>" in route:
            socket = WebsocketCommunicator(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns)), f"/ws/classes/{CLASS_ID}/"
            )
            socket.scope["user"] = user or AnonymousUser()
        else:
            socket = socket_for(sandbox.pk, user)
        await socket.connect()
        message = await socket.receive_json_from(timeout=5)
        if message["type"] in (SNAPSHOT, HELLO):
            await socket.disconnect()
            return message["type"]
        closed = await socket.receive_output(timeout=5)
        assert message["status"]["code"] == closed["code"] - 4000
        return closed["code"]

    got = {}
    for user_name, user in world.users.items():
        before = footprint(sandbox)  # an allowed socket's snapshot reads are traced
        got[user_name] = async_to_sync(first_answer)(user)
        if user_name in {"anonymous", "classmate", "other-instructor"}:
            assert footprint(sandbox) == before, f"{user_name}'s refused socket left a trace"
    assert got == dict(zip(USERS, WEBSOCKETS[route], strict=True))
