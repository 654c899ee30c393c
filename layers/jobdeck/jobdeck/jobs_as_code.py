"""Jobs as code: custom jobs declared in YAML files, one job per file, in the shape the API takes
(POST /jobs) with its `id`. Validated in CI; installed by every deploy (the Setup function ships
the files) and by the local stack. A file that changed replaces its job in place (the version
moves, the history stays); an unchanged file leaves its job alone, so a Disable in the console
holds until the file changes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml
from pydantic import ValidationError

from jobdeck import jobs, store
from jobdeck.access import Principal
from jobdeck.domain import Job
from jobdeck.errors import InvalidJob, InvalidSchedule, JobdeckError
from jobdeck.job_schema import JobIn

AS_CODE = Principal("jobs-as-code", is_admin=True)


class InvalidDefinition(JobdeckError, ValueError):
    """A job file that cannot be installed; the message names the file and the field."""


@dataclass
class Definition:
    path: Path
    job: Job


def load(directory: Path) -> list[Definition]:
    """Every `*.yaml` / `*.yml` of the directory, checked as the API checks a new job."""
    found: list[Definition] = []
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        job = _read(path)
        if any(d.job.id == job.id for d in found):
            raise InvalidDefinition(f"{path.name}: id {job.id!r} is declared by another file too")
        found.append(Definition(path, job))
    return found


def _read(path: Path) -> Job:
    try:
        raw = yaml.safe_load(path.read_text())
        body = JobIn.model_validate(raw)
    except yaml.YAMLError as exc:
        raise InvalidDefinition(f"{path.name}: not YAML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(the file)"
        problem = first["msg"].removeprefix("Value error, ")  # pydantic's words before job_schema's own
        raise InvalidDefinition(f"{path.name}: {where}: {problem}") from None
    if not body.id:
        raise InvalidDefinition(f"{path.name}: id: required in a job file (it is how a deploy finds the job again)")
    job = body.to_job(body.id, body.owner or "admin")
    try:
        jobs.validate(job)
    except (InvalidJob, InvalidSchedule) as exc:
        raise InvalidDefinition(f"{path.name}: {exc}") from None
    canonical = json.dumps(raw, sort_keys=True, default=str).encode()
    job.origin = f"{path.name}@{hashlib.sha256(canonical).hexdigest()[:12]}"
    return job


def install(directory: Path, now: datetime | None = None) -> list[str]:
    """Create the jobs new to this deploy and replace those whose file changed; the ids touched.
    Every file is checked before any job is written."""
    now = now or datetime.now(UTC)
    if not directory.is_dir():
        return []
    touched = []
    for definition in load(directory):
        wanted = definition.job
        current = store.get_job(wanted.id)
        if current is None:
            jobs.create(wanted, AS_CODE, now)
        elif current.origin != wanted.origin:
            jobs.replace(wanted.id, wanted, current.version, AS_CODE, now)
        else:
            continue
        touched.append(wanted.id)
    return touched
