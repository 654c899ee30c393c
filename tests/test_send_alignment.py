"""The tick sends each delayed message when its slot is a whole number of seconds away (less
lifecycle.ALIGN_EARLY), so that SQS's whole-second delay brings it on its slot's second and the
runner hardly waits in Lambda; a burst of sends shares one such wait, the waits of one tick have a
budget, and the API's blocks never wait."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from jobdeck import jobs, lifecycle, tasks
from jobdeck import run_queue as queue_messages  # the `run_queue` fixture is the queue itself
from jobdeck import tick as tick_module
from jobdeck.tick import tick
from tests.support import at, make_job

SLOT = at("2026-11-25T10:00:00Z")


class Clock:
    """The tick's monotonic clock and lifecycle's sleep as one: a wait moves the clock on."""

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.elapsed += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(tick_module, "clock", fake)
    monkeypatch.setattr(lifecycle, "sleep", fake.sleep)
    monkeypatch.setattr(lifecycle, "ALIGN_EARLY", 0.0)  # the aligned sends, which the stack ships off
    return fake


@pytest.fixture
def sends(monkeypatch):
    """(instant the delays were counted from, DelaySeconds of each message) of every send."""
    seen: list[tuple[datetime, list[int]]] = []
    real = queue_messages.send

    def spy(messages, now, settings=None):
        seen.append((now, [queue_messages.delay_seconds(m.due, now) for m in messages]))
        return real(messages, now, settings)

    monkeypatch.setattr(queue_messages, "send", spy)
    return seen


def _arrivals(sent: list[tuple[datetime, list[int]]]) -> list[datetime]:
    return [now + timedelta(seconds=delay) for now, delays in sent for delay in delays]


def test_the_tick_waits_until_its_slot_is_whole_seconds_away_then_sends(aws, run_queue, clock, sends):
    jobs.create(make_job("punctual", "0 * * * *"), now=SLOT - timedelta(hours=1))
    with time_machine.travel(SLOT - timedelta(seconds=59.6), tick=False):  # 09:59:00.4
        assert tick().queued == 1
    assert clock.waits == [pytest.approx(0.6 - lifecycle.ALIGN_EARLY)]
    [arrival] = _arrivals(sends)
    assert arrival == SLOT - timedelta(seconds=lifecycle.ALIGN_EARLY)  # not 0.6 s early


def test_a_burst_of_sends_shares_one_wait_and_comes_at_most_a_span_late(aws, run_queue, clock, sends, monkeypatch):
    for n in range(25):
        jobs.create(make_job(f"burst-{n:02}", "0 * * * *"), now=SLOT - timedelta(hours=1))
    real = queue_messages.send

    def slow(messages, now, settings=None):  # each request takes 0.1 s
        clock.elapsed += 0.1
        return real(messages, now, settings)

    monkeypatch.setattr(queue_messages, "send", slow)
    with time_machine.travel(SLOT - timedelta(seconds=59.6), tick=False):
        assert tick().queued == 25
    assert len(clock.waits) == 1 and len(sends) == 3
    arrivals = _arrivals(sends)
    assert set(arrivals) == {SLOT - timedelta(seconds=lifecycle.ALIGN_EARLY)}  # counted from one instant
    assert clock.elapsed - sum(clock.waits) == pytest.approx(0.3)  # sent 0.1 and 0.2 s after it: that late


def test_a_tick_past_its_budget_of_waits_sends_at_once(aws, run_queue, clock, sends, monkeypatch):
    monkeypatch.setattr(lifecycle, "ALIGN_BUDGET", 0.1)
    jobs.create(make_job("punctual", "0 * * * *"), now=SLOT - timedelta(hours=1))
    with time_machine.travel(SLOT - timedelta(seconds=59.6), tick=False):
        assert tick().queued == 1
    assert clock.waits == []
    assert _arrivals(sends) == [SLOT - timedelta(seconds=0.6)]  # early: its runner waits, as before


def test_a_slot_less_than_a_second_away_and_the_apis_sends_go_at_once(aws, run_queue, clock, sends):
    jobs.create(make_job("close", "0 * * * *"), now=SLOT - timedelta(hours=1))
    jobs.create(make_job("clicked", None))
    with time_machine.travel(SLOT - timedelta(seconds=0.6), tick=False):
        assert tick().queued == 1
        tasks.run_now("clicked")
    assert clock.waits == []
    assert [delays for _, delays in sends] == [[0], [0]]


def test_by_default_the_tick_sends_at_once_and_the_runner_waits_for_the_slot(aws, run_queue, clock, sends, monkeypatch):
    monkeypatch.setattr(lifecycle, "ALIGN_EARLY", 1.0)  # what the stack ships (lifecycle.ALIGN_EARLY)
    jobs.create(make_job("punctual", "0 * * * *"), now=SLOT - timedelta(hours=1))
    with time_machine.travel(SLOT - timedelta(seconds=59.6), tick=False):
        assert tick().queued == 1
    assert clock.waits == []
    assert _arrivals(sends) == [SLOT - timedelta(seconds=0.6)]
