"""The Tasks table's stream: announce each task's change of status on the default event bus."""

from jobdeck import coldstart

with coldstart.imports():
    from aws_lambda_powertools import Logger

    from jobdeck.task_events import changes, publish
    from jobdeck.telemetry import published, traced


logger = Logger()


@logger.inject_lambda_context
@published
@traced
def lambda_handler(event: dict, context: object) -> dict:
    failed_from = publish(changes(event.get("Records", [])))
    # Lambda reads the stream again from the first record reported (ReportBatchItemFailures).
    return {"batchItemFailures": [{"itemIdentifier": failed_from}] if failed_from else []}
