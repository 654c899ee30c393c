"""/jobs/{id}/run, /backfill and /tasks: Run Now, backfill, history, one task, stop, pause, resume,
Clear All."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from jobdeck import tasks
from jobdeck.api.auth import caller
from jobdeck.api.responses import documented
from jobdeck.api.schemas import (
    BackfillIn,
    BackfillOut,
    ClearOut,
    JobIdPath,
    RunIn,
    TaskDetail,
    TaskIdPath,
    TaskOut,
    TaskPage,
)
from jobdeck.domain import TaskStatus

router = Router()


@router.post(
    "/jobs/<job_id>/run",
    tags=["tasks"],
    summary="Run Now, with optional parameter values",
    responses=documented(202, 403, 404, 413, description="Queued"),
)
def run_job(job_id: JobIdPath, body: RunIn) -> Response[TaskOut]:
    task = tasks.run_now(job_id, caller(router), body.parameters)
    location = f"/jobs/{job_id}/tasks/{task.id}"
    return Response(202, "application/json", TaskOut.of(task), headers={"Location": location})


@router.get("/jobs/<job_id>/tasks", tags=["tasks"], summary="History, newest first", responses=documented(200, 404))
def list_tasks(
    job_id: JobIdPath,
    status: TaskStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> TaskPage:
    page = tasks.history(job_id, caller(router), status, limit, cursor)
    return TaskPage(items=[TaskOut.of(t) for t in page.items], cursor=page.cursor)


@router.delete(
    "/jobs/<job_id>/tasks",
    tags=["tasks"],
    summary="Clear All: delete the finished history",
    responses=documented(200, 403, 404),
)
def clear_tasks(job_id: JobIdPath) -> ClearOut:
    return ClearOut(deleted=tasks.clear(job_id, caller(router)))


@router.get(
    "/jobs/<job_id>/tasks/<task_id>",
    tags=["tasks"],
    summary="One task with its log lines",
    responses=documented(200, 404),
)
def get_task(job_id: JobIdPath, task_id: TaskIdPath) -> TaskDetail:
    return TaskDetail.of(tasks.get(job_id, task_id, caller(router)))


@router.post(
    "/jobs/<job_id>/tasks/<task_id>/stop",
    tags=["tasks"],
    summary="Stop a queued, running or paused task",
    responses=documented(202, 403, 404, 409, description="Stopped, or asked to stop"),
)
def stop_task(job_id: JobIdPath, task_id: TaskIdPath) -> Response[TaskOut]:
    task = tasks.stop(job_id, task_id, caller(router))
    return Response(202, "application/json", TaskOut.of(task))


@router.post(
    "/jobs/<job_id>/tasks/<task_id>/pause",
    tags=["tasks"],
    summary="Pause a running task at its next checkpoint, keeping its progress",
    responses=documented(202, 403, 404, 409, description="Asked to pause"),
)
def pause_task(job_id: JobIdPath, task_id: TaskIdPath) -> Response[TaskOut]:
    task = tasks.pause(job_id, task_id, caller(router))
    return Response(202, "application/json", TaskOut.of(task))


@router.post(
    "/jobs/<job_id>/tasks/<task_id>/resume",
    tags=["tasks"],
    summary="Resume a paused task where it paused",
    responses=documented(202, 403, 404, 409, description="Queued again"),
)
def resume_task(job_id: JobIdPath, task_id: TaskIdPath) -> Response[TaskOut]:
    task = tasks.resume(job_id, task_id, caller(router))
    return Response(202, "application/json", TaskOut.of(task))


@router.post(
    "/jobs/<job_id>/backfill",
    tags=["tasks"],
    summary="Run every slot of the schedule between two past times, each as its own task",
    responses=documented(202, 403, 404, 413, description="Queued"),
)
def backfill(job_id: JobIdPath, body: BackfillIn) -> Response[BackfillOut]:
    queued, already = tasks.backfill(job_id, body.start, body.end, caller(router), body.overlap, body.parameters)
    out = BackfillOut(queued=[TaskOut.of(t) for t in queued], already_ran=already)
    return Response(202, "application/json", out)
