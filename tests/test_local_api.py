"""The local API Gateway (HTTP API, payload 2.0, JWT authorizer) and the dev token issuer, driven
with a fake function that echoes its events: no dependence on the real admin API."""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from jobdeck_local.http_front import MAX_PAYLOAD, HttpFront, Route, template_routes
from jobdeck_local.tokens import TokenIssuer, flatten_claims
from tests.support import clients_at_once

# How template.yaml routes AdminApi: four public GETs, everything else behind the JWT authorizer.
ROUTES = [
    Route("GET", "/", authorized=False),
    Route("GET", "/openapi.json", authorized=False),
    Route("GET", "/docs", authorized=False),
    Route("GET", "/console/{proxy+}", authorized=False),
    Route("ANY", "/{proxy+}"),
]


class EchoFunction:
    """A stand-in for ApiFunction: answers with the event it got, or what a test asks for."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.reply: Any = None
        self.delay = 0.0
        self.running = self.most_running = 0

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            self.events.append(event)
            time.sleep(self.delay)
            if event["rawPath"] == "/boom":
                raise RuntimeError("boom")
            if self.reply is not None:
                return self.reply
            return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
        finally:
            self.running -= 1


@pytest.fixture
def function() -> EchoFunction:
    return EchoFunction()


@pytest.fixture
def front(function: EchoFunction) -> Iterator[HttpFront]:
    front = HttpFront(handler=function, port=0, routes=ROUTES).start()
    try:
        yield front
    finally:
        front.stop()


def call(
    front: HttpFront,
    method: str,
    target: str,
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    token: str | None = None,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", front.port, timeout=10)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        if token is not None:
            connection.putheader("Authorization", f"Bearer {token}")
        for name, value in headers or []:
            connection.putheader(name, value)
        if body or method in ("POST", "PUT", "PATCH"):
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body or None)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def echoed(front: HttpFront, method: str, target: str, **kwargs: Any) -> dict[str, Any]:
    status, _, body = call(front, method, target, **kwargs)
    assert status == 200, body
    return json.loads(body)


# ------------------------------------------------------------------ the authorizer


def test_a_request_without_a_token_is_refused_before_the_function(front, function):
    status, headers, body = call(front, "GET", "/jobs")
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
    assert headers["content-type"] == "application/json"
    assert function.events == []


def _foreign_key_token(front: HttpFront) -> str:
    """Signed by another key, under the issuer's own key id."""
    other = TokenIssuer(front.tokens.issuer)
    other.kid = front.tokens.kid
    return other.mint("admin")


BAD_TOKENS = {
    "garbage": lambda front: "not-a-jwt",
    "expired": lambda front: front.tokens.mint("admin", issued_at=time.time() - 13 * 3600),
    "wrong issuer": lambda front: TokenIssuer("http://127.0.0.1:1/elsewhere", key=front.tokens.key).mint("admin"),
    "iss claim changed": lambda front: front.tokens.mint("admin", iss="https://cognito-idp.example/pool"),
    "wrong audience": lambda front: front.tokens.mint("admin", client_id="another-client"),
    "wrong aud beside a good client_id": lambda front: front.tokens.mint("admin", aud="another-client"),
    "unknown key id": lambda front: TokenIssuer(front.tokens.issuer).mint("admin"),
    "bad signature": _foreign_key_token,
    "issued in the future": lambda front: front.tokens.mint("admin", issued_at=time.time() + 600),
    "not before the future": lambda front: front.tokens.mint("admin", nbf=int(time.time()) + 600),
    "no exp": lambda front: front.tokens.mint("admin", exp=None),
    "unsigned": lambda front: jwt.encode(
        {"iss": front.tokens.issuer, "client_id": "jobdeck-local", "exp": time.time() + 60, "username": "admin"},
        "",  # no key: PyJWT's "none" takes "" as None, and encode's annotation has no None
        algorithm="none",
        headers={"kid": front.tokens.kid},
    ),
}


@pytest.mark.parametrize("case", BAD_TOKENS)
def test_a_bad_token_is_refused_with_401(front, function, case):
    status, headers, body = call(front, "GET", "/jobs", token=BAD_TOKENS[case](front))
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
    assert headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert function.events == []


def test_the_token_may_come_without_the_bearer_prefix(front):
    # The JWT authorizer's identity source may hold the token alone, or prefixed with "Bearer ".
    event = echoed(front, "GET", "/jobs", headers=[("Authorization", front.tokens.mint("admin"))])
    assert event["requestContext"]["authorizer"]["jwt"]["claims"]["username"] == "admin"


@pytest.mark.parametrize("target", ["/", "/openapi.json", "/docs", "/console/index.html", "/console/js/app.js"])
def test_public_routes_need_no_token_and_carry_no_authorizer(front, target):
    event = echoed(front, "GET", target)
    assert "authorizer" not in event["requestContext"]
    # A token sent anyway is not looked at: the route has no authorizer.
    event = echoed(front, "GET", target, token=front.tokens.mint("admin"))
    assert "authorizer" not in event["requestContext"]


def test_only_the_public_method_is_public(front):
    assert call(front, "POST", "/docs")[0] == 401  # POST /docs is ANY /{proxy+}, which is guarded
    assert call(front, "GET", "/console")[0] == 401  # /console/{proxy+} needs a segment after it


def test_a_request_no_route_takes_is_404(front):
    assert call(front, "DELETE", "/", token=front.tokens.mint("admin"))[:1] == (404,)


def test_claims_arrive_flattened_as_api_gateway_passes_them(front):
    admin = echoed(front, "GET", "/jobs", token=front.tokens.mint("admin"))["requestContext"]["authorizer"]["jwt"]
    assert admin["scopes"] is None  # the routes require no scopes
    claims = admin["claims"]
    assert all(isinstance(value, str) for value in claims.values())
    assert claims["cognito:groups"] == "[admins]"
    assert claims["username"] == "admin"
    assert claims["token_use"] == "access"
    assert claims["client_id"] == "jobdeck-local"
    assert claims["iss"] == front.tokens.issuer
    assert claims["scope"] == "openid email profile"
    assert int(claims["exp"]) - int(claims["iat"]) == 12 * 3600

    alice = echoed(front, "GET", "/jobs", token=front.tokens.mint("alice"))
    assert "cognito:groups" not in alice["requestContext"]["authorizer"]["jwt"]["claims"]

    bob = echoed(front, "GET", "/jobs", token=front.tokens.mint("bob", groups=["ops", "admins"]))
    bob_claims = bob["requestContext"]["authorizer"]["jwt"]["claims"]
    assert (bob_claims["username"], bob_claims["cognito:groups"]) == ("bob", "[ops admins]")
    assert bob_claims["sub"] != claims["sub"]
    again = echoed(front, "GET", "/jobs", token=front.tokens.mint("bob"))["requestContext"]["authorizer"]["jwt"]
    assert again["claims"]["sub"] == bob_claims["sub"]  # one sub per username


def test_claim_values_are_rendered_as_api_gateway_renders_them():
    assert flatten_claims(
        {"n": 5, "t": True, "f": False, "list": ["a", "b"], "one": ["admins"], "obj": {"k": 1}, "gone": None}
    ) == {"n": "5", "t": "true", "f": "false", "list": "[a b]", "one": "[admins]", "obj": '{"k":1}'}


def test_a_route_with_scopes_requires_one_of_them(function):
    routes = [Route("ANY", "/{proxy+}", scopes=("jobdeck/admin", "jobdeck/write"))]
    front = HttpFront(handler=function, port=0, routes=routes).start()
    try:
        assert call(front, "GET", "/jobs", token=front.tokens.mint("admin"))[0] == 403
        event = echoed(front, "GET", "/jobs", token=front.tokens.mint("admin", scope="openid jobdeck/write"))
        assert event["requestContext"]["authorizer"]["jwt"]["scopes"] == ["openid", "jobdeck/write"]
    finally:
        front.stop()


# ------------------------------------------------------------------ the event


def test_the_request_reaches_the_event_as_api_gateway_builds_it(front):
    status, headers, body = call(
        front,
        "POST",
        "/jobs/nightly%20backup/runs?limit=50&tag=a&tag=b&empty=&q=x%2By+z",
        token=front.tokens.mint("admin"),
        headers=[
            ("Content-Type", "application/json"),
            ("X-Repeated", "one"),
            ("x-repeated", "two"),
            ("Cookie", "session=abc; theme=dark"),
            ("User-Agent", "pytest"),
            ("X-Forwarded-For", "203.0.113.7"),
        ],
        body=b'{"reason": "manual"}',
    )
    assert status == 200, body
    event = json.loads(body)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "ANY /{proxy+}"
    assert event["rawPath"] == "/jobs/nightly%20backup/runs"
    assert event["rawQueryString"] == "limit=50&tag=a&tag=b&empty=&q=x%2By+z"
    assert event["queryStringParameters"] == {"limit": "50", "tag": "a,b", "empty": "", "q": "x+y z"}
    assert event["pathParameters"] == {"proxy": "jobs/nightly backup/runs"}
    assert event["cookies"] == ["session=abc", "theme=dark"]
    assert event["body"] == '{"reason": "manual"}'
    assert event["isBase64Encoded"] is False
    assert "stageVariables" not in event

    sent = event["headers"]
    assert sent["x-repeated"] == "one,two"
    assert sent["content-type"] == "application/json"
    assert sent["authorization"].startswith("Bearer ")
    assert "cookie" not in sent
    assert sent["x-forwarded-for"] == "203.0.113.7, 127.0.0.1"
    assert sent["x-forwarded-proto"] == "http"
    assert sent["x-amzn-trace-id"].startswith("Root=1-")
    assert all(name == name.lower() for name in sent)

    context = event["requestContext"]
    assert context["http"] == {
        "method": "POST",
        "path": "/jobs/nightly%20backup/runs",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "pytest",
    }
    assert context["routeKey"] == "ANY /{proxy+}"
    assert context["stage"] == "$default"
    assert context["accountId"] == "123456789012"
    assert context["apiId"]
    assert context["domainName"] == "127.0.0.1"
    assert context["requestId"] == headers["apigw-requestid"]
    assert abs(context["timeEpoch"] / 1000 - time.time()) < 5
    assert context["time"].endswith(" +0000")


def test_a_bare_get_has_no_query_cookies_body_or_path_parameters(front):
    event = echoed(front, "GET", "/")
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "GET /"
    assert event["rawQueryString"] == ""
    for absent in ("queryStringParameters", "cookies", "body", "pathParameters"):
        assert absent not in event
    assert event["isBase64Encoded"] is False


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/octet-stream", bytes(range(256))),
        ("text/plain", b"caf\xe9"),  # not UTF-8
        ("application/x-www-form-urlencoded", b"a=1&b=2"),  # HTTP APIs send forms base64-encoded too
        (None, b"no content type"),
    ],
)
def test_a_binary_request_body_arrives_base64_encoded(front, content_type, body):
    headers = [("Content-Type", content_type)] if content_type else []
    event = echoed(front, "PUT", "/files/x", token=front.tokens.mint("admin"), headers=headers, body=body)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_a_text_body_arrives_as_text(front):
    headers = [("Content-Type", "text/plain; charset=utf-8")]
    event = echoed(front, "PATCH", "/jobs/x", token=front.tokens.mint("admin"), headers=headers, body="héllo".encode())
    assert (event["body"], event["isBase64Encoded"]) == ("héllo", False)


def test_a_chunked_request_body_is_read(front):
    connection = http.client.HTTPConnection("127.0.0.1", front.port, timeout=10)
    try:
        connection.request(
            "POST",
            "/jobs",
            body=iter([b'{"a": ', b"1}"]),
            headers={"Authorization": f"Bearer {front.tokens.mint('admin')}", "Content-Type": "application/json"},
            encode_chunked=True,
        )
        event = json.loads(connection.getresponse().read())
    finally:
        connection.close()
    assert event["body"] == '{"a": 1}'
    assert "transfer-encoding" not in event["headers"]


# ------------------------------------------------------------------ the response


def test_a_base64_response_body_is_decoded(front, function):
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(64)
    function.reply = {
        "statusCode": 200,
        "headers": {"Content-Type": "image/png"},
        "body": base64.b64encode(png).decode(),
        "isBase64Encoded": True,
    }
    status, headers, body = call(front, "GET", "/console/logo.png")
    assert (status, headers["content-type"], body) == (200, "image/png", png)
    assert headers["content-length"] == str(len(png))


def test_response_status_headers_and_cookies_are_written_back(front, function):
    function.reply = {
        "statusCode": 201,
        "headers": {"Location": "/jobs/x", "Content-Type": "application/json", "Content-Length": "999"},
        "multiValueHeaders": {"X-Multi": ["1", "2"]},
        "cookies": ["session=abc; Path=/; HttpOnly", "theme=dark"],
        "body": '{"id": "x"}',
    }
    status, headers, body = call(front, "POST", "/jobs", token=front.tokens.mint("admin"), body=b"{}")
    assert status == 201
    assert headers["location"] == "/jobs/x"
    assert headers.get_all("x-multi") == ["1", "2"]
    assert headers.get_all("set-cookie") == ["session=abc; Path=/; HttpOnly", "theme=dark"]
    assert headers["content-length"] == str(len(body))
    assert json.loads(body) == {"id": "x"}


def test_an_output_without_status_code_becomes_a_json_200(front, function):
    function.reply = {"hello": "world"}
    status, headers, body = call(front, "GET", "/")
    assert (status, headers["content-type"], json.loads(body)) == (200, "application/json", {"hello": "world"})


def test_a_function_that_raises_gets_500_and_its_traceback_logged(front, caplog):
    status, _, body = call(front, "GET", "/boom", token=front.tokens.mint("admin"))
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})
    (record,) = [r for r in caplog.records if r.exc_info]
    assert "RuntimeError: boom" in caplog.text
    assert record.levelname == "ERROR"


def test_a_malformed_function_response_is_500(front, function):
    function.reply = {"statusCode": "not a number"}
    assert call(front, "GET", "/")[0] == 500


def test_a_payload_over_10_mb_is_refused_with_413(front, function):
    with socket.create_connection(("127.0.0.1", front.port), timeout=10) as s:
        token = front.tokens.mint("admin")
        s.sendall(
            f"POST /jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Length: {MAX_PAYLOAD + 1}\r\n\r\n".encode()
        )
        response = http.client.HTTPResponse(s)
        response.begin()
        assert (response.status, json.loads(response.read())) == (413, {"message": "Request Entity Too Large"})
    assert function.events == []


def test_one_event_at_a_time_reaches_the_function(front, function):
    function.delay = 0.1
    token = front.tokens.mint("admin")
    statuses: list[int] = []
    threads = [
        threading.Thread(target=lambda: statuses.append(call(front, "GET", "/jobs", token=token)[0])) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 4
    assert function.most_running == 1


def test_a_hundred_clients_connecting_at_once_are_all_answered_on_kept_alive_connections(front):
    """ThreadingHTTPServer's backlog of 5 reset some of 60 connections made at once; waitress's
    holds them. Each client sends its requests on one connection, kept alive between them."""
    outcomes = clients_at_once(front.port, front.tokens.mint("admin"), clients=100, each=2, timeout=30)
    assert sorted(map(str, outcomes)) == ["200"] * 200 + ["kept alive"] * 100


# ------------------------------------------------------------------ the issuer


def test_the_issuer_publishes_its_discovery_documents(front):
    status, _, body = call(front, "GET", "/local-issuer/.well-known/openid-configuration")
    configuration = json.loads(body)
    assert status == 200
    assert configuration["issuer"] == front.tokens.issuer == f"{front.url}/local-issuer"
    assert configuration["jwks_uri"] == f"{front.tokens.issuer}/.well-known/jwks.json"

    jwks = json.loads(call(front, "GET", "/local-issuer/.well-known/jwks.json")[2])
    (key,) = jwks["keys"]
    assert (key["kty"], key["alg"], key["use"], key["kid"]) == ("RSA", "RS256", "sig", front.tokens.kid)
    # What an authorizer does with them: the key of the token's kid checks its signature.
    token = front.tokens.mint("alice")
    claims = jwt.decode(token, jwt.PyJWK(key).key, algorithms=["RS256"], issuer=configuration["issuer"])
    assert claims["username"] == "alice"


def test_the_issuer_mints_a_token_for_anyone_over_http(front):
    minted = json.loads(call(front, "GET", "/local-issuer/dev-token?username=bob&groups=ops,admins")[2])
    assert (minted["token_type"], minted["expires_in"]) == ("Bearer", 12 * 3600)
    claims = echoed(front, "GET", "/jobs", token=minted["access_token"])["requestContext"]["authorizer"]["jwt"]
    assert (claims["claims"]["username"], claims["claims"]["cognito:groups"]) == ("bob", "[ops admins]")


def test_the_dev_users_are_an_admin_and_a_user(front):
    tokens = front.tokens.dev_tokens()
    assert set(tokens) == {"admin", "alice"}
    assert front.tokens.verify(tokens["admin"])["cognito:groups"] == "[admins]"
    assert "cognito:groups" not in front.tokens.verify(tokens["alice"])


# ------------------------------------------------------------------ routes


def test_the_template_routes_the_admin_api_as_the_front_does():
    routes = template_routes("ApiFunction")
    assert {r for r in routes if not r.authorized} == {r for r in ROUTES if not r.authorized}
    assert Route("ANY", "/{proxy+}") in routes


def test_api_gateway_prefers_exact_routes_then_the_longest_greedy_one(front):
    assert front.route("GET", "/docs") == (Route("GET", "/docs", authorized=False), {})
    assert front.route("GET", "/console/a/b") == (Route("GET", "/console/{proxy+}", authorized=False), {"proxy": "a/b"})
    assert front.route("GET", "/docs/more") == (Route("ANY", "/{proxy+}"), {"proxy": "docs/more"})
    assert front.route("POST", "/") is None
    by_method = [Route("ANY", "/jobs/{id}"), Route("GET", "/jobs/{id}")]
    mixed = HttpFront(handler=lambda event, context: None, port=0, routes=by_method)
    try:
        assert mixed.route("GET", "/jobs/7") == (Route("GET", "/jobs/{id}"), {"id": "7"})
        assert mixed.route("DELETE", "/jobs/7") == (Route("ANY", "/jobs/{id}"), {"id": "7"})
        assert mixed.route("GET", "/jobs/7/runs") is None
    finally:
        mixed.stop()


# ------------------------------------------------------------------ the local stack


@pytest.mark.slow
def test_the_local_stack_serves_the_api_and_prints_its_tokens(monkeypatch, function):
    from jobdeck import clients, store
    from jobdeck_local import http_front, stack

    monkeypatch.setattr(stack, "function_available", lambda function_id: True)
    monkeypatch.setattr(http_front, "load_handler", lambda function_id: function)
    saved = dict(os.environ)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    local = stack.LocalStack(port=port, api_port=0, run_clock=False).start()
    try:
        assert local.api is not None
        banner = local.banner()
        assert f"{local.api.url}/docs" in banner
        assert f'curl -H "Authorization: Bearer $JOBDECK_TOKEN" {local.api.url}/jobs' in banner
        exports = dict(
            line.strip().removeprefix("export ").split("=", 1) for line in banner.splitlines() if "export " in line
        )
        event = echoed(local.api, "GET", "/jobs", token=exports["JOBDECK_ADMIN_TOKEN"])
        assert event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] == "[admins]"
        user = echoed(local.api, "GET", "/jobs", token=exports["JOBDECK_USER_TOKEN"])
        assert user["requestContext"]["authorizer"]["jwt"]["claims"]["username"] == "alice"
        api_port = local.api.port
    finally:
        local.stop()
        os.environ.clear()
        os.environ.update(saved)
        clients.reset()
        store.reset()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", api_port), timeout=1).close()
