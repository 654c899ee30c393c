"""`make deploy`, guided, with moto's server as the AWS account and a stand-in `sam` executable
that records its command lines and, on `deploy`, makes or updates a stack with Jobdeck's outputs (a
user pool with its app client and admin group, a bucket, an API URL nobody serves). What only AWS
can show (the real build and deploy, Cognito's email, the smoke test passing against the deployed
API) is in docs/deploying.md.

And the temporary admin a smoke test of a deployed stack signs in as, against moto's Cognito."""

from __future__ import annotations

import json
import stat
import sys
import textwrap
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import jwt
import pytest

from jobdeck_local import guided_deploy, temporary_admin
from jobdeck_local.deployed_stack import DeployedStack
from jobdeck_local.moto_process import MotoProcess
from jobdeck_local.stack import free_port

STAND_IN_SAM = textwrap.dedent(
    """\
    #!{python}
    # A stand-in for SAM CLI: records its arguments; `deploy` makes or updates a stack with the
    # outputs of Jobdeck's template, on the AWS endpoint of the environment (moto's server).
    import json, os, sys
    import boto3

    args = sys.argv[1:]
    with open(os.environ["STAND_IN_SAM_LOG"], "a") as log:
        log.write(json.dumps(args) + "\\n")
    if args[0] == os.environ.get("STAND_IN_SAM_FAIL"):
        print(f"Error: {{args[0]}} went wrong", file=sys.stderr)
        sys.exit(1)
    if args[0] != "deploy":
        sys.exit(0)
    name, region = args[args.index("--stack-name") + 1], args[args.index("--region") + 1]
    given = {{}}
    if "--parameter-overrides" in args:
        for pair in args[args.index("--parameter-overrides") + 1:]:
            if pair.startswith("--"):
                break
            key, _, value = pair.partition("=")
            given[key] = value.strip('"')
    cloudformation = boto3.client("cloudformation", region_name=region)
    names = ["AdminEmail", "AdminGroup", "ApiUrl", "UserPoolId", "UserPoolClientId"]
    body = json.dumps({{
        "Parameters": {{p: {{"Type": "String", "Default": ""}} for p in names}},
        "Resources": {{"DatasourceBucket": {{"Type": "AWS::S3::Bucket"}}}},
        "Outputs": {{
            **{{p: {{"Value": {{"Ref": p}}}} for p in names[2:]}},
            "DatasourceBucketName": {{"Value": {{"Ref": "DatasourceBucket"}}}},
        }},
    }})
    if name in [s["StackName"] for s in cloudformation.list_stacks()["StackSummaries"]]:
        parameters = [
            {{"ParameterKey": p, **({{"ParameterValue": given[p]}} if p in given else {{"UsePreviousValue": True}})}}
            for p in names
        ]
        try:
            cloudformation.update_stack(StackName=name, TemplateBody=body, Parameters=parameters)
        except cloudformation.exceptions.ClientError as error:  # --no-fail-on-empty-changeset
            if "No updates" not in str(error) or "--no-fail-on-empty-changeset" not in args:
                raise
        sys.exit(0)
    cognito = boto3.client("cognito-idp", region_name=region)
    pool = cognito.create_user_pool(PoolName=f"{{name}}-admins")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="jobdeck-console", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.create_group(UserPoolId=pool, GroupName="admins")
    values = {{"AdminGroup": "admins", "ApiUrl": os.environ["STAND_IN_API_URL"], "UserPoolId": pool,
              "UserPoolClientId": client, **given}}
    cloudformation.create_stack(
        StackName=name, TemplateBody=body,
        Parameters=[{{"ParameterKey": k, "ParameterValue": v}} for k, v in values.items()],
    )
    """
)


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoProcess]:
    server = MotoProcess("127.0.0.1", free_port()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def account(moto: MotoProcess, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh account on moto's server: the AWS endpoint of this process and of the stand-in."""
    urllib.request.urlopen(urllib.request.Request(f"{moto.endpoint}/moto-api/reset", method="POST"), timeout=10)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    return moto.endpoint


@pytest.fixture
def sam(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "sam"
    path.write_text(STAND_IN_SAM.format(python=sys.executable))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("STAND_IN_SAM_LOG", str(tmp_path / "sam.log"))
    monkeypatch.setenv("STAND_IN_API_URL", f"http://127.0.0.1:{free_port()}/")  # nobody serves it
    monkeypatch.delenv("JOBDECK_TOKEN", raising=False)
    return path


def _sam_calls(sam: Path) -> list[list[str]]:
    log = sam.parent / "sam.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.is_file() else []


class Answers:
    """The operator at the prompts: each answer given in turn, each question kept."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.questions: list[str] = []

    def __call__(self, question: str) -> str:
        self.questions.append(question)
        return self.answers.pop(0)


def _users(stack_name: str) -> list[str]:
    stack = DeployedStack.describe(boto3.Session(), stack_name)
    assert stack is not None
    users = boto3.client("cognito-idp").list_users(UserPoolId=stack.outputs["UserPoolId"])["Users"]
    return [u["Username"] for u in users]


@pytest.mark.slow  # moto's server and the stand-in sam are processes
def test_a_first_deploy_asks_deploys_prints_the_console_and_runs_the_smoke_test(account, sam, capsys):
    operator = Answers("jobdeck-test", "not an address", "ops@example.com", "")

    status = guided_deploy.main(["--sam", str(sam)], ask=operator)

    out, err = capsys.readouterr()
    assert operator.questions[0] == "Stack name [jobdeck]: "  # samconfig.toml's name by default
    assert operator.questions[1].startswith("Email of the first admin") and len(operator.questions) == 4
    assert operator.questions[3].startswith("Buckets to attach as datasources")  # none: no more about them
    assert "'not an address' is not an email address" in out
    assert _sam_calls(sam) == [
        ["validate", "--lint"],
        ["build"],
        [
            *("deploy", "--stack-name", "jobdeck-test", "--region", "us-east-1", "--no-fail-on-empty-changeset"),
            *("--parameter-overrides", "AdminEmail=ops@example.com"),
        ],
    ]
    stack = DeployedStack.describe(boto3.Session(), "jobdeck-test")
    assert stack is not None and stack.parameters["AdminEmail"] == "ops@example.com"
    assert "Creating stack jobdeck-test." in out and "(account 123456789012) in us-east-1" in out
    assert f"  console:     {stack.outputs['ApiUrl']}\n" in out
    assert "  sign in:     as ops@example.com, with the temporary password Cognito emailed" in out
    assert "  smoke test:  jobdeck smoke --stack jobdeck-test --region us-east-1\n" in out
    # The smoke test ran against the stack's API, signed in as a temporary admin it then deleted.
    assert "signed in as jobdeck-smoke-" in out and "a temporary admin deleted at the end" in out
    assert "FAIL  api" in out and f"cannot reach the API at {stack.outputs['ApiUrl']}" in out
    assert status == 1 and "The stack is deployed, but the smoke test failed" in err
    assert not [user for user in _users("jobdeck-test") if user.startswith("jobdeck-smoke-")]


@pytest.mark.slow  # moto's server and the stand-in sam are processes
def test_a_first_deploy_asks_for_datasources_until_they_parse_and_whether_to_turn_their_events_on(account, sam, capsys):
    spec = "photos=photos-bucket,archive=archive-bucket/2024/"
    operator = Answers("jobdeck-test", "ops@example.com", "Photos=photos-bucket", spec, "y")

    guided_deploy.main(["--sam", str(sam), "--no-smoke"], ask=operator)

    out = capsys.readouterr().out
    assert "'Photos=photos-bucket': the name 'Photos' must be" in out
    assert operator.questions[-1].startswith("May the stack turn on their EventBridge notifications")
    assert _sam_calls(sam)[-1][-3:] == [
        "AdminEmail=ops@example.com",
        f'Datasources="{spec}"',
        'EnableDatasourceEvents="true"',
    ]


def test_the_console_text_names_the_datasources_and_how_to_turn_their_events_on():
    stack = DeployedStack(
        "jobdeck",
        "eu-west-3",
        outputs={"ApiUrl": "https://api.example/"},
        parameters={"Datasources": "photos=photos-bucket,jan=archive-bucket/2024/01/,feb=archive-bucket/2024/02/"},
    )
    text = guided_deploy.console_text(stack, None)
    assert "  datasources: photos=s3://photos-bucket/, jan=s3://archive-bucket/2024/01/, feb=" in text
    command = "aws s3api put-bucket-notification-configuration --bucket {} --notification-configuration"
    assert text.count(command.format("archive-bucket")) == 1 and command.format("photos-bucket") in text
    allowed = DeployedStack(**{**stack.__dict__, "parameters": {**stack.parameters, "EnableDatasourceEvents": "true"}})
    assert "put-bucket-notification-configuration" not in guided_deploy.console_text(allowed, None)
    assert "datasources:" not in guided_deploy.console_text(DeployedStack("jobdeck", "eu-west-3", stack.outputs), None)


@pytest.mark.slow  # moto's server and the stand-in sam are processes
def test_a_later_deploy_keeps_the_admin_and_with_yes_asks_nothing(account, sam, capsys):
    guided_deploy.main(["--sam", str(sam), "--stack-name", "jobdeck-test", "--admin-email", "ops@example.com"])
    (sam.parent / "sam.log").unlink()
    capsys.readouterr()

    status = guided_deploy.main(["--sam", str(sam), "--stack-name", "jobdeck-test", "--yes", "--no-smoke"])

    out = capsys.readouterr().out
    assert status == 0 and "Updating stack jobdeck-test." in out
    deploy = _sam_calls(sam)[-1]
    assert "--parameter-overrides" not in deploy  # AdminEmail keeps its value (sam passes the previous one)
    assert deploy[-1] == "--no-confirm-changeset"
    assert "as ops@example.com" in out and "signed in as" not in out


@pytest.mark.slow  # moto's server and the stand-in sam are processes
def test_a_failed_sam_step_ends_the_deploy_with_its_status(account, sam, capsys, monkeypatch):
    monkeypatch.setenv("STAND_IN_SAM_FAIL", "build")

    status = guided_deploy.main(["--sam", str(sam), "--stack-name", "jobdeck-test", "--admin-email", "a@b.example"])

    assert status == 1
    assert [call[0] for call in _sam_calls(sam)] == ["validate", "build"]  # no deploy after a failed build
    assert "sam build failed (exit status 1); nothing after it was done" in capsys.readouterr().err


@pytest.mark.slow  # moto's server and the stand-in sam are processes
def test_what_must_be_set_first_is_named_with_exit_status_2(account, sam, capsys, monkeypatch):
    # Unattended, a first deploy needs the admin's email.
    assert guided_deploy.main(["--sam", str(sam), "--yes"]) == 2
    assert "a first deploy needs the first admin's email: --admin-email" in capsys.readouterr().err
    assert guided_deploy.main(["--sam", str(sam), "--yes", "--admin-email", "nope"]) == 2
    assert "--admin-email 'nope' is not an email address" in capsys.readouterr().err
    assert _sam_calls(sam) == []
    # No credentials at all.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(sam.parent / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(sam.parent / "none"))
    assert guided_deploy.main(["--sam", str(sam), "--yes", "--admin-email", "a@b.example"]) == 2
    assert "no usable AWS credentials" in capsys.readouterr().err


# ------------------------------------------------------------------ the temporary admin


def test_the_temporary_admin_signs_in_to_the_admin_group_and_is_gone_after(aws, monkeypatch):
    cognito = boto3.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="p")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="c", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.create_group(UserPoolId=pool, GroupName="ops")
    cognito.admin_create_user(UserPoolId=pool, Username="jobdeck-smoke-killed", MessageAction="SUPPRESS")
    cognito.admin_create_user(UserPoolId=pool, Username="ops@example.com", MessageAction="SUPPRESS")
    monkeypatch.setattr(temporary_admin, "LEFTOVER_AGE", temporary_admin.timedelta(0))  # as if an hour had passed
    stack = DeployedStack(
        "jobdeck", "us-east-1", {"UserPoolId": pool, "UserPoolClientId": client}, {"AdminGroup": "ops"}
    )

    with temporary_admin.temporary_admin(boto3.Session(), stack) as admin:
        claims = jwt.decode(admin.token, options={"verify_signature": False})
        assert (claims["username"], claims["client_id"], claims["token_use"]) == (admin.username, client, "access")
        assert claims["cognito:groups"] == ["ops"]
        # a leftover of a killed run went; the people stayed
        assert sorted(u["Username"] for u in cognito.list_users(UserPoolId=pool)["Users"]) == sorted(
            ["ops@example.com", admin.username]
        )

    assert [u["Username"] for u in cognito.list_users(UserPoolId=pool)["Users"]] == ["ops@example.com"]
