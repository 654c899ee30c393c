"""/jobs: the admin list, custom jobs, enable and disable, schedule preview."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AwareDatetime

from jobdeck import dependencies, jobs, schedules
from jobdeck.access import require_admin
from jobdeck.api.auth import caller
from jobdeck.api.responses import InvalidParameter, documented
from jobdeck.api.schemas import (
    BulkItem,
    BulkOut,
    FireTime,
    IdsIn,
    JobIdPath,
    JobIn,
    JobOut,
    JobPage,
    JobReplace,
    PreviewOut,
    slug,
)
from jobdeck.calendars import known as store_calendars
from jobdeck.domain import Calendar, Job, JobKind, ScheduleSpec, new_task_id
from jobdeck.errors import InvalidSchedule, NotFound
from jobdeck.firing import MAX_JITTER_SECONDS, Firing

router = Router()


@router.get(
    "/jobs",
    tags=["jobs"],
    summary="The admin list: label, owner, trigger, last execution, status",
    responses=documented(200),
)
def list_jobs(
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    kind: JobKind | None = None,
    owner: Annotated[str | None, Query(max_length=128)] = None,
    enabled: bool | None = None,
) -> JobPage:
    who = caller(router)
    page = jobs.page(who, limit, cursor, kind=kind, owner=owner, enabled=enabled)
    problems = dependencies.upstream_problems(page.items)
    return JobPage(items=[JobOut.of(j, problems.get(j.id)) for j in page.items], cursor=page.cursor)


@router.post("/jobs", tags=["jobs"], summary="Create a custom job (admins)", responses=documented(201, 403, 409, 413))
def create_job(body: JobIn) -> Response[JobOut]:
    who = caller(router)
    job_id = body.id or f"{slug(body.label)}-{new_task_id()[-6:].lower()}"
    job = jobs.create(body.to_job(job_id, who.username), who)
    return Response(201, "application/json", JobOut.of(job), headers={"Location": f"/jobs/{job.id}"})


@router.get("/jobs/<job_id>", tags=["jobs"], summary="One job", responses=documented(200, 404))
def get_job(job_id: JobIdPath) -> JobOut:
    job = jobs.get(job_id, caller(router))
    return JobOut.of(job, dependencies.upstream_problems([job]).get(job.id))


@router.put(
    "/jobs/<job_id>",
    tags=["jobs"],
    summary="Replace a job's definition (send the version you read)",
    responses=documented(200, 403, 404, 409, 413),
)
def replace_job(job_id: JobIdPath, body: JobReplace) -> JobOut:
    who = caller(router)
    current = jobs.get(job_id, who)
    new = body.to_job(job_id, current.owner)
    return JobOut.of(jobs.replace(job_id, new, body.version, who))


@router.delete(
    "/jobs/<job_id>",
    tags=["jobs"],
    summary="Delete a custom or user job and its history",
    responses=documented(204, 403, 404, 409, description="Deleted"),
)
def delete_job(job_id: JobIdPath) -> Response[None]:
    jobs.delete(job_id, caller(router))
    return Response(204)


@router.post(
    "/jobs/<job_id>/enable",
    tags=["jobs"],
    summary="Enable: the schedule resumes from now",
    responses=documented(200, 403, 404, 409),
)
def enable_job(job_id: JobIdPath) -> JobOut:
    return JobOut.of(jobs.set_enabled(job_id, True, caller(router)))


@router.post(
    "/jobs/<job_id>/disable",
    tags=["jobs"],
    summary="Disable: no more scheduled runs",
    responses=documented(200, 403, 404, 409),
)
def disable_job(job_id: JobIdPath) -> JobOut:
    return JobOut.of(jobs.set_enabled(job_id, False, caller(router)))


@router.post(
    "/jobs/enable", tags=["jobs"], summary="Enable several jobs at once", responses=documented(200, 403, 409, 413)
)
def enable_jobs(body: IdsIn) -> BulkOut:
    return _bulk(body.ids, True)


@router.post(
    "/jobs/disable", tags=["jobs"], summary="Disable several jobs at once", responses=documented(200, 403, 409, 413)
)
def disable_jobs(body: IdsIn) -> BulkOut:
    return _bulk(body.ids, False)


def _bulk(ids: list[str], enabled: bool) -> BulkOut:
    """Each id on its own: one missing job does not stop the others."""
    who = caller(router)
    require_admin(who, "enable or disable jobs")
    results = []
    for job_id in dict.fromkeys(ids):
        try:
            before = jobs.get(job_id, who).enabled
            jobs.set_enabled(job_id, enabled, who)
            outcome = "unchanged" if before == enabled else ("enabled" if enabled else "disabled")
        except NotFound:
            outcome = "not found"
        results.append(BulkItem(id=job_id, outcome=outcome))
    return BulkOut(results=results)


@router.get(
    "/jobs/<job_id>/schedule/preview",
    tags=["schedules"],
    summary="The next runs of a job: its calendars, start, end, max runs and jitter honoured",
    responses=documented(200, 404),
)
def preview_job(job_id: JobIdPath, count: Annotated[int, Query(ge=1, le=100)] = 5) -> PreviewOut:
    job = jobs.get(job_id, caller(router))
    if job.schedule is None:
        return PreviewOut(expression="", timezone="UTC", description="manual only", next=[])
    return _preview(job, count)


@router.get(
    "/schedule/preview",
    tags=["schedules"],
    summary="Check an expression: its next runs, with the bounds and calendars the form holds",
    responses=documented(200),
)
def preview_expression(
    expression: Annotated[str, Query(min_length=1, max_length=256)],
    timezone: Annotated[str, Query(max_length=64)] = "UTC",
    count: Annotated[int, Query(ge=1, le=100)] = 5,
    start: Annotated[AwareDatetime | None, Query(description="no slot before it")] = None,
    end: Annotated[AwareDatetime | None, Query(description="no slot at or after it")] = None,
    max_runs: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    jitter_seconds: Annotated[int, Query(ge=0, le=MAX_JITTER_SECONDS)] = 0,
    calendars: Annotated[str, Query(max_length=700, description="calendar names, comma-separated")] = "",
    job_id: Annotated[str | None, Query(max_length=128, description="the job edited: its runs' jitter")] = None,
) -> PreviewOut:
    caller(router)
    try:
        schedules.zone(timezone)
    except InvalidSchedule as exc:
        raise InvalidParameter("query.timezone", exc.reason) from None
    names = [name.strip() for name in calendars.split(",") if name.strip()]
    known = store_calendars(names)
    if missing := [name for name in names if name not in known]:
        raise InvalidParameter("query.calendars", f"no calendar {', '.join(map(repr, missing))}")
    if start and end and end <= start:
        raise InvalidParameter("query.end", "must be after start")
    spec = ScheduleSpec(expression, timezone, start=start, end=end, max_runs=max_runs, calendars=names)
    spec.jitter_seconds = jitter_seconds if job_id else 0  # without the job, its offsets are unknown
    job = Job(id=job_id or "", label="", owner="", schedule=spec)
    try:
        out = _preview(job, count, known)
    except InvalidSchedule as exc:  # the zone is known: the expression is what is wrong
        raise InvalidParameter("query.expression", str(exc)) from None
    if jitter_seconds and not job_id:
        out.description = f"{out.description or expression}; each run up to {jitter_seconds} s after its slot"
    return out


def _preview(job: Job, count: int, calendars: dict[str, Calendar] | None = None) -> PreviewOut:
    assert job.schedule is not None
    spec = job.schedule
    firing = Firing(job, calendars if calendars is not None else store_calendars(spec.calendars))
    zone = schedules.zone(spec.timezone)
    times = firing.upcoming(datetime.now(UTC), count)
    return PreviewOut(
        expression=spec.expression,
        timezone=spec.timezone,
        description=schedules.describe(firing.schedule),
        next=[FireTime(utc=firing.starts(t), local=firing.starts(t).astimezone(zone), slot=t) for t in times],
    )
