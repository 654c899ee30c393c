"""Calendars: create, read, replace, delete, each with its audit entry in the same transaction;
the tick's read of the calendars its due jobs name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Any, cast

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition

from jobdeck.domain import AuditEntry, Calendar, CalendarMode, CalendarRule
from jobdeck.errors import Conflict
from jobdeck.store.convert import audit_item
from jobdeck.store.models import CalendarModel
from jobdeck.store.transactions import transaction


def get_calendar(name: str) -> Calendar | None:
    try:
        return calendar_from_item(CalendarModel.get(name, consistent_read=True))
    except CalendarModel.DoesNotExist:
        return None


def get_calendars(names: Iterable[str]) -> dict[str, Calendar]:
    """The named calendars that exist, by name (one BatchGetItem per hundred; none for no name)."""
    wanted = sorted(set(names))
    found: dict[str, Calendar] = {}
    for start in range(0, len(wanted), 100):
        for item in CalendarModel.batch_get(wanted[start : start + 100]):
            found[item.name] = calendar_from_item(item)
    return found


def list_calendars() -> list[Calendar]:
    """Every calendar, by name: a stack has a handful, not pages of them."""
    return sorted((calendar_from_item(item) for item in CalendarModel.scan()), key=lambda c: c.name)


def save_calendar(calendar: Calendar, expected_version: int | None, audit: AuditEntry) -> None:
    """Create (`expected_version` None: Conflict if the name is taken) or replace a calendar read at
    `expected_version` (Conflict if it changed since), with its audit entry."""
    item = item_from_calendar(calendar)
    if expected_version is None:
        condition: Condition = CalendarModel.name.does_not_exist()
        taken = f"calendar {calendar.name!r} already exists"
    else:
        condition = CalendarModel.version == expected_version
        taken = f"calendar {calendar.name!r} changed since version {expected_version}: read it again"
    try:
        with transaction() as tx:
            tx.save(item, condition=condition)
            tx.save(audit_item(audit))
    except TransactWriteError as exc:
        if tx.failed(exc, CalendarModel):
            raise Conflict(taken) from None
        raise


def delete_calendar(calendar: Calendar, audit: AuditEntry) -> None:
    """Delete a calendar if it was not changed since it was read."""
    try:
        with transaction() as tx:
            tx.delete(CalendarModel(calendar.name), condition=CalendarModel.version == calendar.version)
            tx.save(audit_item(audit))
    except TransactWriteError as exc:
        if tx.failed(exc, CalendarModel):
            raise Conflict(f"calendar {calendar.name!r} changed since version {calendar.version}") from None
        raise


def item_from_calendar(calendar: Calendar) -> CalendarModel:
    return CalendarModel(
        calendar.name,
        description=calendar.description,
        timezone=calendar.timezone,
        mode=calendar.mode.value,
        rules=[{k: v for k, v in asdict(rule).items() if v is not None} for rule in calendar.rules],
        version=calendar.version,
        created_at=calendar.created_at,
        updated_at=calendar.updated_at,
    )


def calendar_from_item(item: CalendarModel) -> Calendar:
    return Calendar(
        name=item.name,
        description=item.description,
        timezone=item.timezone,
        mode=CalendarMode(item.mode),
        # Stored as the API validated them: each rule's keys are CalendarRule's fields.
        rules=[CalendarRule(**cast(dict[str, Any], rule)) for rule in item.rules],
        version=int(item.version),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )
