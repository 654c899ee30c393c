"""jobdeck.schedules: every expression form, time zones, the DST rule, errors, and properties.

Expected instants are worked out by hand (calendar facts are noted next to them); the property
tests check the code against the module's documented rules through an independent oracle built on
zoneinfo alone, never against `resolve_wall_time` or another schedule.

Calendar facts used below: 2026-01-01 is a Thursday, so 2026-12-01 is a Tuesday and 2027-01-01 a
Friday. Europe/Paris springs forward on 2026-03-29 (02:00 CET -> 03:00 CEST, 01:00 UTC) and falls
back on 2026-10-25 (03:00 CEST -> 02:00 CET, 01:00 UTC). America/New_York springs forward on
2026-03-08 (07:00 UTC) and falls back on 2026-11-01 (06:00 UTC). Australia/Lord_Howe (+10:30
standard, +11 summer) springs forward on 2026-10-04 (02:00 -> 02:30, 2026-10-03 15:30 UTC) and
falls back on 2026-04-05 (02:00 -> 01:30, 2026-04-04 15:00 UTC).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from jobdeck.errors import InvalidSchedule
from jobdeck.schedules import (
    AtSchedule,
    CronSchedule,
    IsoRepeatSchedule,
    RateSchedule,
    Schedule,
    parse,
    resolve_wall_time,
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


# ---------------------------------------------------------------- forms


@pytest.mark.parametrize(
    ("expression", "zone", "after", "expected"),
    [
        # 5-field cron
        ("30 2 * * *", "UTC", "2026-12-01T00:00:00Z", ["2026-12-01T02:30:00Z", "2026-12-02T02:30:00Z"]),
        ("30 2 * * *", "UTC", "2026-12-01T02:30:00Z", ["2026-12-02T02:30:00Z"]),  # strictly after
        (
            "*/10 * * * *",
            "UTC",
            "2026-12-01T00:05:30Z",
            ["2026-12-01T00:10:00Z", "2026-12-01T00:20:00Z", "2026-12-01T00:30:00Z"],
        ),
        ("*/10 * * * *", "UTC", "2026-12-01T23:55:00.5Z", ["2026-12-02T00:00:00Z"]),
        ("0 0 1 * *", "UTC", "2026-12-01T00:00:00Z", ["2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z"]),
        (
            "0 0 31 * *",  # months without a 31st are skipped
            "UTC",
            "2026-12-01T00:00:00Z",
            ["2026-12-31T00:00:00Z", "2027-01-31T00:00:00Z", "2027-03-31T00:00:00Z", "2027-05-31T00:00:00Z"],
        ),
        (
            "0 9 * * MON,WED",
            "UTC",
            "2026-12-01T00:00:00Z",
            ["2026-12-02T09:00:00Z", "2026-12-07T09:00:00Z", "2026-12-09T09:00:00Z"],
        ),
        ("0 9 * * 0", "UTC", "2026-12-01T00:00:00Z", ["2026-12-06T09:00:00Z"]),  # Debian: 0 = Sunday
        ("0 9 * * 7", "UTC", "2026-12-01T00:00:00Z", ["2026-12-06T09:00:00Z"]),  # and so is 7
        ("0 9 * jan,FEB sun", "UTC", "2026-12-01T00:00:00Z", ["2027-01-03T09:00:00Z"]),
        (
            "0 0 13 * FRI",  # Debian: both day fields restricted means day-of-month OR day-of-week
            "UTC",
            "2026-12-01T00:00:00Z",
            ["2026-12-04T00:00:00Z", "2026-12-11T00:00:00Z", "2026-12-13T00:00:00Z", "2026-12-18T00:00:00Z"],
        ),
        (
            "0 0 */10 * FRI",  # ... but a day field starting with * makes it AND
            "UTC",
            "2026-12-01T00:00:00Z",
            ["2026-12-11T00:00:00Z", "2027-01-01T00:00:00Z"],
        ),
        ("0 12 * * *", "UTC", "2026-12-01T12:00:00+09:00", ["2026-12-01T12:00:00Z"]),  # aware, any offset
        # AWS 6-field form, wrapped or bare; day-of-week 1 = Sunday
        (
            "cron(0 12 ? * MON-FRI *)",
            "UTC",
            "2026-12-03T00:00:00Z",
            ["2026-12-03T12:00:00Z", "2026-12-04T12:00:00Z", "2026-12-07T12:00:00Z"],
        ),
        (
            "0 12 ? * MON-FRI *",
            "UTC",
            "2026-12-03T00:00:00Z",
            ["2026-12-03T12:00:00Z", "2026-12-04T12:00:00Z", "2026-12-07T12:00:00Z"],
        ),
        ("CRON(0 12 ? * 2-6 *)", "UTC", "2026-12-04T12:00:00Z", ["2026-12-07T12:00:00Z"]),  # 2-6 = MON-FRI
        ("cron(0 9 ? * 1 *)", "UTC", "2026-12-01T00:00:00Z", ["2026-12-06T09:00:00Z"]),  # 1 = Sunday
        ("cron(0 9 ? * 7 *)", "UTC", "2026-12-01T00:00:00Z", ["2026-12-05T09:00:00Z"]),  # 7 = Saturday
        (
            "cron(0 9 ? * 1-7/2 *)",  # Sun, Tue, Thu, Sat
            "UTC",
            "2026-12-01T09:00:00Z",
            ["2026-12-03T09:00:00Z", "2026-12-05T09:00:00Z", "2026-12-06T09:00:00Z", "2026-12-08T09:00:00Z"],
        ),
        (
            "cron(0 9 ? * 2/2 *)",  # from Monday every other day: Mon, Wed, Fri (AWS numbering ends at 7)
            "UTC",
            "2026-12-01T09:00:00Z",
            ["2026-12-02T09:00:00Z", "2026-12-04T09:00:00Z", "2026-12-07T09:00:00Z"],
        ),
        ("cron(0 9 ? * MON/2 *)", "UTC", "2026-12-05T00:00:00Z", ["2026-12-07T09:00:00Z"]),  # not Sunday 6th
        (
            "cron(0 9 ? * 6/1 *)",
            "UTC",
            "2026-12-04T09:00:00Z",
            ["2026-12-05T09:00:00Z", "2026-12-11T09:00:00Z"],
        ),
        (
            "cron(0 9 ? * 7/3,2 *)",
            "UTC",
            "2026-12-05T09:00:00Z",
            ["2026-12-07T09:00:00Z", "2026-12-12T09:00:00Z"],
        ),
        # A range of one value with a step is that value (Debian), not "from it to the end".
        ("5-5/10 * * * *", "UTC", "2026-12-01T00:00:00Z", ["2026-12-01T00:05:00Z", "2026-12-01T01:05:00Z"]),
        (
            "0 9 * * sun-SUN/2",
            "UTC",
            "2026-12-01T00:00:00Z",
            ["2026-12-06T09:00:00Z", "2026-12-13T09:00:00Z"],
        ),
        ("0 0 1 dec-dec/3 *", "UTC", "2026-12-01T00:00:00Z", ["2027-12-01T00:00:00Z"]),
        (
            "cron(0 9 ? * 7-7/2 *)",
            "UTC",
            "2026-12-01T00:00:00Z",
            ["2026-12-05T09:00:00Z", "2026-12-12T09:00:00Z"],
        ),
        (
            "cron(15 10 ? * 6L 2026-2027)",  # the last Friday of each month, in 2026 and 2027
            "UTC",
            "2026-12-01T00:00:00Z",
            ["2026-12-25T10:15:00Z", "2027-01-29T10:15:00Z", "2027-02-26T10:15:00Z"],
        ),
        ("cron(15 10 ? * 6L 2026-2027)", "UTC", "2027-12-31T10:14:59Z", ["2027-12-31T10:15:00Z", None]),
        ("cron(15 10 ? * 6L 2026-2027)", "UTC", "2020-06-01T00:00:00Z", ["2026-01-30T10:15:00Z"]),
        (
            "cron(0 8 ? * 2#1 *)",  # the first Monday
            "UTC",
            "2026-12-01T00:00:00Z",
            ["2026-12-07T08:00:00Z", "2027-01-04T08:00:00Z", "2027-02-01T08:00:00Z"],
        ),
        (
            "cron(0 0 L * ? *)",
            "UTC",
            "2027-01-31T00:00:00Z",
            ["2027-02-28T00:00:00Z", "2027-03-31T00:00:00Z"],
        ),
        (
            "cron(0 0 1 1 ? 2028,2030)",
            "UTC",
            "2026-12-01T00:00:00Z",
            ["2028-01-01T00:00:00Z", "2030-01-01T00:00:00Z", None],
        ),
        (
            "cron(0 0 1 1 ? 2026/3)",
            "UTC",
            "2026-06-01T00:00:00Z",
            ["2029-01-01T00:00:00Z", "2032-01-01T00:00:00Z"],
        ),
        ("cron(0 0 1 1 ? 2020,2021)", "UTC", "2026-12-01T00:00:00Z", [None]),  # all years past
        (
            "cron(0 0 1 1 ? 2020-2022)",
            "UTC",
            "2019-12-31T23:59:59Z",
            ["2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z", "2022-01-01T00:00:00Z", None],
        ),
        # rate, aligned on the Unix epoch (2026-12-01 is day 20788 after it)
        (
            "rate(5 minutes)",
            "UTC",
            "2026-12-01T00:02:30Z",
            ["2026-12-01T00:05:00Z", "2026-12-01T00:10:00Z", "2026-12-01T00:15:00Z"],
        ),
        ("rate(1 minute)", "UTC", "2026-12-01T00:00:00Z", ["2026-12-01T00:01:00Z"]),
        ("rate(7 minutes)", "UTC", "2026-12-01T00:00:00Z", ["2026-12-01T00:03:00Z", "2026-12-01T00:10:00Z"]),
        ("rate(1 hour)", "UTC", "2026-12-01T00:00:00Z", ["2026-12-01T01:00:00Z", "2026-12-01T02:00:00Z"]),
        (
            "rate(1 hour)",
            "Asia/Kolkata",
            "2026-12-01T00:59:59.999Z",
            ["2026-12-01T01:00:00Z"],
        ),  # zone ignored
        ("rate(2 days)", "UTC", "2026-11-30T12:00:00Z", ["2026-12-01T00:00:00Z", "2026-12-03T00:00:00Z"]),
        ("rate(2 days)", "UTC", "2026-12-01T00:00:00Z", ["2026-12-03T00:00:00Z"]),
        ("RATE( 3 Hours )", "UTC", "2026-12-01T01:00:00Z", ["2026-12-01T03:00:00Z"]),
        # ISO 8601 repeating intervals, as Pydio Cells writes them
        (
            "R/2012-06-04T19:25:16.828696-07:00/PT10M",  # phase: minute 5 mod 10, 16.828696 s
            "UTC",
            "2026-12-01T00:00:00Z",
            ["2026-12-01T00:05:16.828696Z", "2026-12-01T00:15:16.828696Z", "2026-12-01T00:25:16.828696Z"],
        ),
        (
            "R/2012-06-04T19:25:16.828696-07:00/PT10M",
            "UTC",
            "2026-12-01T00:05:16.828696Z",
            ["2026-12-01T00:15:16.828696Z"],
        ),
        (
            "R/2012-06-04T19:25:16.828696-07:00/PT10M",
            "UTC",
            "2010-01-01T00:00:00Z",
            ["2012-06-05T02:25:16.828696Z"],
        ),
        (
            "R/2012-01-01T02:30:00.828Z/PT24H",
            "Europe/Paris",  # the start has an offset: the zone does not matter
            "2026-12-01T00:00:00Z",
            ["2026-12-01T02:30:00.828Z", "2026-12-02T02:30:00.828Z"],
        ),
        ("R/2012-01-01T02:30:00.828Z/PT24H", "UTC", "2026-12-01T02:30:00.828Z", ["2026-12-02T02:30:00.828Z"]),
        ("R/2026-01-01T00:00:00Z/PT1H30M", "UTC", "2026-01-01T02:00:00Z", ["2026-01-01T03:00:00Z"]),
        (
            "R/2026-01-01T00:00:00Z/PT1.5S",
            "UTC",
            "2026-01-01T00:00:01Z",
            ["2026-01-01T00:00:01.5Z", "2026-01-01T00:00:03Z"],
        ),
        ("R/2026-01-01T00:00:00Z/P1W", "UTC", "2026-01-01T00:00:00Z", ["2026-01-08T00:00:00Z"]),
        (
            "R/2026-12-01T09:00:00/PT12H",
            "America/New_York",
            "2026-11-01T00:00:00Z",
            ["2026-12-01T14:00:00Z", "2026-12-02T02:00:00Z"],
        ),
        # one-time
        ("at(2026-12-01T00:00:00)", "UTC", "2026-11-01T00:00:00Z", ["2026-12-01T00:00:00Z", None]),
        ("at(2026-12-01T00:00:00)", "Europe/Paris", "2026-11-01T00:00:00Z", ["2026-11-30T23:00:00Z", None]),
        (
            "at(2026-12-01T00:00:00)",
            "America/New_York",
            "2026-11-01T00:00:00Z",
            ["2026-12-01T05:00:00Z", None],
        ),
        (
            "at(2026-12-01T00:00:00+05:30)",
            "America/New_York",
            "2026-11-01T00:00:00Z",
            ["2026-11-30T18:30:00Z", None],
        ),
        (
            "at(2026-12-01T00:00:00Z)",
            "Europe/Paris",
            "2026-11-30T23:59:59.999999Z",
            ["2026-12-01T00:00:00Z", None],
        ),
        ("at(2026-12-01T00:00:00)", "UTC", "2026-12-01T00:00:00Z", [None]),
        (
            "at(2026-03-29T02:30:00)",
            "Europe/Paris",
            "2026-01-01T00:00:00Z",
            ["2026-03-29T01:00:00Z", None],
        ),  # gap
        (
            "at(2026-10-25T02:30:00)",
            "Europe/Paris",
            "2026-01-01T00:00:00Z",
            ["2026-10-25T00:30:00Z", None],
        ),  # twice
    ],
)
def test_fire_times(expression: str, zone: str, after: str, expected: list[str | None]) -> None:
    schedule = parse(expression, zone)
    got = fires(schedule, at(after), len(expected))
    assert got == instants(*expected)
    for value in got:
        assert value is None or value.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("expression", "kind", "max_runs"),
    [
        ("30 2 * * *", CronSchedule, None),
        ("cron(0 12 ? * MON-FRI *)", CronSchedule, None),
        ("0 12 ? * MON-FRI 2026", CronSchedule, None),
        ("rate(5 minutes)", RateSchedule, None),
        ("R/2012-06-04T19:25:16.828696-07:00/PT10M", IsoRepeatSchedule, None),
        ("R3/2012-01-01T02:30:00.828Z/PT24H", IsoRepeatSchedule, 3),
        ("r12/2012-01-01T02:30:00Z/P1D", IsoRepeatSchedule, 12),
        ("at(2026-12-01T00:00:00)", AtSchedule, 1),
    ],
)
def test_parse_picks_the_form(expression: str, kind: type, max_runs: int | None) -> None:
    schedule = parse(expression, "Europe/Paris")
    assert (schedule.max_runs, schedule.expression) == (max_runs, expression)
    assert type(schedule) is kind


def test_default_zone_is_utc() -> None:
    assert parse("30 2 * * *").next(at("2026-12-01T00:00:00Z")) == at("2026-12-01T02:30:00Z")


def test_counted_repetitions_are_not_used_up_by_an_old_start() -> None:
    schedule = parse("R3/2012-01-01T02:30:00.828Z/PT24H")
    assert schedule.max_runs == 3
    # Fourteen years after the start the three runs are all still to come (the caller counts them).
    assert fires(schedule, at("2026-12-01T00:00:00Z"), 3) == instants(
        "2026-12-01T02:30:00.828Z", "2026-12-02T02:30:00.828Z", "2026-12-03T02:30:00.828Z"
    )
    # A start in the future is the first run.
    future = parse("R3/2030-01-01T00:00:00Z/PT1H")
    assert fires(future, at("2026-12-01T00:00:00Z"), 2) == instants("2030-01-01T00:00:00Z", "2030-01-01T01:00:00Z")


def test_explain_describes_the_cron() -> None:
    schedule = parse("cron(0 12 ? * MON-FRI *)")
    assert isinstance(schedule, CronSchedule)
    assert "12:00" in schedule.explain()


# ---------------------------------------------------------------- time zones


@pytest.mark.parametrize(
    ("expression", "zone", "after", "expected"),
    [
        ("30 2 * * *", "Europe/Paris", "2026-12-01T00:00:00Z", ["2026-12-01T01:30:00Z"]),  # CET, +1
        ("30 2 * * *", "Europe/Paris", "2026-07-01T00:00:00Z", ["2026-07-01T00:30:00Z"]),  # CEST, +2
        ("30 2 * * *", "America/New_York", "2026-12-01T00:00:00Z", ["2026-12-01T07:30:00Z"]),  # EST, -5
        ("30 2 * * *", "America/New_York", "2026-07-01T00:00:00Z", ["2026-07-01T06:30:00Z"]),  # EDT, -4
        # Kolkata (+05:30, no DST): 00:00 UTC is already 05:30 local, so the next 02:30 is tomorrow's.
        (
            "30 2 * * *",
            "Asia/Kolkata",
            "2026-12-01T00:00:00Z",
            ["2026-12-01T21:00:00Z", "2026-12-02T21:00:00Z"],
        ),
        ("cron(0 12 ? * MON-FRI *)", "Asia/Kolkata", "2026-12-04T07:00:00Z", ["2026-12-07T06:30:00Z"]),
        ("0 0 * * *", "Asia/Kolkata", "2026-12-01T00:00:00Z", ["2026-12-01T18:30:00Z"]),
        ("cron(0 12 ? * MON-FRI *)", "America/New_York", "2026-12-04T17:00:00Z", ["2026-12-07T17:00:00Z"]),
        # The year field reads the local year: New Year in Paris is 23:00 UTC the day before.
        ("cron(0 0 1 1 ? 2027)", "Europe/Paris", "2026-06-01T00:00:00Z", ["2026-12-31T23:00:00Z", None]),
        # Lord Howe: +10:30 in winter, +11 in summer.
        ("0 12 * * *", "Australia/Lord_Howe", "2026-07-01T00:00:00Z", ["2026-07-01T01:30:00Z"]),
        ("0 12 * * *", "Australia/Lord_Howe", "2026-12-01T00:00:00Z", ["2026-12-01T01:00:00Z"]),
    ],
)
def test_zones(expression: str, zone: str, after: str, expected: list[str | None]) -> None:
    got = fires(parse(expression, zone), at(after), len(expected))
    assert got == instants(*expected)
    assert all(value is None or value.tzinfo == UTC for value in got)


# ---------------------------------------------------------------- the DST rule


def test_paris_spring_forward_daily_runs_once_at_the_end_of_the_gap() -> None:
    schedule = parse("30 2 * * *", "Europe/Paris")
    got = fires(schedule, at("2026-03-27T12:00:00Z"), 4)
    # 03-28 02:30 CET; 03-29 02:30 does not exist: 03:00 CEST; then 02:30 CEST.
    assert got == instants(
        "2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"
    )
    first_of_day = fires_between(schedule, at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z"))
    assert first_of_day == [at("2026-03-29T01:00:00Z")]
    assert first_of_day[0].astimezone(PARIS).strftime("%H:%M") == "03:00"


def test_paris_fall_back_daily_runs_once_at_the_first_occurrence() -> None:
    schedule = parse("30 2 * * *", "Europe/Paris")
    got = fires(schedule, at("2026-10-23T12:00:00Z"), 4)
    # 10-24 02:30 CEST; 10-25 02:30 CEST (not 02:30 CET an hour later); then 02:30 CET.
    assert got == instants(
        "2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z", "2026-10-27T01:30:00Z"
    )
    # Asked at the first 02:30 or between the two, the second 02:30 is not a new slot.
    assert schedule.next(at("2026-10-25T00:30:00Z")) == at("2026-10-26T01:30:00Z")
    assert schedule.next(at("2026-10-25T01:15:00Z")) == at("2026-10-26T01:30:00Z")


def test_paris_spring_forward_quarter_hours_in_the_gap_collapse_into_one_run() -> None:
    schedule = parse("*/15 2 * * *", "Europe/Paris")
    day = fires_between(schedule, at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z"))
    assert day == [at("2026-03-29T01:00:00Z")]  # 02:00, 02:15, 02:30, 02:45 all become 03:00 CEST
    assert schedule.next(day[0]) == at("2026-03-30T00:00:00Z")  # 02:00 CEST the next day


def test_paris_fall_back_quarter_hours_run_in_the_first_pass_only() -> None:
    schedule = parse("*/15 2 * * *", "Europe/Paris")
    day = fires_between(schedule, at("2026-10-24T22:00:00Z"), at("2026-10-25T23:00:00Z"))
    assert day == instants(
        "2026-10-25T00:00:00Z", "2026-10-25T00:15:00Z", "2026-10-25T00:30:00Z", "2026-10-25T00:45:00Z"
    )


@pytest.mark.parametrize(
    ("zone", "day_start", "day_end", "expected"),
    [
        # Spring forward: 23 hours. 02:00 does not exist and becomes 03:00, which also runs: one run.
        (
            "Europe/Paris",
            "2026-03-28T23:00:00Z",
            "2026-03-29T22:00:00Z",
            ["2026-03-28T23:00:00Z", "2026-03-29T00:00:00Z"] + [f"2026-03-29T{h:02d}:00:00Z" for h in range(1, 22)],
        ),
        # Fall back: 25 hours, but the repeated 02:00 (01:00 UTC) runs once: 24 runs.
        (
            "Europe/Paris",
            "2026-10-24T22:00:00Z",
            "2026-10-25T23:00:00Z",
            ["2026-10-24T22:00:00Z", "2026-10-24T23:00:00Z", "2026-10-25T00:00:00Z"]
            + [f"2026-10-25T{h:02d}:00:00Z" for h in range(2, 23)],
        ),
        (
            "America/New_York",
            "2026-03-08T05:00:00Z",
            "2026-03-09T04:00:00Z",
            [f"2026-03-08T{h:02d}:00:00Z" for h in range(5, 24)] + [f"2026-03-09T{h:02d}:00:00Z" for h in range(4)],
        ),
        (
            "America/New_York",
            "2026-11-01T04:00:00Z",
            "2026-11-02T05:00:00Z",
            ["2026-11-01T04:00:00Z", "2026-11-01T05:00:00Z"]
            + [f"2026-11-01T{h:02d}:00:00Z" for h in range(7, 24)]
            + [f"2026-11-02T{h:02d}:00:00Z" for h in range(5)],
        ),
    ],
)
def test_hourly_on_dst_days(zone: str, day_start: str, day_end: str, expected: list[str]) -> None:
    got = fires_between(parse("0 * * * *", zone), at(day_start), at(day_end))
    assert got == instants(*expected)
    assert len(got) == (23 if day_start[5:7] == "03" else 24)


def test_new_york_daily_across_both_transitions() -> None:
    spring = parse("30 2 * * *", "America/New_York")
    assert fires(spring, at("2026-03-07T12:00:00Z"), 3) == instants(
        "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"
    )
    fall = parse("30 1 * * *", "America/New_York")
    assert fires(fall, at("2026-10-31T12:00:00Z"), 2) == instants("2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z")
    # Just after the first 01:30 EDT, and just after the second one (01:30 EST): tomorrow either way.
    assert fall.next(at("2026-11-01T05:30:00Z")) == at("2026-11-02T06:30:00Z")
    assert fall.next(at("2026-11-01T06:30:00Z")) == at("2026-11-02T06:30:00Z")
    # 02:30 exists once on fall-back day (EST).
    assert parse("30 2 * * *", "America/New_York").next(at("2026-11-01T04:00:00Z")) == at("2026-11-01T07:30:00Z")


def test_lord_howe_half_hour_shifts() -> None:
    # Spring forward 2026-10-04: 02:00-02:30 does not exist; 02:15 runs at 02:30 (+11).
    spring = parse("15 2 * * *", "Australia/Lord_Howe")
    assert fires(spring, at("2026-10-02T00:00:00Z"), 3) == instants(
        "2026-10-02T15:45:00Z", "2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"
    )
    # Fall back 2026-04-05: 01:30-02:00 happens twice; 01:45 runs at the first (+11).
    fall = parse("45 1 * * *", "Australia/Lord_Howe")
    assert fires(fall, at("2026-04-03T00:00:00Z"), 3) == instants(
        "2026-04-03T14:45:00Z", "2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"
    )
    # Every ten minutes over the fall back: 01:30, 01:40, 01:50 once; the second pass is quiet.
    ten = parse("*/10 * * * *", "Australia/Lord_Howe")
    got = fires_between(ten, at("2026-04-04T14:20:00Z"), at("2026-04-04T15:45:00Z"))
    assert got == instants(
        "2026-04-04T14:20:00Z",
        "2026-04-04T14:30:00Z",
        "2026-04-04T14:40:00Z",
        "2026-04-04T14:50:00Z",
        "2026-04-04T15:30:00Z",
        "2026-04-04T15:40:00Z",
    )


def test_day_skipped_by_samoa() -> None:
    # Pacific/Apia jumped from -10 to +14 at the end of 2011-12-29: 2011-12-30 never happened there.
    # Its noon is in the gap and runs at the first instant after it (2011-12-31 00:00 local).
    got = fires(parse("0 12 * * *", "Pacific/Apia"), at("2011-12-29T00:00:00Z"), 3)
    assert got == instants("2011-12-29T22:00:00Z", "2011-12-30T10:00:00Z", "2011-12-30T22:00:00Z")


def test_iso_whole_days_from_a_wall_time_follow_the_zone_across_dst() -> None:
    daily = parse("R/2026-03-27T02:30:00/P1D", "Europe/Paris")
    assert fires(daily, at("2026-03-26T12:00:00Z"), 4) == instants(
        "2026-03-27T01:30:00Z", "2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"
    )
    autumn = parse("R/2026-10-23T02:30:00/P1D", "Europe/Paris")
    assert fires(autumn, at("2026-10-22T12:00:00Z"), 4) == instants(
        "2026-10-23T00:30:00Z", "2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"
    )
    assert autumn.next(at("2026-10-25T01:10:00Z")) == at("2026-10-26T01:30:00Z")  # inside the repeat
    weekly = parse("R/2026-03-22T02:30:00/P1W", "Europe/Paris")
    assert fires(weekly, at("2026-03-01T00:00:00Z"), 3) == instants(
        "2026-03-22T01:30:00Z", "2026-03-29T01:00:00Z", "2026-04-05T00:30:00Z"
    )
    # Long after the start: still 02:30 local (CEST in July).
    assert daily.next(at("2030-07-01T00:00:00Z")) == at("2030-07-01T00:30:00Z")


def test_iso_absolute_periods_ignore_dst() -> None:
    # An offset on the start, or hours in the period: absolute steps of 24 hours.
    pinned = parse("R/2026-03-27T02:30:00+01:00/P1D", "Europe/Paris")
    assert fires(pinned, at("2026-03-26T12:00:00Z"), 4) == instants(
        "2026-03-27T01:30:00Z", "2026-03-28T01:30:00Z", "2026-03-29T01:30:00Z", "2026-03-30T01:30:00Z"
    )
    hours = parse("R/2026-03-27T02:30:00/PT24H", "Europe/Paris")
    assert fires(hours, at("2026-03-26T12:00:00Z"), 4) == instants(
        "2026-03-27T01:30:00Z", "2026-03-28T01:30:00Z", "2026-03-29T01:30:00Z", "2026-03-30T01:30:00Z"
    )


# ---------------------------------------------------------------- resolve_wall_time


@pytest.mark.parametrize(
    ("wall", "zone", "expected"),
    [
        # exists once
        (naive(2026, 12, 1, 12, 0), "Europe/Paris", "2026-12-01T11:00:00Z"),
        (naive(2026, 7, 1, 12, 0), "Europe/Paris", "2026-07-01T10:00:00Z"),
        (naive(2026, 12, 1, 5, 30), "Asia/Kolkata", "2026-12-01T00:00:00Z"),
        (naive(2026, 12, 1, 12, 0, 0, 500_000), "Europe/Paris", "2026-12-01T11:00:00.5Z"),
        (naive(2026, 3, 29, 3, 0), "Europe/Paris", "2026-03-29T01:00:00Z"),  # the end of the gap
        (naive(2026, 3, 29, 1, 59, 59), "Europe/Paris", "2026-03-29T00:59:59Z"),
        # exists twice: the first occurrence
        (naive(2026, 10, 25, 2, 30), "Europe/Paris", "2026-10-25T00:30:00Z"),
        (naive(2026, 10, 25, 2, 30, fold=1), "Europe/Paris", "2026-10-25T00:30:00Z"),
        (naive(2026, 10, 25, 2, 0), "Europe/Paris", "2026-10-25T00:00:00Z"),
        (naive(2026, 11, 1, 1, 30), "America/New_York", "2026-11-01T05:30:00Z"),
        (naive(2026, 4, 5, 1, 45), "Australia/Lord_Howe", "2026-04-04T14:45:00Z"),
        # does not exist: the transition instant, in whole seconds
        (naive(2026, 3, 29, 2, 30), "Europe/Paris", "2026-03-29T01:00:00Z"),
        (naive(2026, 3, 29, 2, 0), "Europe/Paris", "2026-03-29T01:00:00Z"),
        (naive(2026, 3, 29, 2, 59, 59, 999_999), "Europe/Paris", "2026-03-29T01:00:00Z"),
        (naive(2026, 3, 8, 2, 30), "America/New_York", "2026-03-08T07:00:00Z"),
        (naive(2026, 10, 4, 2, 10), "Australia/Lord_Howe", "2026-10-03T15:30:00Z"),
        (naive(2026, 3, 29, 2, 0), "Antarctica/Troll", "2026-03-29T01:00:00Z"),  # a two-hour gap
        (naive(2011, 12, 30, 12, 0), "Pacific/Apia", "2011-12-30T10:00:00Z"),  # a missing day
    ],
)
def test_resolve_wall_time(wall: datetime, zone: str, expected: str) -> None:
    got = resolve_wall_time(wall, ZoneInfo(zone))
    assert got == at(expected)
    assert got.utcoffset() == timedelta(0)
    assert got.fold == 0
    assert got.microsecond == at(expected).microsecond


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("expression", "zone", "reason"),
    [
        ("", "UTC", "empty"),
        ("   ", "UTC", "empty"),
        ("* * * *", "UTC", "got 4"),
        ("0 0 * * * * *", "UTC", "got 7"),
        ("cron(0 12 * *)", "UTC", "got 4"),
        ("cron()", "UTC", "got 0"),
        ("60 * * * *", "UTC", "minute"),
        ("-1 * * * *", "UTC", "minute"),
        ("0 24 * * *", "UTC", "hour"),
        ("0 0 32 * *", "UTC", "day-of-month"),
        ("0 0 0 * *", "UTC", "day-of-month"),
        ("0 0 31 2 *", "UTC", "day-of-month"),
        ("0 0 * 13 *", "UTC", "month"),
        ("0 0 * * 8", "UTC", "day-of-week"),
        ("0 0 * * MOON", "UTC", "day-of-week"),
        ("*/0 * * * *", "UTC", "minute"),
        ("cron(0 12 * * MON *)", "UTC", "exactly one"),
        ("cron(0 12 ? * ? *)", "UTC", "exactly one"),
        ("cron(0 12 1 * 2 *)", "UTC", "exactly one"),
        ("cron(0 12 ? * 0 *)", "UTC", "day-of-week 0"),
        ("cron(0 12 ? * 8 *)", "UTC", "day-of-week 8"),
        ("cron(0 12 ? * 1-8 *)", "UTC", "day-of-week 8"),
        ("cron(0 12 ? * 0#1 *)", "UTC", "day-of-week 0"),
        ("cron(0 12 ? * 2#0 *)", "UTC", "day-of-week"),
        ("cron(0 12 ? * 0/2 *)", "UTC", "day-of-week 0"),
        ("cron(0 12 ? * 8/2 *)", "UTC", "day-of-week 8"),
        ("cron(0 12 ? * FOO/2 *)", "UTC", "day-of-week"),
        ("cron(0 12 ? * 2/0 *)", "UTC", "day-of-week"),
        ("5-5/0 * * * *", "UTC", "minute"),
        ("cron(0 12 ? * MON 20x6)", "UTC", "bad year"),
        ("cron(0 12 ? * MON 2027-2026)", "UTC", "bad year"),
        ("cron(0 12 ? * MON 2026/0)", "UTC", "bad year"),
        ("cron(0 12 ? * MON 26)", "UTC", "bad year"),
        ("cron(0 12 ? * MON 1969)", "UTC", "bad year"),
        ("cron(0 12 ? * MON 2026-2200)", "UTC", "bad year"),
        ("cron(0 12 ? * MON 9999)", "UTC", "bad year"),
        ("rate(0 minutes)", "UTC", "positive"),
        ("rate(5 fortnights)", "UTC", "unit"),
        ("rate(5)", "UTC", "unit"),
        ("rate(-5 minutes)", "UTC", "positive"),
        ("rate(1.5 hours)", "UTC", "positive"),
        ("rate()", "UTC", "unit"),
        ("rate(99999999999 days)", "UTC", "out of range"),
        ("R0/2026-01-01T00:00:00Z/PT1H", "UTC", "R0"),
        ("R/not-a-date/PT1H", "UTC", "'not-a-date' is not an ISO 8601"),
        ("R/2026-13-01T00:00:00Z/PT1H", "UTC", "ISO 8601"),
        ("R//PT1H", "UTC", "ISO 8601"),
        ("R/2026-01-01T00:00:00Z/P1M", "UTC", "'P1M' is not a supported"),
        ("R/2026-01-01T00:00:00Z/P1Y", "UTC", "'P1Y' is not a supported"),
        ("R/2026-01-01T00:00:00Z/PT", "UTC", "not a supported"),
        ("R/2026-01-01T00:00:00Z/10M", "UTC", "not a supported"),
        ("R/2026-01-01T00:00:00Z/PT0S", "UTC", "longer than zero"),
        ("R/2026-01-01T00:00:00Z/PT99999999999999H", "UTC", "out of range"),
        ("R/2026-01-01T00:00:00Z/PT1e400H", "UTC", "not a supported"),
        ("at(9999-12-31T23:00:00)", "America/New_York", "out of range"),  # 10000-01-01 in UTC
        ("R/2026-01-01T00:00:00Z", "UTC", "R/<start>/<duration>"),
        ("Rx/2026-01-01T00:00:00Z/PT1H", "UTC", "R/<start>/<duration>"),
        ("R/2026-01-01T00:00:00Z/PT1H/PT1H", "UTC", "R/<start>/<duration>"),
        ("at(tomorrow)", "UTC", "'tomorrow' is not an ISO 8601"),
        ("at()", "UTC", "ISO 8601"),
        ("every day", "UTC", "got 2"),
        ("30 2 * * *", "Mars/Base", "unknown time zone 'Mars/Base'"),
        ("30 2 * * *", "", "unknown time zone"),
        ("30 2 * * *", "europe/paris", "unknown time zone 'europe/paris'"),
        ("30 2 * * *", "/etc/localtime", "unknown time zone"),
        ("rate(5 minutes)", "Mars/Base", "Mars/Base"),  # the zone is checked for every form
    ],
)
def test_invalid(expression: str, zone: str, reason: str) -> None:
    with pytest.raises(InvalidSchedule) as caught:
        parse(expression, zone)
    error = caught.value
    assert error.expression == expression
    assert reason in error.reason
    assert repr(expression) in str(error)
    assert reason in str(error)


def test_invalid_schedule_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"invalid schedule 'rate\(5 fortnights\)'"):
        parse("rate(5 fortnights)")


@pytest.mark.parametrize(
    ("expression", "after"),
    [
        ("rate(9999999 days)", "2026-12-01T00:00:00Z"),  # the next tick is past year 9999
        ("R/2026-01-01T00:00:00Z/P99999999D", "2026-12-01T00:00:00Z"),
        ("R/2026-01-01T00:00:00/P99999999D", "2026-12-01T00:00:00Z"),
        ("R/9999-12-31T00:00:00Z/PT1H", "9999-12-31T23:30:00Z"),
        ("R/9999-12-31T00:00:00/P1D", "9999-12-31T00:00:00Z"),
        ("0 0 1 1 *", "9999-06-01T00:00:00Z"),
    ],
)
def test_no_fire_time_past_the_calendar_is_none(expression: str, after: str) -> None:
    assert parse(expression).next(at(after)) is None


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
