"""What the tests of jobdeck.schedules share: naive wall times, a schedule's fire times, and the
independent oracle the property tests check the code against.

Expected instants are worked out by hand (calendar facts are noted next to them); the property
tests check the code against the module's documented rules through an independent oracle built on
zoneinfo alone, never against `resolve_wall_time` or another schedule.

Calendar facts the tests use: 2026-01-01 is a Thursday, so 2026-12-01 is a Tuesday and 2027-01-01 a
Friday. Europe/Paris springs forward on 2026-03-29 (02:00 CET -> 03:00 CEST, 01:00 UTC) and falls
back on 2026-10-25 (03:00 CEST -> 02:00 CET, 01:00 UTC). America/New_York springs forward on
2026-03-08 (07:00 UTC) and falls back on 2026-11-01 (06:00 UTC). Australia/Lord_Howe (+10:30
standard, +11 summer) springs forward on 2026-10-04 (02:00 -> 02:30, 2026-10-03 15:30 UTC) and
falls back on 2026-04-05 (02:00 -> 01:30, 2026-04-04 15:00 UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from jobdeck.schedules import (
    Schedule,
)
from tests.support import at

PARIS = ZoneInfo("Europe/Paris")


def naive(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    micro: int = 0,
    fold: int = 0,
) -> datetime:
    """A naive wall-clock time: no zone on purpose, the code under test applies one."""
    return datetime(year, month, day, hour, minute, second, micro, fold=fold)  # noqa: DTZ001


NAIVE_2000, NAIVE_2040 = naive(2000, 1, 1), naive(2040, 1, 1)


def fires(schedule: Schedule, after: datetime, count: int) -> list[datetime | None]:
    """`count` successive next() values from `after`, stopping after the first None."""
    out: list[datetime | None] = []
    current: datetime | None = after
    while current is not None and len(out) < count:
        current = schedule.next(current)
        out.append(current)
    return out


def fires_between(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    """Every fire time in [start, end)."""
    out: list[datetime] = []
    current = schedule.next(start - timedelta(microseconds=1))
    while current is not None and current < end:
        out.append(current)
        current = schedule.next(current)
    return out


def instants(*texts: str | None) -> list[datetime | None]:
    return [None if t is None else at(t) for t in texts]


# ---------------------------------------------------------------- oracle for the properties


def occurrences(wall: datetime, tz: ZoneInfo) -> list[datetime]:
    """The UTC instants at which the clocks of `tz` show `wall` (none in a gap, two in a repeat)."""
    found = set()
    for fold in (0, 1):
        instant = wall.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) == wall.replace(fold=0):
            found.add(instant)
    return sorted(found)


def scheduled_instant(wall: datetime, tz: ZoneInfo) -> datetime:
    """Where the DST rule puts a wall time: its first occurrence, or for a wall time in a gap the
    first instant after the gap: the transition between the wall time read with the offset after
    it and with the offset before it, or else the first existing wall time after it (gaps start
    and end on whole minutes)."""
    if found := occurrences(wall, tz):
        return found[0]
    lo, hi = sorted(wall.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1))
    for transition in transitions(tz.key):
        if lo < transition <= hi:
            return transition
    probe = wall.replace(second=0, microsecond=0)
    for _ in range(3 * 60):
        probe += timedelta(minutes=1)
        if found := occurrences(probe, tz):
            return found[0]
    raise AssertionError(f"no end to the gap around {wall}")


@cache
def transitions(zone: str) -> tuple[datetime, ...]:
    """UTC offset changes of `zone` between 2000 and 2040, to the second."""
    tz = ZoneInfo(zone)
    found = []
    step = timedelta(days=2)  # no zone here changes twice within two days
    current = datetime(2000, 1, 1, tzinfo=UTC)
    offset = current.astimezone(tz).utcoffset()
    while current < datetime(2040, 1, 1, tzinfo=UTC):
        following = current + step
        if (new := following.astimezone(tz).utcoffset()) != offset:
            lo, hi = current, following
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if mid.astimezone(tz).utcoffset() == offset:
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
            offset = new
        current = following
    return tuple(found)


ZONES = [
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",  # 30-minute shifts
    "Antarctica/Troll",  # 2-hour shifts
    "America/Sao_Paulo",  # DST at midnight until 2019
    "America/Santiago",  # southern hemisphere, midnight shifts
    "Pacific/Apia",  # a whole day skipped in 2011
    "America/St_Johns",  # -03:30
    "Africa/Casablanca",  # an hour back during Ramadan
]


@st.composite
def after_instants(draw: st.DrawFn, zone: str) -> datetime:
    """An instant between 2000 and 2040, half the time within two days of a DST transition."""
    near = transitions(zone)
    if len(near) > 0 and draw(st.booleans()):
        base = draw(st.sampled_from(near))
        offset = timedelta(minutes=draw(st.integers(-2 * 24 * 60, 2 * 24 * 60)))
        jitter = timedelta(microseconds=draw(st.sampled_from([0, 0, -1, 1, 500_000])))
        return base + offset + jitter
    return draw(st.datetimes(min_value=NAIVE_2000, max_value=NAIVE_2040, timezones=st.just(UTC)))
