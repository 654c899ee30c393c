"""What a job with `after` has seen of its upstream jobs' runs since it last started that way (the
job item's `upstream` map; jobdeck.dependencies decides with it)."""

from __future__ import annotations

from typing import Any, cast

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.operand import Path

from jobdeck.store.models import JobModel


def record_upstream(job_id: str, upstream_id: str, arrival: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """Keep `arrival` (the upstream job's run that just ended) in place of the one before; every
    arrival the job now holds, or None when the job is gone or follows nothing."""
    item = JobModel(job_id)
    try:
        item.update(
            [_arrival(upstream_id).set(arrival)],
            condition=JobModel.id.exists() & JobModel.upstream.exists(),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return {k: dict(v) for k, v in (item.upstream.as_dict() if item.upstream is not None else {}).items()}


def forget_upstream(job_id: str, used: dict[str, str]) -> None:
    """Forget the arrivals a start used ({upstream job id: task id}); one replaced meanwhile by a
    newer run of its job stays, for the next start."""
    for upstream_id, task_id in used.items():
        try:
            JobModel(job_id).update(
                [_arrival(upstream_id).remove()],
                condition=_arrival(upstream_id)["task_id"] == task_id,
            )
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise


def _arrival(upstream_id: str) -> Path:
    # An element of a raw map is a document path; PynamoDB's stubs type it as the map's values.
    return cast(Path, JobModel.upstream[upstream_id])
