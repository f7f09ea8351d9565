"""The sandbox clock: its state (GET), and pause, resume, speed and step (POST); and the
components' mode, watch or poll (POST), which the page shows with the clock.

Both answer with the clock's state as JSON ({"paused", "speed", "now", ...},
see selectors.sandbox_clock), so the page shows what the server says instead
of inferring it from traces.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET, require_POST

from cluster import loops
from cluster.apiserver import ApiServer
from cluster.clock import clock_pause, clock_resume, clock_set_speed
from cluster.loops import poll_seconds
from cluster.models import Sandbox
from cluster.sandboxes import mode_set
from sandbox import rate_limits
from sandbox.selectors import clock_readable, sandbox_clock
from sandbox.views.access import sandbox_json_view

# x30 lets the lesson's ending play in seconds: a node's 50 s grace period and its pods'
# 300 s of toleration pass in about 12 wall seconds.
SPEEDS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


def mode_narration(sandbox: Sandbox, mode: str) -> str:
    if mode == Sandbox.Mode.POLL:
        return (
            "switched the components to poll: the scheduler asks the API server for"
            f" unscheduled pods every {poll_seconds(sandbox, 'scheduler'):g} s,"
            " as the lesson tells it"
        )
    return (
        "switched the components to watch: the API server tells the scheduler and the"
        " kubelets of each change at once, as in real Kubernetes"
    )


@require_GET
@sandbox_json_view
def clock_state(request: HttpRequest, sandbox: Sandbox) -> HttpResponse:
    clock_readable(sandbox, request.user)
    return JsonResponse(sandbox_clock(sandbox))


@require_POST
@sandbox_json_view
def clock_control(request: HttpRequest, sandbox: Sandbox, action: str) -> HttpResponse:
    apiserver = ApiServer.as_user(sandbox, request.user)
    if action == "pause":
        apiserver.fault(
            "pause",
            "clock",
            apply=lambda: clock_pause(sandbox),
            narration="paused the sandbox clock: no component acts until play",
        )
    elif action == "resume":
        apiserver.fault(
            "resume",
            "clock",
            apply=lambda: clock_resume(sandbox),
            narration="resumed the sandbox clock",
        )
    elif action == "speed":
        try:
            speed = float(request.POST.get("speed", "1"))
        except ValueError:
            speed = 0
        if speed not in SPEEDS:
            return HttpResponse(f"speed must be one of {SPEEDS}", status=400)
        apiserver.fault(
            "speed",
            "clock",
            apply=lambda: clock_set_speed(sandbox, speed),
            narration=f"set the sandbox clock to {speed:g}x",
        )
    elif action == "mode":
        mode = request.POST.get("mode", "")
        if mode not in Sandbox.Mode.values:
            return HttpResponse(f"mode must be one of {', '.join(Sandbox.Mode.values)}", status=400)
        apiserver.fault(
            "mode",
            mode,
            apply=lambda: mode_set(sandbox, mode),
            narration=mode_narration(sandbox, mode),
        )
    elif action == "step":
        # A step runs the components' ticks here and now, in this request.
        rate_limits.count_call(request.user, rate_limits.CLOCK_STEP)
        component = request.POST.get("component") or None
        apiserver.fault(
            "step",
            component or "all",
            apply=lambda: None,
            narration=f"stepped {component or 'every component'} one tick",
        )
        loops.step(sandbox, component)
    else:
        return HttpResponse(status=404)
    sandbox.refresh_from_db()
    return JsonResponse(sandbox_clock(sandbox))
