"""Logs are the lines written so far, stamped with the simulated clock."""

from cluster.components.runtime.statuses import LogLine
from tests.unit.runtime.helpers import PULLED, T0, after_start, at, new_runtime, start


def texts(lines: list[LogLine]) -> list[str]:
    return [line.text for line in lines]


def test_a_server_logs_its_startup_with_the_simulated_time():
    runtime = new_runtime()
    container_id = start(runtime, "nginx")

    lines = runtime.logs(container_id, after_start(5))

    assert "2026/11/26 21:41:00 [notice] 1#1: nginx/1.27.3" in texts(lines)
    assert {line.time for line in lines} == {after_start(0)}


def test_lines_appear_only_once_written():
    runtime = new_runtime()
    container_id = start(runtime, "podlab/crash:exit-2-after-10s")

    assert texts(runtime.logs(container_id, after_start(9))) == ["starting up"]
    assert texts(runtime.logs(container_id, after_start(10)))[-1] == (
        "fatal: something went wrong, exiting with code 2"
    )


def test_a_container_not_yet_started_has_no_logs():
    runtime = new_runtime()
    runtime.pull_image("nginx", T0)
    sandbox_id = runtime.run_pod_sandbox("uid-1", "web", "default", at(PULLED))
    container_id = runtime.create_container(
        sandbox_id, {"name": "web", "image": "nginx"}, at(PULLED)
    )

    assert runtime.logs(container_id, at(PULLED + 5)) == []


def test_a_job_logs_its_progress_and_nothing_after_it_exits():
    runtime = new_runtime()
    container_id = start(runtime, "podlab/job:done-in-10s")

    lines = runtime.logs(container_id, after_start(3600))

    assert texts(lines)[0] == "job started: 10s of work to do"
    assert texts(lines)[-1] == "job finished successfully"
    assert lines[-1].time == after_start(10)
    assert len(lines) == 11


def test_tail_keeps_the_last_lines():
    runtime = new_runtime()
    container_id = start(runtime, "podlab/job:done-in-10s")

    assert texts(runtime.logs(container_id, after_start(60), tail=1)) == [
        "job finished successfully"
    ]
    assert runtime.logs(container_id, after_start(60), tail=0) == []


def test_an_oom_killed_hog_logs_only_what_it_allocated_before_the_kill():
    runtime = new_runtime()
    container_id = start(
        runtime, "podlab/memory-hog:100Mi-after-10s", resources={"limits": {"memory": "50Mi"}}
    )

    lines = texts(runtime.logs(container_id, after_start(60)))

    assert lines[-1] == "allocated 40Mi of 100Mi"
    assert "holding 100Mi" not in lines


def test_an_echo_loop_writes_a_line_every_round():
    runtime = new_runtime()
    script = 'while true; do echo "tick at $(date)"; sleep 5; done'
    container_id = start(runtime, "busybox", command=["sh", "-c", script])

    lines = runtime.logs(container_id, after_start(12))

    assert texts(lines) == [
        "tick at Thu Nov 26 21:41:00 UTC 2026",
        "tick at Thu Nov 26 21:41:05 UTC 2026",
        "tick at Thu Nov 26 21:41:10 UTC 2026",
    ]


def test_the_pod_ip_appears_where_the_server_logs_it():
    runtime = new_runtime()
    container_id = start(runtime, "httpd")

    assert "using 10.244.1.2." in texts(runtime.logs(container_id, after_start(1)))[0]


def test_a_graceful_stop_adds_the_shutdown_lines():
    runtime = new_runtime()
    container_id = start(runtime, "redis")
    runtime.stop_container(container_id, 30, after_start(60))

    lines = runtime.logs(container_id, after_start(120))

    assert lines[-1].text.endswith("# Redis is now ready to exit, bye bye...")
    assert lines[-1].time == after_start(60)


def test_an_exited_containers_logs_stay_readable_as_previous_logs():
    runtime = new_runtime()
    previous = start(runtime, "podlab/crash")
    sandbox_id = runtime.container_status(previous, after_start(10)).sandbox_id
    runtime.create_container(sandbox_id, {"name": "app", "image": "podlab/crash"}, after_start(10))

    assert texts(runtime.logs(previous, after_start(20)))[0] == "starting up"


def test_log_lines_format_with_rfc3339_timestamps_for_kubectl():
    line = LogLine(time=T0, text="hello")

    assert line.formatted() == "hello"
    assert line.formatted(timestamps=True) == "2026-11-26T21:40:00.000000Z hello"
