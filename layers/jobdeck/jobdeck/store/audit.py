"""The audit trail: entries are written inside the transactions of what they record (see jobs.py
and runs.py); here they are read back, newest first."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from jobdeck.domain import AuditEntry, Page
from jobdeck.errors import InvalidCursor
from jobdeck.store import pages
from jobdeck.store.convert import AUDIT_DAYS, audit_from_item, audit_item
from jobdeck.store.models import AuditModel


def list_audit(job_id: str | None = None, limit: int = 50, cursor: str | None = None) -> Page[AuditEntry]:
    if job_id:
        # An index's start key holds the table's key and the index's.
        key = [AuditModel.month, AuditModel.id, AuditModel.job_id]
        start = pages.start_key(cursor, key, partition=(AuditModel.job_id, job_id))
        result = AuditModel.job_index.query(job_id, scan_index_forward=False, limit=limit, last_evaluated_key=start)
        return Page([audit_from_item(i) for i in result], pages.encode(result.last_evaluated_key))
    # Everything: month partitions, newest month first, back as far as entries live.
    this_month = datetime.now(UTC).strftime("%Y-%m")
    month, last_key = _position(cursor, this_month)
    oldest = _month_before(this_month, AUDIT_DAYS // 28 + 1)
    found: list[AuditEntry] = []
    while month >= oldest:
        result = AuditModel.query(
            month, scan_index_forward=False, limit=limit - len(found), last_evaluated_key=last_key
        )
        found += [audit_from_item(i) for i in result]
        last_key = result.last_evaluated_key
        if not last_key:
            month, last_key = _month_before(month, 1), None
        if len(found) >= limit:
            more = last_key is not None or month >= oldest
            return Page(found, pages.encode({"month": month, "key": last_key}) if more else None)
    return Page(found, None)


def _position(cursor: str | None, this_month: str) -> tuple[str, dict[str, Any] | None]:
    """The month and the start key in it that a cursor of the whole trail holds, checked: a month
    after this one would have the listing query every month in between."""
    if not cursor:
        return this_month, None
    state = pages.load(cursor)
    if not isinstance(state, dict) or set(state) != {"month", "key"}:
        raise InvalidCursor(f"{pages.NOT_A_CURSOR} for this listing")
    month = state["month"]
    if not (isinstance(month, str) and _MONTH.fullmatch(month)) or month > this_month:
        raise InvalidCursor(f"{pages.NOT_A_CURSOR}: its month is no month of the audit trail")
    if state["key"] is None:
        return month, None
    return month, pages.checked_key(state["key"], [AuditModel.month, AuditModel.id], (AuditModel.month, month))


_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])", re.ASCII)


def _month_before(month: str, count: int) -> str:
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + (number - 1) - count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def record(entry: AuditEntry) -> None:
    """An audit entry on its own, for actions with no single item to write it beside."""
    audit_item(entry).save()
