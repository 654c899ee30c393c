"""CloudFormation custom resource: registers the system jobs on every deploy."""

from aws_lambda_powertools import Logger

from jobdeck import system_jobs
from jobdeck.deploy import custom_resource

logger = Logger()


@logger.inject_lambda_context
@custom_resource
def lambda_handler(event: dict, context: object) -> dict:
    if event["RequestType"] in ("Create", "Update"):
        return {"registered": ",".join(system_jobs.ensure())}
    return {}
