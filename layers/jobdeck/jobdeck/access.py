"""Who may see and do what. Admins: everything. Others: their own jobs only (another user's job
does not exist for them), and on those only run, stop and clear; system and custom jobs are the
admins' to change."""

from __future__ import annotations

from dataclasses import dataclass

from jobdeck.domain import SYSTEM_OWNER, Job, JobKind
from jobdeck.errors import Forbidden, NotFound


@dataclass(frozen=True)
class Principal:
    """Who is acting: a signed-in user (the API decides `is_admin` from their groups), or Jobdeck."""

    username: str
    is_admin: bool = False


SYSTEM = Principal(SYSTEM_OWNER, is_admin=True)


def require_visible(who: Principal, job: Job | None, job_id: str) -> Job:
    if job is None or not (who.is_admin or job.owner == who.username):
        raise NotFound(f"no job {job_id!r}")
    return job


def require_operator(who: Principal, job: Job) -> None:
    """Run, stop, clear history: admins, and owners of their own user jobs."""
    if who.is_admin or (job.owner == who.username and job.kind is JobKind.USER):
        return
    raise Forbidden(f"only admins can run or stop {job.kind.value} jobs")


def require_admin(who: Principal, doing: str) -> None:
    if not who.is_admin:
        raise Forbidden(f"only admins can {doing}")
