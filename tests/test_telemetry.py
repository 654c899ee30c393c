"""The metrics each function publishes (CloudWatch embedded metric format on stdout)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import time_machine

from jobdeck import jobs, store, tasks, telemetry
from jobdeck_local import template
from jobdeck_local.events import sample
from jobdeck_local.lambda_runtime import LambdaContext, load_handler
from tests.support import at, make_job


def _invoke(function_id: str, event: dict[str, Any]) -> Any:
    return load_handler(function_id)(event, LambdaContext.for_function(function_id))


def _metrics(output: str) -> list[dict[str, Any]]:
    """Each EMF document printed, as {metric name: value, ..., "dimensions": [...]}."""
    found = []
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        document = json.loads(line)
        [directive] = document["_aws"]["CloudWatchMetrics"]
        names = [m["Name"] for m in directive["Metrics"]]
        values = {n: document[n][0] if isinstance(document[n], list) else document[n] for n in names}
        found.append({**values, "dimensions": directive["Dimensions"], "raw": document})
    return found


@pytest.fixture
def metrics_on(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    telemetry.metrics.clear_metrics()  # what runs outside a handler in this process gathered


def _runner_event(body: str) -> dict[str, Any]:
    event = copy.deepcopy(sample("runner-sqs"))
    event["Records"][0]["body"] = body
    return event


def test_the_runner_publishes_start_lag_and_the_outcome_in_all_and_per_job(aws, run_queue, metrics_on, capsys):
    jobs.create(make_job("every-5", "*/5 * * * *"), now=at("2026-11-25T09:58:00Z"))
    from jobdeck import tick

    with time_machine.travel(at("2026-11-25T09:59:30Z"), tick=False):
        tick.tick()
    [message] = run_queue.receive()
    capsys.readouterr()
    with time_machine.travel(at("2026-11-25T10:00:03Z"), tick=False):  # delivered 3 s after its slot
        assert _invoke("RunnerFunction", _runner_event(message["Body"])) == {"batchItemFailures": []}

    documents = _metrics(capsys.readouterr().out)
    overall = next(d for d in documents if "StartLag" in d)
    assert overall["StartLag"] == 3.0 and overall["TasksStarted"] == 1.0 and overall["TasksFinished"] == 1.0
    per_job = next(d for d in documents if "job_id" in d["raw"])
    assert per_job["raw"]["job_id"] == "every-5" and per_job["TasksFinished"] == 1.0


def _alarm_reads(name: str) -> set[str]:
    """The metrics a metric-math alarm of the template adds up."""
    alarm = template.load()["Resources"][name]["Properties"]
    return {m["MetricStat"]["Metric"]["MetricName"] for m in alarm["Metrics"] if "MetricStat" in m}


def test_a_delivery_reported_failed_is_counted_for_the_errors_alarm(aws, metrics_on, capsys):
    """A record the runner reports failed (partial batch response) is no Lambda error: the runner
    counts it, and the template's errors alarm adds that count to Lambda's Errors."""
    capsys.readouterr()
    assert _invoke("RunnerFunction", _runner_event("{not json")) == {
        "batchItemFailures": [{"itemIdentifier": sample("runner-sqs")["Records"][0]["messageId"]}]
    }
    [document] = [d for d in _metrics(capsys.readouterr().out) if "RunDeliveriesFailed" in d]
    assert document["RunDeliveriesFailed"] == 1.0
    assert _alarm_reads("RunnerErrorsAlarm") == {"Errors", "RunDeliveriesFailed"}


def test_an_event_reported_failed_is_counted_for_the_errors_alarm(aws, metrics_on, capsys):
    capsys.readouterr()
    response = _invoke("EventsFunction", _runner_event("{not json"))  # an SQS record like any other
    assert len(response["batchItemFailures"]) == 1
    [document] = [d for d in _metrics(capsys.readouterr().out) if "EventsDeliveriesFailed" in d]
    assert document["EventsDeliveriesFailed"] == 1.0
    assert _alarm_reads("EventsErrorsAlarm") == {"Errors", "EventsDeliveriesFailed"}


def test_the_tick_publishes_how_late_it_claimed_a_slot(aws, run_queue, metrics_on, capsys):
    jobs.create(make_job("every-5", "*/5 * * * *"), now=at("2026-11-25T09:58:00Z"))
    capsys.readouterr()
    with time_machine.travel(at("2026-11-25T10:01:30Z"), tick=False):  # the 10:00 slot, 90 s late
        _invoke("TickFunction", copy.deepcopy(sample("tick")))
    [document] = _metrics(capsys.readouterr().out)
    assert (document["ScheduleLag"], document["SlotsClaimed"], document["SlotsSkipped"]) == (90.0, 1.0, 0.0)


def test_a_skipped_run_is_counted_as_skipped(aws, run_queue, metrics_on, capsys):
    from jobdeck.domain import Overlap

    jobs.create(make_job("solo", None, overlap=Overlap.SKIP))
    first, second = tasks.run_now("solo"), tasks.run_now("solo")
    store.start_task(first, at("2026-11-25T10:00:00Z"), store.get_job("solo"))  # the first is running
    messages = {m["Body"]: m for m in run_queue.receive()}
    capsys.readouterr()
    body = next(b for b in messages if second.id in b)
    _invoke("RunnerFunction", _runner_event(body))
    documents = _metrics(capsys.readouterr().out)
    assert any(d.get("TasksSkipped") == 1.0 and "raw" in d and "job_id" not in d["raw"] for d in documents)
    assert store.get_task("solo", second.id).message.startswith("skipped: 1 of 1 seats taken")


def test_metrics_stay_quiet_when_disabled(aws, run_queue, capsys):
    jobs.create(make_job("quiet", None))
    tasks.run_now("quiet")
    [message] = run_queue.receive()
    capsys.readouterr()
    _invoke("RunnerFunction", _runner_event(message["Body"]))
    assert _metrics(capsys.readouterr().out) == []


def test_start_lag_counts_from_the_end_of_a_retry_backoff(aws):
    from jobdeck import telemetry
    from jobdeck.domain import Task, TaskStatus, TriggerInfo, TriggerType

    task = Task("j", "t", TaskStatus.QUEUED, TriggerInfo(TriggerType.MANUAL), created_at=at("2026-11-25T10:00:00Z"))
    task.not_before = at("2026-11-25T10:05:00Z")
    telemetry.metrics.clear_metrics()
    telemetry.task_started(task, at("2026-11-25T10:05:02Z"))
    assert telemetry.metrics.metric_set["StartLag"]["Value"] == [2.0]
    telemetry.metrics.clear_metrics()


def test_a_handler_leaves_no_metric_behind_when_metrics_are_disabled(aws, run_queue):
    jobs.create(make_job("quiet", None))
    tasks.run_now("quiet")
    [message] = run_queue.receive()
    _invoke("RunnerFunction", _runner_event(message["Body"]))
    assert telemetry.metrics.metric_set == {}  # Powertools keeps unflushed metrics; the local stack runs for days
