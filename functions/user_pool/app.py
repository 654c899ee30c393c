"""CloudFormation custom resources of the Cognito user pool: the console's URL on the app client
(Custom::ConsoleUrls) and the first admin (Custom::FirstAdmin)."""

from jobdeck import coldstart

with coldstart.imports():
    from aws_lambda_powertools import Logger

    from jobdeck import user_pool
    from jobdeck.custom_resource import custom_resource


logger = Logger()


@logger.inject_lambda_context
@custom_resource
def lambda_handler(event: dict, context: object) -> dict:
    return user_pool.handle(event)
