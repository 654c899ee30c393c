"""jobdeck.schedules: the DST rule (a wall time that does not exist, or exists twice),
`resolve_wall_time`, and the errors an expression is refused with. Expected instants are worked out
by hand; the calendar facts used are in tests/schedule_oracle.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from jobdeck.errors import InvalidSchedule
from jobdeck.schedules import (
    parse,
    resolve_wall_time,
)
from tests.schedule_oracle import (
    PARIS,
    fires,
    fires_between,
    instants,
    naive,
)
from tests.support import at

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
