"""An admin who exists for one smoke test of a deployed stack, so that the operator needs no token:
created in the stack's Cognito pool and admin group with a random password that is set by admin
calls and never shown, signed in with USER_PASSWORD_AUTH (the stack's app client allows it), and
deleted afterwards whatever happened. Its access token expires within the hour in any case.

A process killed before its deletion leaves a user nobody can sign in as (no one knows its
password); the next temporary admin deletes those over an hour old."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from jobdeck_local.deployed_stack import DeployedStack

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

PREFIX = "jobdeck-smoke-"
LEFTOVER_AGE = timedelta(hours=1)


@dataclass(frozen=True)
class SignedIn:
    username: str
    token: str  # an access token, as the console's users have


def can_make(stack: DeployedStack) -> bool:
    """Whether the stack signs its users in with a Cognito pool of its own (not another OIDC issuer)."""
    return {"UserPoolId", "UserPoolClientId"} <= set(stack.outputs)


@contextmanager
def temporary_admin(session: boto3.Session, stack: DeployedStack) -> Iterator[SignedIn]:
    pool, client = stack.output("UserPoolId"), stack.output("UserPoolClientId")
    group = stack.parameters.get("AdminGroup") or "admins"
    cognito = session.client("cognito-idp")
    _sweep(cognito, pool)
    username = f"{PREFIX}{secrets.token_hex(4)}"
    # Random, and one of each class any password policy may ask for.
    password = secrets.token_urlsafe(32) + "aA1!"
    cognito.admin_create_user(
        UserPoolId=pool,
        Username=username,
        # The pool requires an email; .invalid is a reserved domain, and nothing is sent (SUPPRESS).
        UserAttributes=[{"Name": "email", "Value": f"{username}@jobdeck.invalid"}],
        MessageAction="SUPPRESS",
    )
    try:
        cognito.admin_set_user_password(UserPoolId=pool, Username=username, Password=password, Permanent=True)
        cognito.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName=group)
        answer = cognito.initiate_auth(
            ClientId=client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": username, "PASSWORD": password}
        )
        if "AuthenticationResult" not in answer:
            raise RuntimeError(
                f"Cognito asks the temporary admin for {answer.get('ChallengeName')} (MFA?): pass an admin's --token"
            )
        yield SignedIn(username, answer["AuthenticationResult"]["AccessToken"])
    finally:
        cognito.admin_delete_user(UserPoolId=pool, Username=username)


def _sweep(cognito: CognitoIdentityProviderClient, pool: str) -> None:
    old = datetime.now(UTC) - LEFTOVER_AGE
    for user in cognito.list_users(UserPoolId=pool, Filter=f'username ^= "{PREFIX}"')["Users"]:
        if user["UserCreateDate"] < old:
            cognito.admin_delete_user(UserPoolId=pool, Username=user["Username"])
