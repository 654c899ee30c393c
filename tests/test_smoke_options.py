"""`jobdeck smoke`'s options: a deployed stack's outputs name the API and the bucket (moto's
CloudFormation stands in for the stack); what it cannot go without is refused before anything is
made, with exit status 2."""

from __future__ import annotations

import json

import boto3
import pytest

from jobdeck_local.cli import main
from jobdeck_local.stack import free_port

# The outputs smoke reads, as template.yaml declares them; a bucket for the name to be real.
STACK = {
    "Parameters": {"ApiUrl": {"Type": "String"}},
    "Resources": {"DatasourceBucket": {"Type": "AWS::S3::Bucket"}},
    "Outputs": {
        "ApiUrl": {"Value": {"Ref": "ApiUrl"}},
        "DatasourceBucketName": {"Value": {"Ref": "DatasourceBucket"}},
    },
}


@pytest.fixture(autouse=True)
def no_connection_from_the_shell(monkeypatch):
    monkeypatch.delenv("JOBDECK_API", raising=False)
    monkeypatch.delenv("JOBDECK_TOKEN", raising=False)


@pytest.fixture
def deployed(aws) -> dict[str, str]:
    """A stack whose API nobody serves: what smoke then says shows which URL it took."""
    cloudformation = boto3.client("cloudformation")
    api_url = f"http://127.0.0.1:{free_port()}/"
    cloudformation.create_stack(
        StackName="jobdeck",
        TemplateBody=json.dumps(STACK),
        Parameters=[{"ParameterKey": "ApiUrl", "ParameterValue": api_url}],
    )
    [stack] = cloudformation.describe_stacks(StackName="jobdeck")["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def test_a_stack_names_the_api_and_the_bucket(deployed, capsys):
    assert main(["smoke", "--stack", "jobdeck", "--token", "t"]) == 1

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(f": {deployed['ApiUrl']}, bucket {deployed['DatasourceBucketName']}")
    assert lines[1].split()[:2] == ["FAIL", "api"] and f"cannot reach the API at {deployed['ApiUrl']}" in lines[1]
    assert lines[-1].startswith("FAILED: api")


def test_api_and_bucket_given_beat_the_stacks(deployed, capsys):
    api = f"http://127.0.0.1:{free_port()}"
    assert main(["smoke", "--stack", "jobdeck", "--api", api, "--bucket", "mine", "--token", "t"]) == 1
    assert capsys.readouterr().out.splitlines()[0].endswith(f": {api}, bucket mine")


def test_an_unknown_stack_is_refused(aws, capsys):
    assert main(["smoke", "--stack", "nope", "--token", "t"]) == 2
    assert "--stack nope: no stack nope in us-east-1" in capsys.readouterr().err


def test_the_upload_needs_a_bucket_and_every_check_a_token(capsys):
    assert main(["smoke", "--token", "t"]) == 2
    assert "the upload check needs the datasource bucket: --bucket NAME or --stack NAME" in capsys.readouterr().err
    assert main(["smoke", "--skip", "upload"]) == 2
    err = capsys.readouterr().err
    assert "no token: pass an admin's --token or set JOBDECK_TOKEN (or name a stack with a Cognito pool" in err
    with pytest.raises(SystemExit) as exit_:
        main(["smoke", "--skip", "everything"])
    assert exit_.value.code == 2
