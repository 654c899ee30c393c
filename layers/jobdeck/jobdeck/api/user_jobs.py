"""/user-jobs/{kind}: what a user starts with a click, as a one-shot job of their own."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from jobdeck import user_jobs
from jobdeck.api.auth import caller
from jobdeck.api.responses import documented
from jobdeck.api.schemas import JobOut, TaskOut, UserJobIn, UserJobOut
from jobdeck.user_jobs import UserJobKind

router = Router()


@router.post(
    "/user-jobs/<kind>",
    tags=["user jobs"],
    summary="Compress, extract, copy, move, delete or share, as a job of your own started at once",
    responses=documented(202, 403, 404, 413, description="Created and queued"),
)
def start_user_job(kind: UserJobKind, body: UserJobIn) -> Response[UserJobOut]:
    job, task = user_jobs.start(kind, body.parameters, body.keys, caller(router), datasource=body.datasource)
    out = UserJobOut(job=JobOut.of(job), task=TaskOut.of(task))
    return Response(202, "application/json", out, headers={"Location": f"/jobs/{job.id}/tasks/{task.id}"})
