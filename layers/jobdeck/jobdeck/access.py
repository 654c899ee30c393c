"""Who may see and do what. Admins: everything. Others: their own jobs only (another user's job
does not exist for them), and on those only run, stop and clear; system and custom jobs are the
admins' to change. In the datasource, a user's jobs act only under the prefixes allowed to them
(`home/<username>/` unless the operator says otherwise)."""

from __future__ import annotations

from dataclasses import dataclass

from jobdeck.config import Settings
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


def allowed_prefixes(who: Principal) -> list[str]:
    """The prefixes of Settings.user_prefixes, `{username}` filled in."""
    return [pattern.format(username=who.username) for pattern in Settings.from_env().user_prefixes]


def require_path(who: Principal, key: str, where: str) -> None:
    """A key or prefix a user job of `who` may read or write; admins anywhere."""
    if who.is_admin:
        return
    path = key.lstrip("/")
    if ".." in path.split("/"):
        raise Forbidden(f"{where}: {key!r} climbs out of its folder with '..'")
    allowed = allowed_prefixes(who)
    if not any(path.startswith(prefix) for prefix in allowed):
        raise Forbidden(f"{where}: {key!r} is outside what you may touch ({', '.join(allowed)})")
