"""Where things are and how Jobdeck behaves, read from the environment the template (or the local
stack) sets. The only module that reads the environment: the others take a `Settings`."""

from __future__ import annotations

import os
from dataclasses import dataclass

from jobdeck.datasources import DEFAULT, Datasource, parse


@dataclass(frozen=True)
class Settings:
    run_queue_url: str
    datasource_bucket: str  # the stack's own bucket: the datasource `default`
    # The buckets an operator attached (the template's Datasources parameter, JOBDECK_DATASOURCES).
    extra_datasources: tuple[Datasource, ...] = ()
    recycle_prefix: str = "recycle_bin/"
    notify_topic_arn: str = ""  # failures that are final are published here (empty: not at all)
    # Hosts and CIDRs webhooks may reach although they are not public (JOBDECK_WEBHOOK_ALLOW, comma-separated).
    webhook_allow: tuple[str, ...] = ()
    # RunQueue's redrive maxReceiveCount: on the last receive, a task whose message keeps failing
    # ends ERROR (saying so) before the message moves to the dead-letter queue.
    max_receives: int = 5
    region: str = "us-east-1"
    # The tables, by the names the template gives them (the local stack's by default).
    jobs_table: str = "jobdeck-jobstable"
    tasks_table: str = "jobdeck-taskstable"
    audit_table: str = "jobdeck-audittable"
    subscriptions_table: str = "jobdeck-subscriptionstable"
    nodes_table: str = "jobdeck-nodestable"
    shares_table: str = "jobdeck-sharestable"
    calendars_table: str = "jobdeck-calendarstable"
    skipped_slots_table: str = "jobdeck-skippedslotstable"
    event_source: str = "jobdeck.custom"  # the EventBridge source of the custom events jobs subscribe to
    # Where a user's jobs may act, `{username}` filled in (JOBDECK_USER_PREFIXES, comma-separated).
    user_prefixes: tuple[str, ...] = ("home/{username}/",)
    user_job_days: int = 7  # a user job and its history go this long after its task ended
    tracing: bool = False  # the stack's Tracing parameter (Powertools' POWERTOOLS_TRACE_DISABLED)
    admin_group: str = "admins"
    groups_claim: str = "cognito:groups"
    cognito_domain: str = ""  # the console's hosted sign-in, when the stack has one
    cognito_client_id: str = ""

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ.get
        return cls(
            run_queue_url=env("JOBDECK_RUN_QUEUE_URL", ""),
            datasource_bucket=env("JOBDECK_DATASOURCE_BUCKET", ""),
            extra_datasources=parse(env("JOBDECK_DATASOURCES", "")),
            recycle_prefix=env("JOBDECK_RECYCLE_PREFIX", "recycle_bin/"),
            notify_topic_arn=env("JOBDECK_NOTIFY_TOPIC_ARN", ""),
            webhook_allow=_listed(env("JOBDECK_WEBHOOK_ALLOW", "")),
            max_receives=int(env("JOBDECK_MAX_RECEIVES", "5")),
            region=env("AWS_REGION") or env("AWS_DEFAULT_REGION") or "us-east-1",
            jobs_table=env("JOBDECK_JOBS_TABLE", cls.jobs_table),
            tasks_table=env("JOBDECK_TASKS_TABLE", cls.tasks_table),
            audit_table=env("JOBDECK_AUDIT_TABLE", cls.audit_table),
            subscriptions_table=env("JOBDECK_SUBSCRIPTIONS_TABLE", cls.subscriptions_table),
            nodes_table=env("JOBDECK_NODES_TABLE", cls.nodes_table),
            shares_table=env("JOBDECK_SHARES_TABLE", cls.shares_table),
            calendars_table=env("JOBDECK_CALENDARS_TABLE", cls.calendars_table),
            skipped_slots_table=env("JOBDECK_SKIPPED_SLOTS_TABLE", cls.skipped_slots_table),
            event_source=env("JOBDECK_EVENT_SOURCE", cls.event_source),
            user_prefixes=_listed(env("JOBDECK_USER_PREFIXES", "")) or cls.user_prefixes,
            user_job_days=int(env("JOBDECK_USER_JOB_DAYS", "7")),
            tracing=env("POWERTOOLS_TRACE_DISABLED", "false").lower() not in ("1", "true"),
            admin_group=env("JOBDECK_ADMIN_GROUP", cls.admin_group),
            groups_claim=env("JOBDECK_GROUPS_CLAIM", cls.groups_claim),
            cognito_domain=env("JOBDECK_COGNITO_DOMAIN", "").strip(),
            cognito_client_id=env("JOBDECK_COGNITO_CLIENT_ID", "").strip(),
        )

    @property
    def datasources(self) -> dict[str, Datasource]:
        """Every datasource by name, `default` first."""
        default = Datasource(DEFAULT, self.datasource_bucket)
        return {DEFAULT: default} | {ds.name: ds for ds in self.extra_datasources}


def _listed(value: str) -> tuple[str, ...]:
    return tuple(entry.strip() for entry in value.split(",") if entry.strip())
