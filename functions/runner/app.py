"""RunQueue's consumer: run each task; a record that fails goes back to the queue on its own."""

from datetime import UTC, datetime

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobdeck.runner import run_message
from jobdeck.telemetry import published, traced

logger = Logger()
# A batch whose every record failed is reported like any other: each record goes back to the queue.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    run_message(
        record.body,
        record.message_id,
        datetime.fromtimestamp(int(record.attributes.sent_timestamp) / 1000, UTC),
        receive_count=int(record.attributes.approximate_receive_count),
        time_left=lambda: lambda_context.get_remaining_time_in_millis() / 1000,
    )


@logger.inject_lambda_context
@published
@traced
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
