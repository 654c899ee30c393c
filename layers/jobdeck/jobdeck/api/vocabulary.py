"""/vocabulary: what each overlap policy, misfire policy, status, trigger and policy field means,
as the domain's docstrings say it (the console reads its hints from here)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from jobdeck import vocabulary
from jobdeck.api.auth import caller
from jobdeck.api.responses import documented

router = Router()


@router.get(
    "/vocabulary",
    tags=["vocabulary"],
    summary="The meaning of each enum member and policy field, from their definitions",
    responses=documented(200),
)
def get_vocabulary() -> dict[str, Any]:
    caller(router)
    return vocabulary.words()
