"""The audit trail: entries are written inside the transactions of what they record (see jobs.py
and runs.py); here they are read back, newest first."""

from __future__ import annotations

from datetime import UTC, datetime

from jobdeck.domain import AuditEntry, Page
from jobdeck.store import pages
from jobdeck.store.convert import AUDIT_DAYS, audit_from_item, audit_item
from jobdeck.store.models import AuditModel


def list_audit(job_id: str | None = None, limit: int = 50, cursor: str | None = None) -> Page[AuditEntry]:
    if job_id:
        result = AuditModel.job_index.query(
            job_id, scan_index_forward=False, limit=limit, last_evaluated_key=pages.decode(cursor)
        )
        return Page([audit_from_item(i) for i in result], pages.encode(result.last_evaluated_key))
    # Everything: month partitions, newest month first, back as far as entries live.
    state = pages.decode(cursor) or {"month": datetime.now(UTC).strftime("%Y-%m")}
    month, last_key = str(state["month"]), state.get("key")
    oldest = _month_before(datetime.now(UTC).strftime("%Y-%m"), AUDIT_DAYS // 28 + 1)
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


def _month_before(month: str, count: int) -> str:
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + (number - 1) - count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def record(entry: AuditEntry) -> None:
    """An audit entry on its own, for actions with no single item to write it beside."""
    audit_item(entry).save()
