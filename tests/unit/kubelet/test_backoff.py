"""The kubelet's back-off curves, and durations printed as Go prints them."""

import datetime as dt

import pytest

from cluster.components.kubelet.backoff import failures_after_exit, pull_delay, restart_delay
from cluster.components.kubelet.durations import go_duration

from .harness import START


def test_restarts_wait_0_then_10_s_doubling_up_to_300_s():
    assert [restart_delay(crash) for crash in range(1, 9)] == [0, 10, 20, 40, 80, 160, 300, 300]


def test_failed_pulls_wait_10_s_doubling_up_to_300_s():
    assert [pull_delay(failure) for failure in range(1, 8)] == [10, 20, 40, 80, 160, 300, 300]


def test_a_container_that_ran_10_minutes_starts_the_curve_again():
    ten_minutes_later = START + dt.timedelta(minutes=10)
    assert failures_after_exit(5, START, ten_minutes_later) == 1
    assert restart_delay(failures_after_exit(5, START, ten_minutes_later)) == 0


def test_a_container_that_crashed_sooner_climbs_the_curve():
    almost = START + dt.timedelta(minutes=10) - dt.timedelta(seconds=1)
    assert failures_after_exit(5, START, almost) == 6


@pytest.mark.parametrize(
    ("seconds", "printed"),
    [
        (0, "0s"),
        (0.25, "250ms"),
        (4, "4s"),
        (3.6214, "3.621s"),
        (10, "10s"),
        (80, "1m20s"),
        (300, "5m0s"),
        (3725.5, "1h2m5.5s"),
    ],
)
def test_durations_read_as_go_prints_them(seconds, printed):
    assert go_duration(seconds) == printed
