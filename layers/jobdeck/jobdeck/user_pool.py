"""What a deploy sets in the stack's Cognito user pool once the pool, its app client and the admin
API all exist (CloudFormation custom resources, run by UserPoolSetupFunction):

- `Custom::ConsoleUrls`: the console's URL (the API's) among the app client's callback and sign-out
  URLs. The client cannot name the API in the template: the API's JWT authorizer names the client,
  which would be a cycle. So the URL is added here, in the same deploy, after both are made.
- `Custom::FirstAdmin`: the first admin, in the admin group; Cognito emails them a temporary
  password (the pool lets only admins create users).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from jobdeck import clients

logger = Logger()

URL_FIELDS = ("CallbackURLs", "LogoutURLs")


def handle(event: dict[str, Any]) -> dict[str, str]:
    """A custom resource request of one of this module's types; its answer's Data."""
    kinds = {"Custom::ConsoleUrls": console_urls, "Custom::FirstAdmin": first_admin}
    kind = event["ResourceType"]
    if kind not in kinds:
        raise ValueError(f"no custom resource {kind!r} here (known: {', '.join(kinds)})")
    return kinds[kind](event)


# ------------------------------------------------------------------ the console's URLs


def console_urls(event: dict[str, Any]) -> dict[str, str]:
    """Create: add the URLs. Update: take out the old ones no longer wanted, add the new. Delete:
    take them out (a client already gone has nothing to take out)."""
    new, old = event["ResourceProperties"], event.get("OldResourceProperties") or {}
    request = event["RequestType"]
    if request == "Delete":
        edit_urls(new["UserPoolId"], new["ClientId"], add=[], remove=list(new["Urls"]), gone_ok=True)
        return {}
    if request == "Update" and old and (old["UserPoolId"], old["ClientId"]) != (new["UserPoolId"], new["ClientId"]):
        edit_urls(old["UserPoolId"], old["ClientId"], add=[], remove=list(old["Urls"]), gone_ok=True)
        old = {}
    stale = [url for url in old.get("Urls", []) if url not in new["Urls"]]
    urls = edit_urls(new["UserPoolId"], new["ClientId"], add=list(new["Urls"]), remove=stale)
    return {"CallbackURLs": ",".join(urls)}


def edit_urls(pool_id: str, client_id: str, add: list[str], remove: list[str], gone_ok: bool = False) -> list[str]:
    """Add and remove callback and sign-out URLs of an app client, every other setting kept; the
    callback URLs it is left with."""
    cognito = clients.cognito()
    try:
        described = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
        # Read by any setting's name (_updatable's), which the stubs' TypedDict takes only as literals.
        client: Mapping[str, Any] = described["UserPoolClient"]
    except ClientError as error:
        if gone_ok and error.response["Error"]["Code"] == "ResourceNotFoundException":
            logger.info("the app client is gone: no URL to take out", extra={"client_id": client_id})
            return []
        raise
    # UpdateUserPoolClient sets what it is not given to its default (callback URLs, flows, scopes,
    # token validities...): send back every setting the client has, changed only in its URLs.
    settings: dict[str, Any] = {name: value for name, value in client.items() if name in _updatable()}
    for name in URL_FIELDS:
        kept = [url for url in client.get(name, []) if url not in remove]
        settings[name] = kept + [url for url in add if url not in kept]
    if all(settings[name] == client.get(name, []) for name in URL_FIELDS):
        return list(settings["CallbackURLs"])
    cognito.update_user_pool_client(**settings)
    logger.info("app client URLs set", extra={name: settings[name] for name in URL_FIELDS})
    return list(settings["CallbackURLs"])


@cache
def _updatable() -> frozenset[str]:
    """What UpdateUserPoolClient takes, as the botocore shipped with the layer knows it."""
    operation = clients.cognito().meta.service_model.operation_model("UpdateUserPoolClient")
    assert operation.input_shape is not None  # botocore's None is for operations that take no input
    return frozenset(operation.input_shape.members)


# ------------------------------------------------------------------ the first admin


def first_admin(event: dict[str, Any]) -> dict[str, str]:
    """Create or Update: the user (username and email the address given) exists and is in the
    group. Delete does nothing: a person's account outlives a change of the stack (remove it in
    Cognito), and the pool is retained anyway."""
    props = event["ResourceProperties"]
    if event["RequestType"] == "Delete":
        return {}
    pool_id, email, group = props["UserPoolId"], props["Email"].strip(), props["Group"]
    cognito = clients.cognito()
    try:
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=email,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
            DesiredDeliveryMediums=["EMAIL"],
        )
        logger.info("first admin invited", extra={"username": email})
    except ClientError as error:
        if error.response["Error"]["Code"] != "UsernameExistsException":
            raise
        logger.info("the admin has an account already: no new invitation", extra={"username": email})
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=group)
    return {"Username": email}
