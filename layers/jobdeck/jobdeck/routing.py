"""From an event to the tasks of the jobs that subscribed to it.

An S3 event is routed in each datasource that holds its object (one, or more when their prefixes
nest), with the key relative to that datasource; an object of a bucket outside every datasource's
prefix starts nothing. Routing reads the subscriptions of the event's key only (never the jobs table), applies each
subscription's filters, skips a job for an object that job wrote itself (the loop guard), and
queues one task per matching enabled job. A task's id derives from the job and the event id, so a
second delivery of the same event creates nothing.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from jobdeck import (
    after,
    audit,
    clients,
    datasources,
    dependencies,
    lifecycle,
    parameters,
    store,
    task_events,
    telemetry,
)
from jobdeck.access import Principal
from jobdeck.config import Settings
from jobdeck.domain import (
    WRITER_METADATA,
    EventFilter,
    Job,
    Task,
    TaskStatus,
    TriggerInfo,
    TriggerType,
    derived_task_id,
    new_task_id,
)
from jobdeck.errors import Forbidden, InvalidJob, NotFound
from jobdeck.store.convert import event_from_dict

logger = Logger()

_S3_TYPES = {"Object Created": "ObjectCreated", "Object Deleted": "ObjectRemoved"}


@dataclass
class Incoming:
    """An event as routing sees it: its key, its identity, and what its tasks get as `event`."""

    key: str
    id: str
    at: datetime
    data: dict[str, Any]
    s3_object: tuple[str, str] | None = None  # an S3 event's bucket and object key
    _head: Mapping[str, Any] | None = field(default=None, repr=False)

    def head(self) -> Mapping[str, Any]:
        """The object's HEAD (content type, writer), fetched once and only if a filter needs it."""
        if self._head is None and self.s3_object is None:
            self._head = {}  # not an object's event
        if self._head is None:
            bucket, key = self.s3_object or ("", "")
            try:
                self._head = clients.s3().head_object(Bucket=bucket, Key=key)
            except ClientError:
                self._head = {}  # gone already: no content type, no writer
        return self._head


def from_eventbridge(event: dict[str, Any]) -> list[Incoming]:
    """An S3 object event, once per datasource holding the object, or a custom event of the stack's
    source; nothing for any other event."""
    detail = event.get("detail") or {}
    at = datetime.fromisoformat(event.get("time", datetime.now(UTC).isoformat()).replace("Z", "+00:00"))
    settings = Settings.from_env()
    if event.get("source") == "aws.s3" and event.get("detail-type") in _S3_TYPES:
        kind = _S3_TYPES[event["detail-type"]]
        bucket, obj = detail["bucket"]["name"], detail["object"]
        found = []
        for where in datasources.holding(settings.datasources.values(), bucket, obj["key"]):
            data = {
                "source": "s3",
                "type": kind,
                "datasource": where.name,
                "bucket": bucket,
                "key": where.relative_key(obj["key"]),
                "size": int(obj.get("size", 0)),
                "etag": obj.get("etag"),
                "id": event["id"],
                "time": at.isoformat(),
            }
            # The id an S3 event is known by: its EventBridge id, plus what names the object
            # operation (a second delivery of the same event repeats all three).
            identity = f"{event['id']}|{kind}|{obj['key']}|{obj.get('sequencer', '')}"
            found.append(Incoming(f"s3:{kind}:{where.name}", identity, at, data, (bucket, obj["key"])))
        return found
    if event.get("source") == task_events.SOURCE and event.get("detail-type") == task_events.DETAIL_TYPE:
        # A run ended: for the jobs that follow that job (jobdeck.dependencies).
        data = {"source": "task", **detail}
        identity = f"{detail['task_id']}|{detail['status']}"
        return [Incoming(after.key(detail["job_id"]), identity, at, data)]
    if event.get("source") == settings.event_source:
        data = {"source": "custom", "type": event["detail-type"], "detail": detail, "id": event["id"]}
        return [Incoming(f"custom:{event['detail-type']}", event["id"], at, data)]
    return []


def route(incoming: Incoming, now: datetime | None = None) -> list[Task]:
    """Queue a task for each enabled job subscribed to the event whose filters match it."""
    now = now or datetime.now(UTC)
    if incoming.data.get("source") == "task":
        return dependencies.arrived(incoming.data, now)
    wanted = [
        job_id
        for job_id, trigger in store.subscribers(incoming.key)
        if _matches(event_from_dict(trigger).filter, incoming) and not _own_write(job_id, incoming)
    ]
    queued: list[Task] = []
    with lifecycle.enqueue(now) as queue:
        for job in store.get_jobs(wanted) if wanted else []:
            if not job.enabled:
                continue
            task = _task(job, derived_task_id(job.id, incoming.at, incoming.id), TriggerType.EVENT, "eventbridge", now)
            task.trigger.detail = {"event": incoming.data}
            if queue.add(job, [task]):
                queued.append(task)
            else:
                logger.info("event already routed to this job: duplicate delivery", extra={"job_id": job.id})
    telemetry.routed(len(queued))
    return queued


def call_hook(slug: str, body: dict[str, Any], who: Principal, now: datetime | None = None) -> list[Task]:
    """POST /hooks/{slug}: a task for each job bound to the hook, with the body as the event and its
    `parameters` checked against each job's declarations (all checked before anything is queued)."""
    now = now or datetime.now(UTC)
    bound = store.subscribers(f"hook:{slug}")
    if not bound:
        raise NotFound(f"no job listens to hook {slug!r}")
    if any(trigger.get("admins_only") for _, trigger in bound) and not who.is_admin:
        raise Forbidden(f"only admins may call hook {slug!r}")
    given = body.get("parameters")
    if not isinstance(given, dict | None):
        raise InvalidJob("parameters", "must be an object of the jobs' parameter values")
    jobs = [job for job in store.get_jobs([job_id for job_id, _ in bound]) if job.enabled]
    event = {"source": "hook", "type": slug, "body": body, "by": who.username}
    planned = []
    for job in jobs:
        task = _task(job, new_task_id(now), TriggerType.HOOK, who.username, now)
        task.parameters = parameters.resolve(job.parameters, given or {})
        task.trigger.detail = {"event": event}
        planned.append((job, task))
    with lifecycle.enqueue(now) as queue:
        for job, task in planned:
            queue.add(job, [task], audit.entry(who, "hook.call", job.id, task=task.id, hook=slug))
    return [task for _, task in planned]


def _task(job: Job, task_id: str, kind: TriggerType, by: str, now: datetime) -> Task:
    return Task(job_id=job.id, id=task_id, status=TaskStatus.QUEUED, trigger=TriggerInfo(kind, by=by), created_at=now)


def _matches(rule: EventFilter, incoming: Incoming) -> bool:
    data = incoming.data
    key = data.get("key", "")
    checks = [
        rule.prefix is None or key.startswith(rule.prefix),
        rule.suffix is None or key.endswith(rule.suffix),
        rule.glob is None or fnmatch.fnmatchcase(key, rule.glob),
        rule.min_size is None or data.get("size", 0) >= rule.min_size,
        rule.max_size is None or data.get("size", 0) <= rule.max_size,
        rule.detail is None or all(_detail_matches(data.get("detail", {}), p, v) for p, v in rule.detail.items()),
    ]
    if not all(checks):
        return False
    if rule.content_type is not None:
        return fnmatch.fnmatchcase(incoming.head().get("ContentType", ""), rule.content_type)
    return True


def _detail_matches(detail: dict[str, Any], path: str, expected: Any) -> bool:
    value: Any = detail
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return value in expected if isinstance(expected, list) else value == expected


def _own_write(job_id: str, incoming: Incoming) -> bool:
    """The loop guard: an object a job's action wrote (its metadata says so) does not start that
    job again. Checked for created objects only; a removed object has no metadata left to read."""
    if incoming.data.get("type") != "ObjectCreated":
        return False
    writer = incoming.head().get("Metadata", {}).get(WRITER_METADATA)
    if writer == job_id:
        logger.info("loop guard: the job wrote this object itself", extra={"job_id": job_id})
        return True
    return False
