"""What admins do to calendars (create, replace, delete) and what anyone signed in reads (list,
one, preview). Every check comes before the write, and every change writes its audit entry in
the same transaction; a calendar that jobs name is not deleted (Conflict names them), and the
jobs that name one see its change at their next slot (the tick reads calendars as it claims)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace as copy_with
from datetime import UTC, date, datetime

from jobdeck import audit, calendar_rules, store
from jobdeck.access import Principal, require_admin
from jobdeck.domain import Calendar
from jobdeck.errors import Conflict, NotFound


def known(names: Iterable[str]) -> dict[str, Calendar]:
    """The calendars of these names that exist, by name (nothing read for no name)."""
    wanted = list(names)
    return store.get_calendars(wanted) if wanted else {}


def get(name: str) -> Calendar:
    calendar = store.get_calendar(name)
    if calendar is None:
        raise NotFound(f"no calendar {name!r}")
    return calendar


def every() -> list[Calendar]:
    return store.list_calendars()


def create(calendar: Calendar, who: Principal, now: datetime | None = None) -> Calendar:
    require_admin(who, "create calendars")
    calendar_rules.check(calendar)
    now = now or datetime.now(UTC)
    calendar.version, calendar.created_at, calendar.updated_at = 1, now, now
    store.save_calendar(calendar, None, audit.entry(who, "calendar.create", None, None, 1, calendar=calendar.name))
    return calendar


def replace(name: str, new: Calendar, expected_version: int, who: Principal, now: datetime | None = None) -> Calendar:
    """Replace a calendar read at `expected_version` (Conflict if it changed since)."""
    require_admin(who, "edit calendars")
    current = get(name)
    if current.version != expected_version:
        raise Conflict(f"calendar {name!r} is at version {current.version}, not {expected_version}: read it again")
    calendar_rules.check(new)
    updated = copy_with(
        new, name=name, version=current.version + 1, created_at=current.created_at, updated_at=now or datetime.now(UTC)
    )
    entry = audit.entry(who, "calendar.replace", None, expected_version, updated.version, calendar=name)
    store.save_calendar(updated, expected_version, entry)
    return updated


def delete(name: str, who: Principal) -> None:
    require_admin(who, "delete calendars")
    calendar = get(name)
    if users := users_of(name):
        raise Conflict(f"calendar {name!r} is used by {', '.join(users)}: take it out of their schedules first")
    store.delete_calendar(calendar, audit.entry(who, "calendar.delete", None, calendar.version, None, calendar=name))


def users_of(name: str) -> list[str]:
    """The ids of the jobs whose schedule names the calendar (a scan: calendars change seldom)."""
    return sorted(job.id for job in store.all_jobs() if job.schedule and name in job.schedule.calendars)


def covered(name: str, first: date, last: date) -> tuple[Calendar, list[calendar_rules.CoveredDay]]:
    """The local days of [first, last] a calendar names, with the spans of each."""
    calendar = get(name)
    return calendar, calendar_rules.check(calendar).days(first, last)
