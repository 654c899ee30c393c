"""jobdeck.schedules: every expression form, and time zones. (The DST rule and errors:
test_schedules_dst.py; properties against an oracle: test_schedules_*_properties.py.) Expected instants
are worked out by hand; the calendar facts used are in tests/schedule_oracle.py."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from jobdeck.schedules import (
    AtSchedule,
    CronSchedule,
    IsoRepeatSchedule,
    RateSchedule,
    parse,
)
from tests.schedule_oracle import (
    fires,
    instants,
)
from tests.support import at

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
