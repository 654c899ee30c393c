"""Rules and schedules made outside Jobdeck (in the AWS console) that start a job: an EventBridge
rule or an EventBridge Scheduler schedule targeting RunQueue with the input {"job_id": ...}."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlparse

from jobdeck import clients
from jobdeck.config import Settings


@dataclass
class ExternalTrigger:
    kind: str  # "eventbridge-rule" | "scheduler-schedule"
    name: str
    expression: str | None
    state: str | None


def run_queue_arn(settings: Settings) -> str:
    """RunQueue's ARN from its URL (https://sqs.<region>.amazonaws.com/<account>/<name>)."""
    account, name = urlparse(settings.run_queue_url).path.strip("/").split("/")[-2:]
    return f"arn:aws:sqs:{settings.region}:{account}:{name}"


def targeting(job_id: str, settings: Settings | None = None) -> list[ExternalTrigger]:
    queue = run_queue_arn(settings or Settings.from_env())
    return [*_rules(job_id, queue), *_schedules(job_id, queue)]


def _names_job(payload: str | None, job_id: str) -> bool:
    try:
        return bool(payload) and json.loads(payload or "").get("job_id") == job_id
    except (ValueError, AttributeError):
        return False


def _rules(job_id: str, queue: str) -> list[ExternalTrigger]:
    events = clients.events()
    found = []
    for name in events.list_rule_names_by_target(TargetArn=queue).get("RuleNames", []):
        targets = events.list_targets_by_rule(Rule=name).get("Targets", [])
        if any(t["Arn"] == queue and _names_job(t.get("Input"), job_id) for t in targets):
            rule = events.describe_rule(Name=name)
            found.append(ExternalTrigger("eventbridge-rule", name, rule.get("ScheduleExpression"), rule.get("State")))
    return found


def _schedules(job_id: str, queue: str) -> list[ExternalTrigger]:
    scheduler = clients.scheduler()
    found = []
    for page in scheduler.get_paginator("list_schedules").paginate():
        for summary in page.get("Schedules", []):
            if summary.get("Target", {}).get("Arn") != queue:
                continue
            schedule = scheduler.get_schedule(Name=summary["Name"], GroupName=summary.get("GroupName", "default"))
            if _names_job(schedule["Target"].get("Input"), job_id):
                found.append(
                    ExternalTrigger(
                        "scheduler-schedule",
                        schedule["Name"],
                        schedule.get("ScheduleExpression"),
                        schedule.get("State"),
                    )
                )
    return found
