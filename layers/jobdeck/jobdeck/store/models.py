"""PynamoDB models of the Jobs and Tasks tables. Keys and indexes must match template.yaml
(tests/test_template.py checks that they do)."""

from __future__ import annotations

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from jobdeck.config import Settings
from jobdeck.datasources import DEFAULT

# PynamoDB reads a model's table and region from its Meta when the class is made: Settings are
# read then, at import, from the environment the function (or the local stack) was given.
SETTINGS = Settings.from_env()
REGION = SETTINGS.region

# The due index has one partition: the tick asks it "what fires before T?" in one Query. Its value
# is a constant; the attribute exists only on enabled jobs with a next run, which keeps it sparse.
DUE = "due"
QUEUED = "queued"  # the same idea for tasks waiting in RunQueue
DEADLINE_KEY = "deadline"  # the subscription every job with a deadline has (the deadline watch's list)
# QUEUED tasks whose message is not sent yet: a retry whose backoff is longer than SQS can delay (15
# minutes) waits in this partition of the queued index until the tick sends it, when it is due.
HELD = "held"


class ScheduleMap(MapAttribute[str, object]):
    expression = UnicodeAttribute()
    timezone = UnicodeAttribute(default="UTC")
    misfire = UnicodeAttribute(default="skip")
    grace_seconds = NumberAttribute(default=300)
    catch_up_seconds = NumberAttribute(default=86_400)
    start = UTCDateTimeAttribute(null=True)
    end = UTCDateTimeAttribute(null=True)
    max_runs = NumberAttribute(null=True)
    jitter_seconds = NumberAttribute(default=0)
    calendars = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]  # see JobModel.waiting


class ActionMap(MapAttribute[str, object]):
    action = UnicodeAttribute()
    parameters = MapAttribute[str, object](default=dict)
    timeout_seconds = NumberAttribute(null=True)
    filter = MapAttribute[str, object](null=True)  # a NodeFilter's given conditions


class RetryMap(MapAttribute[str, object]):
    max_attempts = NumberAttribute(default=1)
    backoff_seconds = NumberAttribute(default=30)
    max_backoff_seconds = NumberAttribute(default=3600)


class NotifyMap(MapAttribute[str, object]):
    topic = BooleanAttribute(default=True)
    webhook = UnicodeAttribute(null=True)


class TaskSummaryMap(MapAttribute[str, object]):
    id = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    started_at = UTCDateTimeAttribute(null=True)
    ended_at = UTCDateTimeAttribute(null=True)
    message = UnicodeAttribute(null=True)


class DueIndex(GlobalSecondaryIndex["JobModel"]):
    class Meta:
        index_name = "due-index"
        projection = AllProjection()

    due = UnicodeAttribute(hash_key=True)
    next_fire_at = UTCDateTimeAttribute(range_key=True)


class OwnerIndex(GlobalSecondaryIndex["JobModel"]):
    """A user's own jobs, for the list a non-admin sees."""

    class Meta:
        index_name = "owner-index"
        projection = AllProjection()

    owner = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)


class JobModel(Model):
    class Meta:
        table_name = SETTINGS.jobs_table
        region = REGION

    id = UnicodeAttribute(hash_key=True)
    label = UnicodeAttribute()
    owner = UnicodeAttribute()
    kind = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    enabled = BooleanAttribute(default=True)
    schedule = ScheduleMap(null=True)
    # Event and hook triggers, as plain maps; SubscriptionModel indexes them for routing.
    events = ListAttribute[dict[str, object]](default=list)
    hooks = ListAttribute[dict[str, object]](default=list)
    after = MapAttribute[str, object](null=True)  # {jobs, on, within_seconds}
    deadline = MapAttribute[str, object](null=True)  # {finish_by, timezone, max_duration_seconds}
    deadline_missed = MapAttribute[str, object](null=True)  # the last run that missed it: {task_id, at}
    # The upstream runs that ended as `after` waits for, since this job's last such start:
    # {upstream job id: {task_id, status, ended_at}} (jobdeck.dependencies)
    upstream = MapAttribute[str, object](null=True)
    actions = ListAttribute(of=ActionMap, default=list)
    on_failure = ListAttribute(of=ActionMap, default=list)
    # Declared parameters: name, type, description, default (any JSON value), required, choices.
    parameters = ListAttribute[dict[str, object]](default=list)
    timeout_seconds = NumberAttribute(default=3600)
    history_days = NumberAttribute(default=30)
    overlap = UnicodeAttribute(default="allow_all")
    max_concurrency = NumberAttribute(null=True)
    retry = RetryMap(null=True)
    notify = NotifyMap(null=True)
    pause_after_failures = NumberAttribute(null=True)
    failures_in_row = NumberAttribute(default=0)
    paused_reason = UnicodeAttribute(null=True)
    origin = UnicodeAttribute(null=True)
    # Not PynamoDB's VersionAttribute: that one would bump on every write, and the tick writes the
    # job each time it fires. `version` counts edits of the definition only.
    version = NumberAttribute(default=1)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    due = UnicodeAttribute(null=True)
    next_fire_at = UTCDateTimeAttribute(null=True)
    runs_fired = NumberAttribute(default=0)
    last_task = TaskSummaryMap(null=True)
    # The job's seats: the runs in flight, and who waits for one. Only the runner's transitions
    # move them, each in the same transaction as the task it starts or ends.
    running = NumberAttribute(default=0)
    # Task ids. PynamoDB types a list's items as instances of `of`, which holds for MapAttribute
    # items only: scalar ones read and write as their Python values (str here).
    waiting = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    expires_at = TTLAttribute(null=True)  # user jobs only: set when their task ends
    # Slots someone skipped or moved (ISO instants; moved: slot -> when it runs), see domain.Job.
    skipped_slots = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]  # see waiting
    moved_slots = MapAttribute[str, object](default=dict)
    slot_changes = NumberAttribute(default=0)

    due_index = DueIndex()
    owner_index = OwnerIndex()


class TriggerMap(MapAttribute[str, object]):
    type = UnicodeAttribute()
    by = UnicodeAttribute()
    detail = MapAttribute[str, object](default=dict)


class LogLineMap(MapAttribute[str, object]):
    at = UTCDateTimeAttribute()
    level = UnicodeAttribute()
    message = UnicodeAttribute()


class ActiveIndex(GlobalSecondaryIndex["TaskModel"]):
    """Tasks that are QUEUED, RUNNING or PAUSED, by job: concurrency checks and the reaper read
    only these, never the history."""

    class Meta:
        index_name = "active-index"
        projection = AllProjection()

    active_job = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)


class QueuedIndex(GlobalSecondaryIndex["TaskModel"]):
    """QUEUED tasks by the time they are due, in two partitions: `queued` (their message was sent:
    the tick finds those whose message may be lost) and `held` (not sent yet: the tick sends them
    when they come due), each without reading the others."""

    class Meta:
        index_name = "queued-index"
        projection = KeysOnlyProjection()

    queued = UnicodeAttribute(hash_key=True)
    due_at = UTCDateTimeAttribute(range_key=True)


class TaskModel(Model):
    class Meta:
        table_name = SETTINGS.tasks_table
        region = REGION

    job_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute()
    trigger = TriggerMap()
    created_at = UTCDateTimeAttribute()
    scheduled_for = UTCDateTimeAttribute(null=True)
    started_at = UTCDateTimeAttribute(null=True)
    ended_at = UTCDateTimeAttribute(null=True)
    progress = NumberAttribute(default=0)
    message = UnicodeAttribute(null=True)
    attempt = NumberAttribute(default=1)
    parameters = MapAttribute[str, object](default=dict)
    logs = ListAttribute(of=LogLineMap, default=list)
    stop_requested_by = UnicodeAttribute(null=True)
    pause_requested_by = UnicodeAttribute(null=True)
    overlap = UnicodeAttribute(null=True)
    not_before = UTCDateTimeAttribute(null=True)
    resume = BinaryAttribute(null=True, legacy_encoding=False)  # zlib-compressed JSON: a chain's place
    output = BinaryAttribute(null=True, legacy_encoding=False)  # zlib-compressed JSON: its output nodes
    deadline_missed_at = UTCDateTimeAttribute(null=True)  # set once, by the deadline watch
    active_job = UnicodeAttribute(null=True)
    queued = UnicodeAttribute(null=True)  # QUEUED or HELD while the task waits for its run
    due_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)

    active_index = ActiveIndex()
    queued_index = QueuedIndex()


class JobIndex(GlobalSecondaryIndex["AuditModel"]):
    class Meta:
        index_name = "job-index"
        projection = AllProjection()

    job_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)


class AuditModel(Model):
    """The audit trail, partitioned by month so "newest first" is a query, not a scan."""

    class Meta:
        table_name = SETTINGS.audit_table
        region = REGION

    month = UnicodeAttribute(hash_key=True)  # "2026-11"
    id = UnicodeAttribute(range_key=True)  # ULID of the moment
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    job_id = UnicodeAttribute(null=True)
    version_before = NumberAttribute(null=True)
    version_after = NumberAttribute(null=True)
    detail = MapAttribute[str, object](default=dict)
    expires_at = TTLAttribute(null=True)

    job_index = JobIndex()


class SubscriptionModel(Model):
    """One item per (event key, job): routing an event queries its key and reads only the jobs
    subscribed to it, never the table. Written in the same transaction as the job."""

    class Meta:
        table_name = SETTINGS.subscriptions_table
        region = REGION

    event_key = UnicodeAttribute(hash_key=True)  # "s3:ObjectCreated:<bucket>", "custom:<detail-type>", "hook:<slug>"
    job_id = UnicodeAttribute(range_key=True)
    trigger = MapAttribute[str, object](default=dict)  # the EventTrigger or HookTrigger, filters included


class NodeModel(Model):
    """The node index of the datasources: what is in each, kept by "Index new uploads" and
    datasource.sync. Bounded by the buckets themselves: one item per object (store.nodes)."""

    class Meta:
        table_name = SETTINGS.nodes_table
        region = REGION

    # The datasource's name (its partition). The attribute keeps the name it had when the index was
    # one bucket's: the table's key schema says `bucket`, and a key attribute cannot be renamed.
    datasource = UnicodeAttribute(hash_key=True, attr_name="bucket")
    key = UnicodeAttribute(range_key=True)  # relative to the datasource
    size = NumberAttribute(default=0)
    etag = UnicodeAttribute(null=True)
    content_type = UnicodeAttribute(null=True)
    modified = UTCDateTimeAttribute(null=True)
    indexed_at = UTCDateTimeAttribute()
    sync = MapAttribute[str, object](null=True)  # a sync record's counts and task (store.nodes.record_sync)


EXPIRING = "expiring"  # every share carries it: the expiry index is one partition, in expiry order


class ExpiryIndex(GlobalSecondaryIndex["ShareModel"]):
    """Shares by expiry: share.expire reads only those past it."""

    class Meta:
        index_name = "expiry-index"
        projection = KeysOnlyProjection()

    expiring = UnicodeAttribute(hash_key=True)
    expires_at = TTLAttribute(range_key=True)


class ShareModel(Model):
    """A presigned link to a datasource object, made by share.create. DynamoDB's TTL drops a share
    some time after `expires_at`; share.expire removes the expired ones at once."""

    class Meta:
        table_name = SETTINGS.shares_table
        region = REGION

    id = UnicodeAttribute(hash_key=True)
    # Shares made before datasources named their bucket instead: those were all in `default`.
    datasource = UnicodeAttribute(default=DEFAULT)
    key = UnicodeAttribute()  # relative to the datasource
    url = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()
    job_id = UnicodeAttribute(null=True)
    task_id = UnicodeAttribute(null=True)
    expiring = UnicodeAttribute(default=EXPIRING)

    expiry_index = ExpiryIndex()


class CalendarModel(Model):
    """A calendar: days and hours that jobs name in `schedule.calendars`. A handful per stack: the
    tick reads those its due jobs name in one BatchGetItem."""

    class Meta:
        table_name = SETTINGS.calendars_table
        region = REGION

    name = UnicodeAttribute(hash_key=True)
    description = UnicodeAttribute(default="")
    timezone = UnicodeAttribute(default="UTC")
    mode = UnicodeAttribute(default="exclude")
    rules = ListAttribute[dict[str, object]](default=list)  # each {"dates"|"weekdays"|"yearly"|"hours": ...}
    version = NumberAttribute(default=1)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class SkippedSlotModel(Model):
    """A slot the tick passed without running it (a calendar, a misfire, a skip), recorded then:
    GET /jobs/{id}/slots tells what happened from it, not from a guess. A misfire over a long
    outage is one item for the whole range (`until`)."""

    class Meta:
        table_name = SETTINGS.skipped_slots_table
        region = REGION

    job_id = UnicodeAttribute(hash_key=True)
    slot = UTCDateTimeAttribute(range_key=True)  # fixed-width text: sorts by time
    reason = UnicodeAttribute()
    recorded_at = UTCDateTimeAttribute()
    until = UTCDateTimeAttribute(null=True)
    late_seconds = NumberAttribute(null=True)
    expires_at = TTLAttribute()  # the job's history_days after the slot, like its tasks
