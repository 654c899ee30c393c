"""RunQueue's consumer: one task per invocation (BatchSize 1, so that a long task delays no other
one's start). A delivery that fails raises: the message goes back to the queue, and after its last
receive to the dead-letter queue.

One record is no batch to report on, so no Powertools batch processor; and its four fields are read
from the event as SQS documents them: importing Powertools' SQS data class imports all of its event
classes, together a fifth of this function's cold start."""

from datetime import UTC, datetime

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobdeck.runner import run_message
from jobdeck.telemetry import published, traced

logger = Logger()


@logger.inject_lambda_context
@published
@traced
def lambda_handler(event: dict, context: LambdaContext) -> None:
    for record in event["Records"]:  # one; were there more, a redelivered task would not run twice
        attributes = record["attributes"]
        run_message(
            record["body"],
            record["messageId"],
            datetime.fromtimestamp(int(attributes["SentTimestamp"]) / 1000, UTC),
            receive_count=int(attributes["ApproximateReceiveCount"]),
            time_left=lambda: context.get_remaining_time_in_millis() / 1000,
        )
