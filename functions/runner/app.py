"""RunQueue's consumer: one task per invocation (BatchSize 1, so that a long task delays no other
one's start). A delivery that fails is reported as a failed item, not raised: the message goes back
to the queue (then to its dead-letter queue after the last receive), and Lambda does not take a
function error as a reason to scale the mapping down, which would slow every job's start.

With one record there is no batch to process, so no Powertools batch processor (its import, asyncio
and every Powertools event data class with it, was a fifth of this function's cold start); the
record's four fields are read as SQS documents them."""

from jobdeck import coldstart

with coldstart.imports():
    from datetime import UTC, datetime

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from jobdeck.runner import run_message
    from jobdeck.telemetry import delivery_failed, published, traced


logger = Logger()


@logger.inject_lambda_context
@published
@traced
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    failed = []
    for record in event["Records"]:  # one, as RunQueue's event source is configured
        attributes = record["attributes"]
        try:
            run_message(
                record["body"],
                record["messageId"],
                datetime.fromtimestamp(int(attributes["SentTimestamp"]) / 1000, UTC),
                receive_count=int(attributes["ApproximateReceiveCount"]),
                time_left=lambda: context.get_remaining_time_in_millis() / 1000,
            )
        except Exception:
            logger.exception(
                "delivery failed; the message goes back to the queue", extra={"message_id": record["messageId"]}
            )
            delivery_failed("Run")  # a failed item is no Lambda error: the errors alarm counts this
            failed.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failed}
