"""Every minute (EventBridge rule): fire the jobs that are due."""

from jobdeck import coldstart

with coldstart.imports():
    from aws_lambda_powertools import Logger

    from jobdeck.telemetry import published, traced
    from jobdeck.tick import tick


logger = Logger()


@logger.inject_lambda_context
@published
@traced
def lambda_handler(event: dict, context: object) -> dict:
    return tick().as_dict()
