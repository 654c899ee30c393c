"""jobdeck.schedules' cron expressions against an independent oracle (tests/schedule_oracle.py,
built on zoneinfo alone, never on `resolve_wall_time` or another schedule), with hypothesis."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from jobdeck.schedules import (
    parse,
)
from tests.schedule_oracle import (
    NAIVE_2000,
    NAIVE_2040,
    ZONES,
    after_instants,
    naive,
    occurrences,
    scheduled_instant,
    transitions,
)

# ---------------------------------------------------------------- cron properties

DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


@dataclass(frozen=True)
class CronFields:
    """A generated cron expression and what it means, worked out apart from the code under test."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    nth: frozenset[tuple[int, int]]  # (weekday, n): the n-th such weekday of the month
    last: frozenset[int]  # the last such weekday of the month
    day_and: bool  # Debian: both day fields restricted means OR, else AND

    def day_matches(self, d: date) -> bool:
        weekday = (d.weekday() + 1) % 7
        next_month = (d.replace(day=1) + timedelta(days=32)).replace(day=1)
        by_week = (
            weekday in self.weekdays
            or (weekday, (d.day - 1) // 7 + 1) in self.nth
            or (weekday in self.last and d + timedelta(days=7) >= next_month)
        )
        by_month = d.day in self.days
        return (by_month and by_week) if self.day_and else (by_month or by_week)

    def matches(self, wall: datetime) -> bool:
        return (
            wall.second == 0
            and wall.microsecond == 0
            and wall.minute in self.minutes
            and wall.hour in self.hours
            and wall.month in self.months
            and self.day_matches(wall.date())
        )

    def walls(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Matching wall times in (start, end]."""
        minutes, hours = sorted(self.minutes), sorted(self.hours)
        day = start.date()
        while day <= end.date():
            if day.month not in self.months:
                day = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
                continue
            if self.day_matches(day):
                for hour in hours:
                    top = naive(day.year, day.month, day.day, hour)
                    if top + timedelta(minutes=59) <= start or top > end:
                        continue
                    for minute in minutes:
                        wall = top.replace(minute=minute)
                        if start < wall <= end:
                            yield wall
            day += timedelta(days=1)


@st.composite
def field(
    draw: st.DrawFn,
    lo: int,
    hi: int,
    value_hi: int | None = None,
    names: list[str] | None = None,
    name_base: int = 0,
) -> tuple[str, set[int]]:
    """One Debian cron field: `*`, or a list of values, ranges and steps; values up to value_hi."""
    top = hi if value_hi is None else value_hi
    if draw(st.integers(0, 3)) == 0:
        return "*", set(range(lo, hi + 1))

    def show(value: int) -> str:
        if names and 0 <= value - name_base < len(names) and draw(st.booleans()):
            return names[value - name_base].lower() if draw(st.booleans()) else names[value - name_base]
        return str(value)

    texts, values = [], set()
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["value", "value", "range", "star-step", "range-step"]))
        if kind == "value":
            v = draw(st.integers(lo, top))
            texts.append(show(v))
            values.add(v)
        elif kind == "star-step":
            step = draw(st.integers(1, hi - lo + 1))
            texts.append(f"*/{step}")
            values.update(range(lo, hi + 1, step))
        else:
            a, b = sorted(draw(st.lists(st.integers(lo, top), min_size=2, max_size=2)))
            if kind == "range":
                texts.append(f"{show(a)}-{show(b)}")
                values.update(range(a, b + 1))
            else:
                step = draw(st.integers(1, b - a + 1))
                texts.append(f"{a}-{b}/{step}")
                values.update(range(a, b + 1, step))
    return ",".join(texts), values


@st.composite
def aws_weekday_field(draw: st.DrawFn) -> tuple[str, set[int], set[tuple[int, int]], set[int]]:
    """The AWS day-of-week field (1 = Sunday ... 7 = Saturday), with L and #; meanings 0 = Sunday."""
    if draw(st.integers(0, 4)) == 0:
        return "*", set(range(7)), set(), set()

    def show(value: int) -> str:  # AWS value 1..7
        return DAY_NAMES[value - 1] if draw(st.booleans()) else str(value)

    texts: list[str] = []
    plain: set[int] = set()
    nth: set[tuple[int, int]] = set()
    last: set[int] = set()
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["value", "range", "star-step", "range-step", "start-step", "nth", "last"]))
        v = draw(st.integers(1, 7))
        if kind == "value":
            texts.append(show(v))
            plain.add(v - 1)
        elif kind == "nth":
            n = draw(st.integers(1, 4))
            texts.append(f"{show(v)}#{n}")
            nth.add((v - 1, n))
        elif kind == "last":
            texts.append(f"{v}L")
            last.add(v - 1)
        elif kind == "star-step":
            step = draw(st.integers(1, 7))
            texts.append(f"*/{step}")
            plain.update(x - 1 for x in range(1, 8, step))
        elif kind == "start-step":
            step = draw(st.integers(1, 7))
            texts.append(f"{show(v)}/{step}")
            plain.update(x - 1 for x in range(v, 8, step))
        else:
            b = draw(st.integers(v, 7))
            if kind == "range":
                texts.append(f"{show(v)}-{show(b)}")
                plain.update(x - 1 for x in range(v, b + 1))
            else:
                step = draw(st.integers(1, b - v + 1))
                texts.append(f"{v}-{b}/{step}")
                plain.update(x - 1 for x in range(v, b + 1, step))
    return ",".join(texts), plain, nth, last


@st.composite
def cron_fields(draw: st.DrawFn) -> CronFields:
    minute, minutes = draw(field(0, 59))
    hour, hours = draw(field(0, 23))
    # Days of the month up to 28 keep every month/day combination possible (31 and L have examples).
    dom, days = draw(field(1, 31, value_hi=28))
    month, months = draw(field(1, 12, names=MONTH_NAMES, name_base=1))
    if draw(st.booleans()):  # AWS: exactly one of the day fields is "?", and AND them
        nth: set[tuple[int, int]] = set()
        last: set[int] = set()
        if draw(st.booleans()):
            dow, weekdays, nth, last = draw(aws_weekday_field())
            dom, days = "?", set(range(1, 32))
        else:
            dow, weekdays = "?", set(range(7))
        text = f"{minute} {hour} {dom} {month} {dow} *"
        if draw(st.booleans()):
            text = f"cron({text})"
        return CronFields(
            text,
            frozenset(minutes),
            frozenset(hours),
            frozenset(days),
            frozenset(months),
            frozenset(weekdays),
            frozenset(nth),
            frozenset(last),
            day_and=True,
        )
    dow, raw_weekdays = draw(field(0, 7, names=DAY_NAMES))
    dom_text = draw(st.sampled_from([dom, dom.replace("*", "?", 1)])) if dom == "*" else dom
    return CronFields(
        f"{minute} {hour} {dom_text} {month} {dow}",
        frozenset(minutes),
        frozenset(hours),
        frozenset(days),
        frozenset(months),
        frozenset(v % 7 for v in raw_weekdays),
        frozenset(),
        frozenset(),
        day_and=dom.startswith("*") or dow.startswith("*"),
    )


# The largest backward jump of a clock among ZONES (Troll: 2 hours), with room to spare.
MAX_REPEAT = timedelta(hours=3)


def check_cron(cron: CronFields, zone: str, after: datetime) -> None:
    """20 successive fire times from `after`, checked against the fields and the DST rule."""
    tz = ZoneInfo(zone)
    schedule = parse(cron.text, zone)
    got: list[datetime] = []
    current = after
    for _ in range(20):
        following = schedule.next(current)
        assert following is not None, f"{cron.text} stopped after {current}"
        got.append(following)
        current = following

    # strictly increasing, aware UTC
    for earlier, later in pairwise([after, *got]):
        assert earlier < later
    assert all(value.utcoffset() == timedelta(0) for value in got)

    for fire in got:
        local = fire.astimezone(tz)
        wall = local.replace(tzinfo=None)
        if cron.matches(wall):
            # A wall time that exists twice runs at its first occurrence.
            assert fire == occurrences(wall, tz)[0], f"{cron.text}: {fire} is a second occurrence"
        else:
            # Only a wall time swallowed by a spring-forward gap runs at another wall time: the
            # first instant after that gap, where the UTC offset has just grown.
            before = (fire - timedelta(seconds=1)).astimezone(tz)
            offset_before, offset_at = before.utcoffset(), local.utcoffset()
            assert offset_before is not None and offset_at is not None
            assert offset_before < offset_at, f"{cron.text}: {fire} ({wall}) does not match"
            swallowed = list(cron.walls(before.replace(tzinfo=None), wall - timedelta(seconds=1)))
            assert swallowed, f"{cron.text}: no matching wall time in the gap before {wall}"

    # No skipped slot: no matching wall time is placed by the DST rule strictly between two
    # successive values (nor between `after` and the first). Wall times at or before `earlier`'s
    # wall time are placed at or before it, hence the window.
    for earlier, later in pairwise([after, *got]):
        window_start = earlier.astimezone(tz).replace(tzinfo=None)
        window_end = later.astimezone(tz).replace(tzinfo=None) + MAX_REPEAT
        for wall in cron.walls(window_start, window_end):
            placed = scheduled_instant(wall, tz)
            assert not earlier < placed < later, f"{cron.text}: {wall} ({placed}) skipped"


@settings(max_examples=70, deadline=None)
@given(cron=cron_fields(), zone=st.sampled_from(ZONES), data=st.data())
def test_cron_property(cron: CronFields, zone: str, data: st.DataObject) -> None:
    check_cron(cron, zone, data.draw(after_instants(zone), label="after"))


@settings(max_examples=40, deadline=None)
@given(
    dow=aws_weekday_field(),
    zone=st.sampled_from(ZONES),
    after=st.datetimes(min_value=NAIVE_2000, max_value=NAIVE_2040, timezones=st.just(UTC)),
)
@example(dow=("2/2", {1, 3, 5}, set(), set()), zone="UTC", after=datetime(2026, 12, 1, tzinfo=UTC))
@example(dow=("TUE/3,SUN", {0, 2, 5}, set(), set()), zone="UTC", after=datetime(2026, 12, 1, tzinfo=UTC))
@example(dow=("6/1", {5, 6}, set(), set()), zone="Europe/Paris", after=datetime(2026, 12, 1, tzinfo=UTC))
def test_aws_day_of_week_property(
    dow: tuple[str, set[int], set[tuple[int, int]], set[int]], zone: str, after: datetime
) -> None:
    # One run a day at noon on the days the AWS field names: 20 runs span at least three weeks.
    text, weekdays, nth, last = dow
    cron = CronFields(
        f"cron(0 12 ? * {text} *)",
        frozenset({0}),
        frozenset({12}),
        frozenset(range(1, 32)),
        frozenset(range(1, 13)),
        frozenset(weekdays),
        frozenset(nth),
        frozenset(last),
        day_and=True,
    )
    check_cron(cron, zone, after)


DST_ZONES = [zone for zone in ZONES if zone not in ("UTC", "Asia/Kolkata")]


DENSE_MINUTES = {
    "*": range(60),
    "*/5": range(0, 60, 5),
    "*/15": range(0, 60, 15),
    "0,30": (0, 30),
    "10-20/5": (10, 15, 20),
    "59": (59,),
    "0": (0,),
}


@st.composite
def dense_cron_fields(draw: st.DrawFn) -> CronFields:
    """Expressions that run every hour, so that 20 runs from a few hours before a transition reach
    into the gap or the repeat."""
    minutes = draw(st.sampled_from(sorted(DENSE_MINUTES)))
    text = draw(st.sampled_from(["{} * * * *", "{} * ? * *", "cron({} * ? * * *)", "{} * * * ? *"]))
    return CronFields(
        text.format(minutes),
        frozenset(DENSE_MINUTES[minutes]),
        frozenset(range(24)),
        frozenset(range(1, 32)),
        frozenset(range(1, 13)),
        frozenset(range(7)),
        frozenset(),
        frozenset(),
        day_and=True,
    )


@settings(max_examples=60, deadline=None)
@given(cron=dense_cron_fields(), zone=st.sampled_from(DST_ZONES), data=st.data())
def test_cron_dst_property(cron: CronFields, zone: str, data: st.DataObject) -> None:
    # From up to four hours before a transition (or just after it) into and across it.
    transition = data.draw(st.sampled_from(transitions(zone)), label="transition")
    offset = timedelta(minutes=data.draw(st.integers(-240, 60), label="minutes"))
    jitter = timedelta(microseconds=data.draw(st.sampled_from([0, 0, -1, 1, 500_000]), label="jitter"))
    check_cron(cron, zone, transition + offset + jitter)
