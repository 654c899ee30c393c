"""CloudFormation custom resources of the setup function: the system jobs and the jobs kept as code
(Custom::SystemJobs: jobs/*.yaml, shipped beside this file, installed on every deploy), and what the
functions' roles may touch of the datasources (Custom::Datasources: jobdeck.datasource_grants)."""

from jobdeck import coldstart

with coldstart.imports():
    from pathlib import Path

    from aws_lambda_powertools import Logger

    from jobdeck import datasource_grants, jobs_as_code, system_jobs
    from jobdeck.custom_resource import custom_resource


logger = Logger()
JOBS = Path(__file__).parent / "jobs"


@logger.inject_lambda_context
@custom_resource
def lambda_handler(event: dict, context: object) -> dict:
    if event["ResourceType"] == datasource_grants.KIND:
        return datasource_grants.handle(event)
    if event["RequestType"] in ("Create", "Update"):
        return {"registered": ",".join(system_jobs.ensure()), "installed": ",".join(jobs_as_code.install(JOBS))}
    return {}
