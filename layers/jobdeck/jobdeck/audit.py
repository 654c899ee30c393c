"""The audit trail: every change and admin action, with who, when and the job's versions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jobdeck import store
from jobdeck.access import Principal, require_admin
from jobdeck.domain import AuditEntry, Page, new_task_id


def entry(
    who: Principal,
    action: str,
    job_id: str | None,
    before: int | None = None,
    after: int | None = None,
    **detail: Any,
) -> AuditEntry:
    at = datetime.now(UTC)
    return AuditEntry(new_task_id(at), at, who.username, action, job_id, before, after, detail)


def page(who: Principal, job_id: str | None = None, limit: int = 50, cursor: str | None = None) -> Page[AuditEntry]:
    require_admin(who, "read the audit trail")
    return store.list_audit(job_id, limit, cursor)
