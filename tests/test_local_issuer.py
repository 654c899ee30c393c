"""The local issuer's token endpoint: a refresh token renews an access token as Cognito's
/oauth2/token does, until it is revoked or 30 days old (the issuer's clock, moved by the tests).
The issuer's discovery documents and dev tokens are tested with the rest of the front, in
test_local_api.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from jobdeck_local.http_front import HttpFront
from tests.test_local_api import ROUTES, EchoFunction, call, echoed


@pytest.fixture
def front() -> Iterator[HttpFront]:
    front = HttpFront(handler=EchoFunction(), port=0, routes=ROUTES).start()
    try:
        yield front
    finally:
        front.stop()


RENEW = {"grant_type": "refresh_token", "client_id": "jobdeck-local"}


def form_post(front: HttpFront, path: str, **fields: str) -> tuple[int, dict[str, Any]]:
    body = "&".join(f"{name}={value}" for name, value in fields.items()).encode()
    status, _, answer = call(front, "POST", path, [("Content-Type", "application/x-www-form-urlencoded")], body)
    return status, json.loads(answer)


def test_a_refresh_token_renews_the_access_token_as_cognitos_token_endpoint_does(front):
    """The console's dev sign-in asks for Cognito's 60-minute tokens; an hour later (the issuer's
    clock moved), the access token is refused and the refresh token gives a new one."""
    signed_in = json.loads(call(front, "GET", "/local-issuer/dev-token?username=admin&expires_in=3600")[2])
    assert signed_in["expires_in"] == 3600 and signed_in["refresh_token"]
    assert echoed(front, "GET", "/jobs", token=signed_in["access_token"])

    front.tokens.clock = lambda: time.time() + 61 * 60
    assert call(front, "GET", "/jobs", token=signed_in["access_token"])[0] == 401
    status, renewed = form_post(front, "/local-issuer/oauth2/token", **RENEW, refresh_token=signed_in["refresh_token"])
    assert status == 200 and renewed["expires_in"] == 3600 and "refresh_token" not in renewed
    claims = echoed(front, "GET", "/jobs", token=renewed["access_token"])["requestContext"]["authorizer"]["jwt"]
    assert (claims["claims"]["username"], claims["claims"]["cognito:groups"]) == ("admin", "[admins]")


@pytest.mark.parametrize(
    ("fields", "answer"),
    [
        ({**RENEW, "grant_type": "authorization_code"}, {"error": "unsupported_grant_type"}),
        ({**RENEW, "client_id": "another-client"}, {"error": "invalid_client"}),
        (
            {**RENEW, "refresh_token": "made-up"},
            {"error": "invalid_grant", "error_description": "Refresh Token has expired or was revoked"},
        ),
    ],
)
def test_the_token_endpoint_refuses_as_cognitos_does(front, fields, answer):
    fields.setdefault("refresh_token", front.tokens.dev_token("admin")["refresh_token"])
    assert form_post(front, "/local-issuer/oauth2/token", **fields) == (400, answer)


def test_a_refresh_token_ends_after_30_days_or_once_revoked(front):
    aging, revoked = (front.tokens.dev_token("alice")["refresh_token"] for _ in range(2))
    assert form_post(front, "/local-issuer/oauth2/revoke", token=revoked, client_id="jobdeck-local") == (200, {})
    assert form_post(front, "/local-issuer/oauth2/token", **RENEW, refresh_token=revoked)[0] == 400
    assert form_post(front, "/local-issuer/oauth2/token", **RENEW, refresh_token=aging)[0] == 200
    front.tokens.clock = lambda: time.time() + 30 * 86400 + 1
    assert form_post(front, "/local-issuer/oauth2/token", **RENEW, refresh_token=aging)[1]["error"] == "invalid_grant"
    assert call(front, "GET", "/local-issuer/oauth2/token")[0] == 405
