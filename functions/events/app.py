"""EventsQueue's consumer: route each S3 or custom event to the jobs subscribed to it."""

from jobdeck import coldstart

with coldstart.imports():
    import json

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from jobdeck.routing import from_eventbridge, route
    from jobdeck.telemetry import delivery_failed, published, traced


logger = Logger()
# A batch whose every record failed is reported like any other: each record goes back to the queue.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> None:
    try:
        found = from_eventbridge(json.loads(record.body))
        if not found:
            # Another event, or an object of a datasource bucket outside every datasource's prefix.
            logger.info("not an event Jobdeck routes", extra={"message_id": record.message_id})
        for incoming in found:
            route(incoming)
    except Exception:
        delivery_failed("Events")  # reported as a failed item, which is no Lambda error: the alarm counts this
        raise


@logger.inject_lambda_context
@published
@traced
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
