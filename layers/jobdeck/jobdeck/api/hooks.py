"""/hooks/{slug}: the API event trigger, and the external rules that start a job."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from jobdeck import jobs, routing
from jobdeck.api.auth import caller
from jobdeck.api.responses import documented
from jobdeck.api.schemas import Document, ExternalTrigger, JobIdPath, TaskOut
from jobdeck.external_triggers import targeting

router = Router()

Slug = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


@router.post(
    "/hooks/<slug>",
    tags=["hooks"],
    summary="Start the jobs bound to a hook; the body is their event, its `parameters` their values",
    responses=documented(202, 403, 404, 413, description="Queued, one task per bound job"),
)
def call_hook(slug: Slug, body: Annotated[Document, Body()]) -> Response[list[TaskOut]]:
    tasks = routing.call_hook(slug, body, caller(router))
    return Response(202, "application/json", [TaskOut.of(t) for t in tasks])


@router.get(
    "/jobs/<job_id>/external-triggers",
    tags=["jobs"],
    summary="EventBridge rules and schedules made outside Jobdeck that target RunQueue with this job",
    responses=documented(200, 404),
)
def external_triggers(job_id: JobIdPath) -> list[ExternalTrigger]:
    jobs.get(job_id, caller(router))
    return [ExternalTrigger(**vars(t)) for t in targeting(job_id)]
