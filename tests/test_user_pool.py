"""The user pool's custom resources (UserPoolSetupFunction) against moto's Cognito, with the app
client template.yaml declares: the console's URL added to the client in the same deploy with every
other setting carried over, moved on update, taken out on delete; the first admin invited into the
admin group once; every request answered, a failure and a timeout included. And the template: the
default hosted UI domain cannot collide with another account's, and the resource that re-adds the
URL runs again whenever the client changes."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from jobdeck import clients, user_pool
from jobdeck.custom_resource import DEADLINE_MARGIN_SECONDS, custom_resource
from jobdeck_local import template
from jobdeck_local.events import custom_resource_request
from jobdeck_local.lambda_runtime import LambdaContext, load_handler
from tests.support import HookServer

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp.type_defs import UserPoolClientTypeTypeDef

FUNCTION = "UserPoolSetupFunction"
CONSOLE = "https://a1b2c3d4e5.execute-api.eu-west-3.amazonaws.com/"
READ_ONLY = {"ClientSecret", "CreationDate", "LastModifiedDate"}
SERVICE_TOKEN = f"arn:aws:lambda:us-east-1:123456789012:function:jobdeck-{FUNCTION}"


@pytest.fixture
def answer() -> Iterator[Callable[[dict[str, Any]], dict[str, Any]]]:
    """Invoke the function as CloudFormation does: the one answer it sends back to the stack."""
    handler = _handler()
    with HookServer(status=200) as cloudformation:  # CloudFormation's presigned S3 URL

        def invoke(event: dict[str, Any]) -> dict[str, Any]:
            cloudformation.requests.clear()
            handler({**event, "ResponseURL": cloudformation.url("/response")}, LambdaContext.for_function(FUNCTION))
            [put] = cloudformation.requests
            assert put["method"] == "PUT"
            return json.loads(put["body"])

        yield invoke


@functools.cache
def _handler() -> Any:
    return load_handler(FUNCTION)


@pytest.fixture
def pool(aws) -> dict[str, str]:
    """A user pool with the admin group and the app client of template.yaml, as deployed."""
    cognito = boto3.client("cognito-idp")
    pool_id = cognito.create_user_pool(
        PoolName="jobdeck-admins",
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True}],
    )["UserPool"]["Id"]
    declared = copy.deepcopy(template.resources("AWS::Cognito::UserPoolClient")["UserPoolClient"])
    default_urls = template.load()["Parameters"]["ConsoleCallbackUrls"]["Default"].split(",")
    declared.update(UserPoolId=pool_id, CallbackURLs=default_urls, LogoutURLs=default_urls)
    client_id = cognito.create_user_pool_client(**declared)["UserPoolClient"]["ClientId"]
    cognito.create_group(UserPoolId=pool_id, GroupName="admins")
    return {"pool": pool_id, "client": client_id}


def _request(kind: str, request: str, props: dict[str, Any], old: dict[str, Any] | None = None) -> dict[str, Any]:
    """CloudFormation's request for one of the pool's resources, in the shape of events/ (the answer
    fixture puts its own ResponseURL in)."""
    fields: dict[str, Any] = {
        "ServiceToken": SERVICE_TOKEN,
        "ResourceType": f"Custom::{kind}",
        "LogicalResourceId": kind,
        "ResourceProperties": {"ServiceToken": SERVICE_TOKEN, **props},
    }
    if request != "Create":
        fields["PhysicalResourceId"] = kind
    if request == "Update":
        fields["OldResourceProperties"] = {"ServiceToken": SERVICE_TOKEN, **(old or {})}
    return custom_resource_request(request, "http://127.0.0.1:9/unused", **fields)


def _client(pool: dict[str, str]) -> UserPoolClientTypeTypeDef:
    cognito = boto3.client("cognito-idp")
    return cognito.describe_user_pool_client(UserPoolId=pool["pool"], ClientId=pool["client"])["UserPoolClient"]


def _urls(pool: dict[str, str]) -> tuple[list[str], list[str]]:
    client = _client(pool)
    return client["CallbackURLs"], client["LogoutURLs"]


def _console(pool: dict[str, str], *urls: str) -> dict[str, Any]:
    return {"UserPoolId": pool["pool"], "ClientId": pool["client"], "Urls": list(urls or [CONSOLE])}


# ------------------------------------------------------------------ the console's URLs


def test_the_console_url_joins_the_client_and_every_other_setting_is_sent_back(pool, answer):
    # moto keeps what UpdateUserPoolClient is not given; Cognito resets it. So what is sent is checked.
    sent: list[dict[str, Any]] = []
    clients.cognito().meta.events.register(
        "provide-client-params.cognito-idp.UpdateUserPoolClient", lambda params, **_: sent.append(dict(params))
    )
    before = _client(pool)

    reply = answer(_request("ConsoleUrls", "Create", _console(pool)))

    assert reply["Status"] == "SUCCESS", reply
    assert reply["Data"] == {"CallbackURLs": f"http://localhost:8000/,{CONSOLE}"}
    assert _urls(pool) == (["http://localhost:8000/", CONSOLE], ["http://localhost:8000/", CONSOLE])
    [request] = sent
    settings = {name: value for name, value in before.items() if name not in READ_ONLY}
    assert {k: v for k, v in request.items() if k not in user_pool.URL_FIELDS} == {
        k: v for k, v in settings.items() if k not in user_pool.URL_FIELDS
    }
    # what the template declares is among what was carried over
    assert {"AllowedOAuthFlows", "AllowedOAuthScopes", "ExplicitAuthFlows", "TokenValidityUnits"} <= set(request)


def test_an_update_moves_the_url_and_a_delete_takes_it_out(pool, answer):
    moved = "https://f6g7h8i9j0.execute-api.eu-west-3.amazonaws.com/"
    assert answer(_request("ConsoleUrls", "Create", _console(pool)))["Status"] == "SUCCESS"

    update = _request("ConsoleUrls", "Update", _console(pool, moved), old=_console(pool))
    assert answer(update)["Status"] == "SUCCESS"
    assert _urls(pool) == (["http://localhost:8000/", moved], ["http://localhost:8000/", moved])

    # CloudFormation rewrote the client from the template meanwhile: the URL is added back.
    boto3.client("cognito-idp").update_user_pool_client(
        UserPoolId=pool["pool"], ClientId=pool["client"], CallbackURLs=["https://other.example/"]
    )
    again = _request(
        "ConsoleUrls", "Update", {**_console(pool, moved), "ClientDeclaration": "new"}, _console(pool, moved)
    )
    assert answer(again)["Status"] == "SUCCESS"
    assert _urls(pool)[0] == ["https://other.example/", moved]

    assert answer(_request("ConsoleUrls", "Delete", _console(pool, moved)))["Status"] == "SUCCESS"
    assert _urls(pool) == (["https://other.example/"], ["http://localhost:8000/"])


def test_a_delete_once_the_client_is_gone_succeeds(pool, answer):
    boto3.client("cognito-idp").delete_user_pool_client(UserPoolId=pool["pool"], ClientId=pool["client"])
    assert answer(_request("ConsoleUrls", "Delete", _console(pool)))["Status"] == "SUCCESS"


def test_a_request_that_fails_is_answered_failed_with_the_reason(pool, answer):
    reply = answer(_request("ConsoleUrls", "Create", {**_console(pool), "ClientId": "nope"}))
    assert reply["Status"] == "FAILED"
    assert "ResourceNotFoundException" in reply["Reason"]

    reply = answer(_request("Unknown", "Create", {}))
    assert reply["Status"] == "FAILED" and "no custom resource 'Custom::Unknown'" in reply["Reason"]


# ------------------------------------------------------------------ the first admin


def test_the_first_admin_is_invited_into_the_admin_group_once(pool, answer):
    cognito = boto3.client("cognito-idp")
    admin = {"UserPoolId": pool["pool"], "Email": "ops@example.com", "Group": "admins"}

    reply = answer(_request("FirstAdmin", "Create", admin))

    assert reply["Status"] == "SUCCESS" and reply["Data"] == {"Username": "ops@example.com"}
    user = cognito.admin_get_user(UserPoolId=pool["pool"], Username="ops@example.com")
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"  # signs in with the emailed temporary password
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert (attributes["email"], attributes["email_verified"]) == ("ops@example.com", "true")
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool["pool"], Username="ops@example.com")["Groups"]
    assert [g["GroupName"] for g in groups] == ["admins"]

    # Run again (an update of the stack): the account is kept, nothing fails.
    assert answer(_request("FirstAdmin", "Update", admin, old=admin))["Status"] == "SUCCESS"
    # Deleted from the stack (AdminEmail emptied): the person keeps their account.
    assert answer(_request("FirstAdmin", "Delete", admin))["Status"] == "SUCCESS"
    assert [u["Username"] for u in cognito.list_users(UserPoolId=pool["pool"])["Users"]] == ["ops@example.com"]


def test_an_admin_group_that_does_not_exist_fails_the_resource(pool, answer):
    admin = {"UserPoolId": pool["pool"], "Email": "ops@example.com", "Group": "nobody"}
    reply = answer(_request("FirstAdmin", "Create", admin))
    assert reply["Status"] == "FAILED" and "ResourceNotFoundException" in reply["Reason"]


# ------------------------------------------------------------------ every request answered


def test_a_handler_still_at_work_when_time_runs_out_is_answered_failed_first():
    @custom_resource
    def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
        time.sleep(1.5)
        return {"done": "yes"}

    context = LambdaContext("slow", timeout_seconds=int(DEADLINE_MARGIN_SECONDS) + 1)  # the deadline: in 1 s
    with HookServer(status=200) as cloudformation:
        event = {**_request("ConsoleUrls", "Create", {}), "ResponseURL": cloudformation.url("/response")}
        began = time.monotonic()
        slow(event, context)
        took = time.monotonic() - began
    [reply] = [json.loads(r["body"]) for r in cloudformation.requests]  # one answer, not two
    assert reply["Status"] == "FAILED" and "timeout" in reply["Reason"]
    assert took >= 1.5


# ------------------------------------------------------------------ the template


def test_console_urls_runs_again_whenever_the_client_changes():
    declared = template.resources("AWS::Cognito::UserPoolClient")["UserPoolClient"]
    digest = hashlib.sha256(json.dumps(declared, sort_keys=True).encode()).hexdigest()[:16]
    console = template.resources("Custom::ConsoleUrls")["ConsoleUrls"]
    assert console["ClientDeclaration"] == digest, (
        f"UserPoolClient changed: CloudFormation will rewrite its URLs, so set ConsoleUrls' ClientDeclaration "
        f"to {digest!r} (then ConsoleUrls runs again after the client is updated)"
    )
    assert console["ConsoleCallbackUrls"] == declared["CallbackURLs"] == {"Ref": "ConsoleCallbackUrls"}
    assert console["Urls"] == [template.load()["Outputs"]["ApiUrl"]["Value"]]  # the console's own URL


def _evaluate(value: Any, pseudo: dict[str, str]) -> Any:
    """The intrinsic functions of the domain's default: Ref (pseudo parameters), Fn::Split, Fn::Select, Fn::Sub."""
    if isinstance(value, dict) and "Ref" in value:
        return pseudo[value["Ref"]]
    if isinstance(value, dict) and "Fn::Split" in value:
        delimiter, text = value["Fn::Split"]
        return _evaluate(text, pseudo).split(delimiter)
    if isinstance(value, dict) and "Fn::Select" in value:
        index, items = value["Fn::Select"]
        return _evaluate(items, pseudo)[int(index)]
    if isinstance(value, dict) and "Fn::Sub" in value:
        text, names = value["Fn::Sub"]
        for name, part in {**pseudo, **{k: _evaluate(v, pseudo) for k, v in names.items()}}.items():
            text = text.replace("${" + name + "}", part)
        return text
    return value


@pytest.mark.parametrize("account", ["123456789012", "000000000001"])
def test_the_default_hosted_ui_domain_is_valid_and_cannot_collide_with_another_accounts(account):
    domain = template.resources("AWS::Cognito::UserPoolDomain")["UserPoolDomain"]["Domain"]
    condition, _, default = domain["Fn::If"]
    assert condition == "HasCognitoDomainPrefix"
    stack_id = f"arn:aws:cloudformation:eu-west-3:{account}:stack/Jobdeck-Prod/9f86d081-884c-7d65-9a2f-eaa0c55ad015"
    prefix = _evaluate(default, {"AWS::AccountId": account, "AWS::StackId": stack_id})
    # Unique: every account's prefixes hold its own id (whatever the stack is named), each stack its own id.
    assert prefix == f"jobdeck-{account}-9f86d081"
    # Valid: what Cognito takes (lowercase letters, digits, hyphens; at most 63) and none of its reserved words.
    pattern = template.load()["Parameters"]["CognitoDomainPrefix"]["AllowedPattern"]
    assert re.fullmatch(pattern, prefix) and len(prefix) <= 63
    assert not any(word in prefix for word in ("aws", "amazon", "cognito"))


def test_the_setup_function_may_touch_the_user_pool_only():
    props = template.resources("AWS::Serverless::Function")[FUNCTION]
    [statement] = props["Policies"][0]["Statement"]
    assert statement["Resource"] == {"Fn::GetAtt": ["UserPool", "Arn"]}
    assert sorted(statement["Action"]) == [
        "cognito-idp:AdminAddUserToGroup",
        "cognito-idp:AdminCreateUser",
        "cognito-idp:DescribeUserPoolClient",
        "cognito-idp:UpdateUserPoolClient",
    ]
