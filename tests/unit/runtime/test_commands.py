"""A container's command/args becomes a timeline when it uses the understood shell subset."""

import pytest

from cluster.components.runtime.commands import DATE_TEMPLATE, interpret


def test_sleep_runs_for_its_duration_then_exits_0():
    script = interpret(["sleep", "3600"])

    assert (script.exit_after, script.exit_code) == (3600, 0)


@pytest.mark.parametrize(
    "argv", [["sleep", "infinity"], ["tail", "-f", "/dev/null"], ["sleep", "1e300"]]
)
def test_endless_commands_never_exit(argv):
    assert interpret(argv).exit_after is None


@pytest.mark.parametrize(("duration", "seconds"), [("90", 90), ("2m", 120), ("1h", 3600)])
def test_sleep_understands_busybox_suffixes(duration, seconds):
    assert interpret(["/bin/sleep", duration]).exit_after == seconds


def test_a_shell_script_echoes_sleeps_and_exits_with_its_code():
    script = interpret(["sh", "-c", "echo starting; sleep 5\necho 'failing now'; exit 3"])

    assert script.logs == ((0, "starting"), (5, "failing now"))
    assert (script.exit_after, script.exit_code) == (5, 3)


def test_and_skips_the_rest_after_a_failure_and_the_last_status_is_the_exit_code():
    assert interpret(["sh", "-c", "false && echo never"]).exit_code == 1
    assert interpret(["sh", "-c", "false; echo shown"]).logs == ((0, "shown"),)


def test_exit_codes_wrap_as_a_shells_do():
    assert interpret(["sh", "-c", "exit 257"]).exit_code == 1


def test_an_endless_loop_repeats_its_body_every_round():
    script = interpret(["sh", "-c", "echo begin; while true; do echo tick; sleep 5; done"])

    assert script.exit_after is None
    assert script.logs == ((0, "begin"),)
    assert (script.loop_logs, script.loop_period) == (((0, "tick"),), 5)


def test_echo_keeps_braces_literal_and_dates_come_from_the_simulated_clock():
    script = interpret(["sh", "-c", 'echo "{x} at $(date)"'])

    assert script.logs[0][1] == "{{x}} at " + DATE_TEMPLATE


@pytest.mark.parametrize(
    "argv",
    [
        ["nginx", "-g", "daemon off;"],
        ["sh", "-c", "echo a || echo b"],
        ["sh", "-c", "i=0; while true; do sleep 1; done"],
        ["sh", "-c", "for i in 1 2; do echo $i; done"],
        ["sleep", "soon"],
        [],
    ],
)
def test_anything_else_is_left_to_the_image(argv):
    assert interpret(argv) is None
