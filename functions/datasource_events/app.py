"""CloudFormation custom resource (Custom::DatasourceEvents): EventBridge notifications on for the
attached buckets, their other notifications kept (jobdeck.bucket_events). Its own function: the
setup function serves DatasourceGrants, of which this one's role is made."""

from jobdeck import coldstart

with coldstart.imports():
    from aws_lambda_powertools import Logger

    from jobdeck import bucket_events
    from jobdeck.custom_resource import custom_resource


logger = Logger()


@logger.inject_lambda_context
@custom_resource
def lambda_handler(event: dict, context: object) -> dict:
    return bucket_events.handle(event)
