"""/actions (the catalog with each parameter schema) and /audit (the trail of changes)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from jobdeck import actions, audit
from jobdeck.api.auth import caller
from jobdeck.api.responses import documented
from jobdeck.api.schemas import ActionOut, AuditOut, AuditPage

router = Router()


@router.get(
    "/actions",
    tags=["actions"],
    summary="The action catalog, with each action's parameter schema",
    responses=documented(200),
)
def list_actions() -> list[ActionOut]:
    caller(router)
    return [ActionOut(name=a.name, summary=a.summary, parameters=a.parameters) for a in actions.catalog()]


@router.get(
    "/audit",
    tags=["audit"],
    summary="Every change and admin action, newest first (admins)",
    responses=documented(200, 403),
)
def list_audit(
    job_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> AuditPage:
    page = audit.page(caller(router), job_id, limit, cursor)
    return AuditPage(items=[AuditOut.of(e) for e in page.items], cursor=page.cursor)
