"""/jobs/{id}/run and /jobs/{id}/tasks: Run Now, history, one task, stop, Clear All."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from jobdeck import tasks
from jobdeck.api.auth import principal
from jobdeck.api.schemas import ClearOut, RunIn, TaskDetail, TaskOut, TaskPage
from jobdeck.domain import TaskStatus

router = Router()


@router.post("/jobs/<job_id>/run", tags=["tasks"], summary="Run Now, with optional parameter values")
def run_job(job_id: str, body: RunIn) -> Response[TaskOut]:
    task = tasks.run_now(job_id, principal(router.current_event.raw_event), body.parameters)
    location = f"/jobs/{job_id}/tasks/{task.id}"
    return Response(202, "application/json", TaskOut.of(task), headers={"Location": location})


@router.get("/jobs/<job_id>/tasks", tags=["tasks"], summary="History, newest first")
def list_tasks(
    job_id: str,
    status: TaskStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> TaskPage:
    page = tasks.history(job_id, principal(router.current_event.raw_event), status, limit, cursor)
    return TaskPage(items=[TaskOut.of(t) for t in page.items], cursor=page.cursor)


@router.delete("/jobs/<job_id>/tasks", tags=["tasks"], summary="Clear All: delete the finished history")
def clear_tasks(job_id: str) -> ClearOut:
    return ClearOut(deleted=tasks.clear(job_id, principal(router.current_event.raw_event)))


@router.get("/jobs/<job_id>/tasks/<task_id>", tags=["tasks"], summary="One task with its log lines")
def get_task(job_id: str, task_id: str) -> TaskDetail:
    return TaskDetail.of(tasks.get(job_id, task_id, principal(router.current_event.raw_event)))


@router.post("/jobs/<job_id>/tasks/<task_id>/stop", tags=["tasks"], summary="Stop a queued or running task")
def stop_task(job_id: str, task_id: str) -> Response[TaskOut]:
    task = tasks.stop(job_id, task_id, principal(router.current_event.raw_event))
    return Response(202, "application/json", TaskOut.of(task))
