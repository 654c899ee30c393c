"""The admin HTTP API (API Gateway HTTP API, JWT authorizer in front)."""

from jobdeck import coldstart

with coldstart.imports():
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.logging import correlation_paths
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from jobdeck.api.app import handle


logger = Logger()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return handle(event, context)
