"""Schedule expressions, each an object that answers `next(after)`.

Forms (`parse` picks by shape):

- cron, 5 fields `m h dom mon dow` (Debian cron), or the AWS 6-field form `m h dom mon dow year`,
  bare or wrapped in `cron(...)`, where `?` stands for "any" and day-of-week counts 1 = Sunday;
- `rate(5 minutes)`: every N minutes, hours or days, aligned on the Unix epoch;
- `R/<start>/<duration>` and `R<n>/<start>/<duration>` (ISO 8601 repeating intervals, as Pydio
  Cells writes them): ticks at start + k x duration; `n` counts runs from the first real run, so an
  old start date does not use up the repetitions;
- `at(2026-12-01T00:00:00)`: once.

Wall-clock forms (cron, `at` and day-based durations) are read in the schedule's IANA time zone.
DST rule: a wall time that does not exist (spring forward) runs once, at the first instant after
the gap; a wall time that exists twice (fall back) runs once, at its first occurrence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from jobdeck.errors import InvalidSchedule

__all__ = ["AtSchedule", "CronSchedule", "IsoRepeatSchedule", "RateSchedule", "Schedule", "parse"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A schedule that cannot produce a slot within this many candidates (for example cron with a year
# list in the past) has no next run; the bound keeps a bad expression from spinning the tick.
_MAX_CANDIDATES = 1000
# Cron iterates wall times, which are naive on purpose: the zone is applied by resolve_wall_time.
_SOME_WALL_TIME = datetime(2000, 1, 1)  # noqa: DTZ001


class Schedule(Protocol):
    expression: str
    max_runs: int | None

    def next(self, after: datetime) -> datetime | None:
        """The first fire time strictly after `after` (aware), in UTC; None when there is none."""
        ...


def parse(expression: str, timezone: str = "UTC") -> Schedule:
    tz = _zone(expression, timezone)
    text = expression.strip()
    if not text:
        raise InvalidSchedule(expression, "the expression is empty")
    try:
        return _parse(expression, text, tz)
    except OverflowError:
        raise InvalidSchedule(expression, "a date or duration is out of range (years 1-9999)") from None


def _parse(expression: str, text: str, tz: ZoneInfo) -> Schedule:
    if m := re.fullmatch(r"cron\((.*)\)", text, re.IGNORECASE | re.DOTALL):
        return CronSchedule.from_fields(expression, m.group(1).split(), tz)
    if m := re.fullmatch(r"rate\((.*)\)", text, re.IGNORECASE | re.DOTALL):
        return RateSchedule.from_text(expression, m.group(1))
    if m := re.fullmatch(r"at\((.*)\)", text, re.IGNORECASE | re.DOTALL):
        return AtSchedule(expression, _instant(expression, m.group(1).strip(), tz))
    if text.upper().startswith("R") and "/" in text:
        return IsoRepeatSchedule.from_text(expression, text, tz)
    return CronSchedule.from_fields(expression, text.split(), tz)


def zone(timezone: str) -> ZoneInfo:
    return _zone(timezone, timezone)


def _zone(expression: str, timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSchedule(expression, f"unknown time zone {timezone!r} (use an IANA name)") from None


def _instant(expression: str, text: str, tz: ZoneInfo) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidSchedule(expression, f"{text!r} is not an ISO 8601 date-time") from None
    if value.tzinfo is None:
        return resolve_wall_time(value, tz)
    return value.astimezone(UTC)


def resolve_wall_time(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a naive wall time in `tz`, following the module's DST rule."""
    first = wall.replace(tzinfo=tz, fold=0)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall:
        return first.astimezone(UTC)  # exists (once, or twice and fold=0 is the first)
    # In a gap, fold=1 reads the wall time with the offset after the transition and fold=0 with the
    # one before; the transition lies between the two readings. Bisect to the (whole) second.
    lo, hi = sorted(int(wall.replace(tzinfo=tz, fold=f).timestamp()) for f in (0, 1))
    after_offset = datetime.fromtimestamp(hi, tz).utcoffset()
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).utcoffset() == after_offset:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


# ---------------------------------------------------------------- cron

_AWS_DOW = re.compile(r"(?<![#/\d])(\d+)(?!\d)")
_AWS_DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
# The years the AWS form accepts.
_FIRST_YEAR, _LAST_YEAR = 1970, 2199


@dataclass
class CronSchedule:
    expression: str
    fields: str  # five Debian-cron fields, as cronsim reads them
    tz: ZoneInfo
    years: frozenset[int] | None = None
    max_runs: int | None = None

    @classmethod
    def from_fields(cls, expression: str, fields: list[str], tz: ZoneInfo) -> CronSchedule:
        years: frozenset[int] | None = None
        if len(fields) == 6:
            fields, years = _aws_fields(expression, fields)
        elif len(fields) != 5:
            raise InvalidSchedule(
                expression,
                f"cron needs 5 fields (minute hour day-of-month month day-of-week) or the AWS form "
                f"with 6 (... year); got {len(fields)}",
            )
        text = " ".join(_single_value_steps(f.replace("?", "*")) for f in fields)
        try:
            CronSim(text, _SOME_WALL_TIME)
        except CronSimError as exc:
            raise InvalidSchedule(expression, str(exc)) from None
        return cls(expression, text, tz, years)

    def next(self, after: datetime) -> datetime | None:
        try:
            return self._next(after)
        except OverflowError:  # the search ran past year 9999
            return None

    def _next(self, after: datetime) -> datetime | None:
        # Iterate wall times (naive, so cronsim applies no DST quirks of its own), then place each in
        # the zone. A wall time can land before `after` (the second pass of a repeated hour), hence
        # the loop.
        start = after.astimezone(self.tz).replace(tzinfo=None)
        candidates = CronSim(self.fields, start)
        for _ in range(_MAX_CANDIDATES):
            try:
                wall = next(candidates)
            except StopIteration:
                return None
            if self.years is not None and wall.year not in self.years:
                later = [y for y in self.years if y > wall.year]
                if not later:
                    return None
                new_year = _SOME_WALL_TIME.replace(year=min(later))
                candidates = CronSim(self.fields, new_year - timedelta(seconds=1))
                continue
            instant = resolve_wall_time(wall, self.tz)
            if instant > after:
                return instant
        return None

    def explain(self) -> str:
        return CronSim(self.fields, _SOME_WALL_TIME).explain()


def _single_value_steps(field: str) -> str:
    """Write `a-a/n` as `a`: cronsim reads a range of one value before a step as `a/n`, that is
    from `a` to the end of the field, where Debian cron means the single value."""
    terms = []
    for term in field.split(","):
        m = re.fullmatch(r"([0-9]+|[A-Za-z]+)-([0-9]+|[A-Za-z]+)/0*[1-9][0-9]*", term)
        if m:
            first, last = m.group(1).upper(), m.group(2).upper()
            if first == last or (first.isdigit() and last.isdigit() and int(first) == int(last)):
                term = m.group(1)
        terms.append(term)
    return ",".join(terms)


def _aws_fields(expression: str, fields: list[str]) -> tuple[list[str], frozenset[int] | None]:
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise InvalidSchedule(
            expression, "in the AWS 6-field form exactly one of day-of-month and day-of-week must be '?'"
        )

    def shift(m: re.Match[str]) -> str:
        value = int(m.group(1))
        if not 1 <= value <= 7:
            raise InvalidSchedule(expression, f"day-of-week {value} is out of range 1-7 (1 = Sunday)")
        return str(value - 1)

    def start_step(term: str) -> str:
        # `2/2` counts from Monday up to 7 (Saturday) in AWS numbering, where cronsim would carry the
        # shifted `1/2` on to its own 7, Sunday again. Spell the days out.
        m = re.fullmatch(r"([0-9]+|[A-Za-z]{3})/0*([1-9][0-9]*)", term)
        if not m:
            return term
        start = m.group(1).upper()
        if start.isdigit():
            first = int(start)
        elif start in _AWS_DAY_NAMES:
            first = _AWS_DAY_NAMES.index(start) + 1
        else:
            return term  # not a day: cronsim rejects it
        return ",".join(str(day) for day in range(first, 8, int(m.group(2)))) or term  # 8/2 is refused

    if dow != "?":
        dow = _AWS_DOW.sub(shift, ",".join(start_step(term) for term in dow.split(",")))
    return [minute, hour, dom, month, dow], _years(expression, year)


def _years(expression: str, field: str) -> frozenset[int] | None:
    if field in ("*", "?"):
        return None
    years: set[int] = set()
    for term in field.split(","):
        m = re.fullmatch(r"(\d{4})(?:-(\d{4}))?(?:/(\d+))?", term)
        if (
            not m
            or (m.group(2) and int(m.group(2)) < int(m.group(1)))
            or (m.group(3) and int(m.group(3)) == 0)
            or not _FIRST_YEAR <= int(m.group(1)) <= int(m.group(2) or m.group(1)) <= _LAST_YEAR
        ):
            raise InvalidSchedule(expression, f"bad year {term!r} (years run {_FIRST_YEAR}-{_LAST_YEAR})")
        first = int(m.group(1))
        last = int(m.group(2) or (_LAST_YEAR if m.group(3) else first))
        years.update(range(first, last + 1, int(m.group(3) or 1)))
    return frozenset(years)


# ---------------------------------------------------------------- rate

_UNITS = {"minute": 60, "hour": 3600, "day": 86_400}


@dataclass
class RateSchedule:
    expression: str
    period: timedelta
    max_runs: int | None = None

    @classmethod
    def from_text(cls, expression: str, body: str) -> RateSchedule:
        m = re.fullmatch(r"\s*(\d+)\s+(minute|hour|day)s?\s*", body, re.IGNORECASE)
        if not m or int(m.group(1)) == 0:
            raise InvalidSchedule(expression, "rate needs a positive count and a unit: rate(5 minutes)")
        return cls(expression, timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2).lower()]))

    def next(self, after: datetime) -> datetime | None:
        elapsed = after - EPOCH
        try:
            return EPOCH + (elapsed // self.period + 1) * self.period
        except OverflowError:  # past year 9999
            return None


# ---------------------------------------------------------------- ISO 8601 repeating interval

_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?"
)


@dataclass
class IsoRepeatSchedule:
    """Ticks at start + k x period. Whole-day periods from a start without an offset step the wall
    clock of the zone (daily at 02:30 stays at 02:30 across DST); others step absolute time."""

    expression: str
    start: datetime  # UTC, or naive wall time when `calendar` is set
    period: timedelta
    tz: ZoneInfo
    calendar: bool
    max_runs: int | None

    @classmethod
    def from_text(cls, expression: str, text: str, tz: ZoneInfo) -> IsoRepeatSchedule:
        parts = text.split("/")
        if len(parts) != 3 or not re.fullmatch(r"R\d*", parts[0], re.IGNORECASE):
            raise InvalidSchedule(expression, "expected R/<start>/<duration> or R<n>/<start>/<duration>")
        count = int(parts[0][1:]) if len(parts[0]) > 1 else None
        if count == 0:
            raise InvalidSchedule(expression, "R0 never runs")
        m = _DURATION.fullmatch(parts[2].upper())
        if not m or not any(m.groupdict().values()):
            raise InvalidSchedule(expression, f"{parts[2]!r} is not a supported ISO 8601 duration (PnW, PnD, PTnHnMnS)")
        amounts = {k: float(v) if v else 0.0 for k, v in m.groupdict().items()}
        period = timedelta(**amounts)
        if period <= timedelta(0):
            raise InvalidSchedule(expression, "the duration must be longer than zero")
        try:
            start = datetime.fromisoformat(parts[1])
        except ValueError:
            raise InvalidSchedule(expression, f"{parts[1]!r} is not an ISO 8601 date-time") from None
        # Whole days from a start without an offset follow the zone's wall clock; anything else
        # (hours in the period, or an offset pinning the start) steps absolute time.
        if start.tzinfo is None and not (amounts["hours"] or amounts["minutes"] or amounts["seconds"]):
            return cls(expression, start, period, tz, True, count)
        if start.tzinfo is None:
            start = resolve_wall_time(start, tz)
        return cls(expression, start.astimezone(UTC), period, tz, False, count)

    def next(self, after: datetime) -> datetime | None:
        try:
            return self._next(after)
        except OverflowError:  # past year 9999
            return None

    def _next(self, after: datetime) -> datetime | None:
        if not self.calendar:
            if after < self.start:
                return self.start
            return self.start + ((after - self.start) // self.period + 1) * self.period
        wall_after = after.astimezone(self.tz).replace(tzinfo=None)
        k = max(0, (wall_after - self.start) // self.period)
        for step in range(k, k + _MAX_CANDIDATES):
            instant = resolve_wall_time(self.start + step * self.period, self.tz)
            if instant > after:
                return instant
        return None


# ---------------------------------------------------------------- at


@dataclass
class AtSchedule:
    expression: str
    when: datetime
    max_runs: int | None = 1

    def next(self, after: datetime) -> datetime | None:
        return self.when if self.when > after else None


def preview(schedule: Schedule, after: datetime, count: int) -> list[datetime]:
    """The next `count` fire times after `after` (fewer when the schedule ends)."""
    times: list[datetime] = []
    current: datetime | None = after
    while len(times) < count and current is not None:
        current = schedule.next(current)
        if current is not None:
            times.append(current)
    if schedule.max_runs is not None:
        times = times[: schedule.max_runs]
    return times


def describe(schedule: Schedule) -> str | None:
    """The schedule in words, for people ("At 00:00 on day 1 of the month")."""
    if isinstance(schedule, CronSchedule):
        return schedule.explain()
    if isinstance(schedule, RateSchedule):
        return f"Every {_duration(schedule.period)}"
    if isinstance(schedule, IsoRepeatSchedule):
        times = f", {schedule.max_runs} times" if schedule.max_runs else ""
        return f"Every {_duration(schedule.period)} from {schedule.start.isoformat()}{times}"
    if isinstance(schedule, AtSchedule):
        return f"Once, at {schedule.when.isoformat()}"
    return None


def _duration(period: timedelta) -> str:
    seconds = int(period.total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}" if n != 1 else unit
    return f"{seconds} seconds"
