"""CloudFormation custom resource: registers the system jobs and installs the jobs kept as code
(jobs/*.yaml, shipped beside this file) on every deploy."""

from jobdeck import coldstart

with coldstart.imports():
    from pathlib import Path

    from aws_lambda_powertools import Logger

    from jobdeck import jobs_as_code, system_jobs
    from jobdeck.custom_resource import custom_resource


logger = Logger()
JOBS = Path(__file__).parent / "jobs"


@logger.inject_lambda_context
@custom_resource
def lambda_handler(event: dict, context: object) -> dict:
    if event["RequestType"] in ("Create", "Update"):
        return {"registered": ",".join(system_jobs.ensure()), "installed": ",".join(jobs_as_code.install(JOBS))}
    return {}
