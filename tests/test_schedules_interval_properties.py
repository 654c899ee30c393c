"""jobdeck.schedules' rate and ISO 8601 interval expressions against the independent oracle of
tests/schedule_oracle.py, with hypothesis; and the oracle's own transitions helper."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from jobdeck.schedules import (
    parse,
)
from tests.schedule_oracle import (
    NAIVE_2000,
    NAIVE_2040,
    PARIS,
    ZONES,
    after_instants,
    fires,
    instants,
    naive,
    occurrences,
    scheduled_instant,
    transitions,
)
from tests.support import at

# ---------------------------------------------------------------- rate and ISO properties


@settings(max_examples=100, deadline=None)
@given(
    count=st.integers(1, 500),
    unit=st.sampled_from([("minute", 60), ("hour", 3600), ("day", 86_400)]),
    after=st.datetimes(min_value=NAIVE_2000, max_value=NAIVE_2040, timezones=st.just(UTC)),
    zone=st.sampled_from(ZONES),
)
def test_rate_property(count: int, unit: tuple[str, int], after: datetime, zone: str) -> None:
    name, seconds = unit
    period = timedelta(seconds=count * seconds)
    schedule = parse(f"rate({count} {name}{'s' if count > 1 else ''})", zone)
    got = [value for value in fires(schedule, after, 20) if value is not None]
    assert len(got) == 20
    assert after < got[0] <= after + period
    for earlier, later in pairwise(got):
        assert later - earlier == period
    for value in got:
        assert (value - datetime(1970, 1, 1, tzinfo=UTC)) % period == timedelta(0)
        assert value.utcoffset() == timedelta(0)


@st.composite
def iso_durations(draw: st.DrawFn, clock: bool) -> tuple[str, timedelta]:
    """An ISO 8601 duration (PnW, PnD, PTnHnMnS); with a time part when `clock` is set."""
    weeks = draw(st.integers(0, 2))
    days = draw(st.integers(0, 3))
    hours = minutes = seconds = millis = 0
    if clock:
        hours, minutes, seconds = draw(st.integers(0, 30)), draw(st.integers(0, 90)), draw(st.integers(0, 90))
        millis = draw(st.sampled_from([0, 0, 250, 828]))
        if not (hours or minutes or seconds or millis):
            minutes = 10
    elif not (weeks or days):
        days = 1
    text = "P" + (f"{weeks}W" if weeks else "") + (f"{days}D" if days else "")
    time = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or millis:
        time += f"{seconds}.{millis:03d}S" if millis else f"{seconds}S"
    if time:
        text += "T" + time
    period = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds, milliseconds=millis)
    return text, period


@settings(max_examples=100, deadline=None)
@given(
    start=st.datetimes(min_value=naive(1990, 1, 1), max_value=NAIVE_2040),
    offset_minutes=st.integers(-12 * 60, 14 * 60),
    duration=st.booleans().flatmap(iso_durations),
    repeat=st.sampled_from(["R", "R1", "R3", "R100"]),
    after=st.datetimes(min_value=NAIVE_2000, max_value=NAIVE_2040, timezones=st.just(UTC)),
    zone=st.sampled_from(ZONES),
)
def test_iso_absolute_property(
    start: datetime,
    offset_minutes: int,
    duration: tuple[str, timedelta],
    repeat: str,
    after: datetime,
    zone: str,
) -> None:
    # A start with an offset steps absolute time, whatever the zone and the duration.
    anchor = start.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    text, period = duration
    schedule = parse(f"{repeat}/{anchor.isoformat()}/{text}", zone)
    assert schedule.max_runs == (None if repeat == "R" else int(repeat[1:]))
    got = [value for value in fires(schedule, after, 20) if value is not None]
    assert len(got) == 20
    if after < anchor:
        assert got[0] == anchor
    else:
        assert after < got[0] <= after + period
    for earlier, later in pairwise(got):
        assert later - earlier == period
    for value in got:
        assert (value - anchor) % period == timedelta(0)
        assert value.utcoffset() == timedelta(0)


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    start_day=st.dates(min_value=date(2000, 1, 1), max_value=date(2038, 12, 31)),
    hour=st.sampled_from([0, 1, 2, 3, 12, 23]),
    minute=st.sampled_from([0, 15, 30, 59]),
    second=st.sampled_from([0, 0, 16]),
    micro=st.sampled_from([0, 0, 828_000]),
    days=st.sampled_from([1, 1, 2, 7, 14]),
    data=st.data(),
)
def test_iso_calendar_property(
    zone: str,
    start_day: date,
    hour: int,
    minute: int,
    second: int,
    micro: int,
    days: int,
    data: st.DataObject,
) -> None:
    # Whole days from a start without an offset: the k-th tick is the wall time start + k days,
    # placed by the DST rule.
    tz = ZoneInfo(zone)
    start = datetime.combine(start_day, datetime.min.time()).replace(
        hour=hour, minute=minute, second=second, microsecond=micro
    )
    text = f"R/{start.isoformat()}/P{days // 7}W" if days % 7 == 0 else f"R/{start.isoformat()}/P{days}D"
    schedule = parse(text, zone)
    after = data.draw(after_instants(zone), label="after")
    step = timedelta(days=days)
    # The first tick placed after `after`, found from the local calendar around it.
    k = max(0, (after.astimezone(tz).replace(tzinfo=None) - start) // step - 1)
    while scheduled_instant(start + k * step, tz) <= after:
        k += 1
    expected = [scheduled_instant(start + (k + i) * step, tz) for i in range(8)]
    assert fires(schedule, after, 8) == expected
    for value, i in zip(expected, range(8), strict=True):
        wall = start + (k + i) * step
        local = value.astimezone(tz).replace(tzinfo=None)
        assert local == wall or not occurrences(wall, tz)  # the wall time, unless in a gap


def test_transitions_helper_finds_paris_2026() -> None:
    # The oracle's own footing: Paris changes offset at 01:00 UTC on both 2026 transition days.
    found = [t for t in transitions("Europe/Paris") if t.year == 2026]
    assert found == instants("2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z")
    assert scheduled_instant(naive(2026, 3, 29, 2, 30), PARIS) == at("2026-03-29T01:00:00Z")
    assert occurrences(naive(2026, 10, 25, 2, 30), PARIS) == instants("2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z")
