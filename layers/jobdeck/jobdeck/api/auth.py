"""Who is calling: the claims API Gateway's JWT authorizer verified and put in the event."""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from jobdeck.access import Principal
from jobdeck.config import Settings


class Unauthorized(Exception):
    """No verified identity in the request (the authorizer stops these first in AWS)."""


def caller(router: Router) -> Principal:
    """Who sent the request the router is serving."""
    return principal(router.current_event.raw_event)


def principal(event: dict[str, Any]) -> Principal:
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt", {}).get("claims") or {}
    username = claims.get("username") or claims.get("cognito:username") or claims.get("sub")
    if not username:
        raise Unauthorized("sign in first: send Authorization: Bearer <token>")
    settings = Settings.from_env()
    groups = _groups(claims.get(settings.groups_claim))
    return Principal(str(username), is_admin=settings.admin_group in groups)


def _groups(value: Any) -> set[str]:
    """API Gateway flattens an array claim to "[admins ops]"; other issuers may send a real list."""
    if isinstance(value, list):
        return {str(v) for v in value}
    if not value:
        return set()
    return {g for g in re.split(r"[\s,]+", str(value).strip("[]")) if g}
