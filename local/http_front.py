"""API Gateway (HTTP API, payload format 2.0) and its JWT authorizer, done locally.

A WSGI application on waitress (see http_server) that, for every request: serves the local token
issuer's URLs; matches the request to a route of template.yaml (ApiFunction's HttpApi events); on a
route the JWT authorizer guards, answers 401 {"message":"Unauthorized"} unless the token is valid;
builds the event API Gateway would send (shaped by events/api-get-jobs.json); calls the function's
handler, one event at a time as one Lambda container does; and writes back its response.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote

from aws_lambda_powertools import Logger
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from jobdeck_local import events, template
from jobdeck_local.http_server import RAW_HEADERS, HttpServer
from jobdeck_local.lambda_runtime import Handler, LambdaContext, load_handler
from jobdeck_local.tokens import ISSUER_PATH, InvalidToken, TokenIssuer, token_scopes

logger = Logger(service="jobdeck-local")

FUNCTION_ID = "ApiFunction"
MAX_PAYLOAD = 10 * 1024 * 1024  # HTTP APIs refuse larger requests with 413
# Bodies of these types (and text/*) reach Lambda as text; any other body, or none declared,
# arrives base64-encoded (isBase64Encoded: true), as HTTP APIs do.
TEXT_TYPES = ("application/json", "application/xml", "application/javascript")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade"}  # not forwarded
_DROPPED_RESPONSE_HEADERS = {"content-length", *_HOP_BY_HOP}  # the front sets its own


@dataclass(frozen=True)
class Route:
    method: str  # GET, POST, ... or ANY
    path: str  # "/", "/jobs/{id}", "/{proxy+}", or "$default"
    authorized: bool = True  # guarded by the JWT authorizer
    scopes: tuple[str, ...] = ()  # the route's authorization scopes, if any

    @property
    def key(self) -> str:
        return self.path if self.path == "$default" else f"{self.method} {self.path}"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters if this route takes the request, else None."""
        if self.method not in ("ANY", method):
            return None
        if self.path == "$default":
            return {}
        wanted, given = self.path.split("/")[1:], path.split("/")[1:]
        params: dict[str, str] = {}
        for i, part in enumerate(wanted):
            if part.startswith("{") and part.endswith("+}"):  # greedy: one segment or more
                rest = "/".join(given[i:])
                if not rest:
                    return None
                params[part[1:-2]] = unquote(rest)
                return params
            if i >= len(given):
                return None
            if part.startswith("{"):
                if not given[i]:
                    return None
                params[part[1:-1]] = unquote(given[i])
            elif part != given[i]:
                return None
        return params if len(wanted) == len(given) else None

    def rank(self) -> tuple[int, int, bool]:
        """API Gateway's choice among matches: a full match, then the longest greedy one, then
        $default; a route of the request's own method before ANY."""
        kind = 3 if self.path == "$default" else 2 if "+}" in self.path else 1 if "{" in self.path else 0
        literal = sum(1 for part in self.path.split("/") if part and not part.startswith("{"))
        return kind, -literal, self.method == "ANY"


def template_routes(function_id: str = FUNCTION_ID) -> list[Route]:
    """The routes of a function's HttpApi events. Each is guarded by its own Auth.Authorizer, else
    by its API's DefaultAuthorizer; `NONE` makes it public."""
    doc = template.load()
    routes = []
    for source in doc["Resources"][function_id]["Properties"].get("Events", {}).values():
        if source["Type"] != "HttpApi":
            continue
        props = source.get("Properties", {})
        api_id = props.get("ApiId", {}).get("Ref")
        api = doc["Resources"][api_id]["Properties"] if api_id else doc.get("Globals", {}).get("HttpApi", {})
        api_auth, auth = api.get("Auth", {}), props.get("Auth", {})
        authorizer = auth.get("Authorizer", api_auth.get("DefaultAuthorizer"))
        declared = api_auth.get("Authorizers", {}).get(authorizer, {})
        scopes = auth.get("AuthorizationScopes", declared.get("AuthorizationScopes", []))
        routes.append(
            Route(
                method=props.get("Method", "ANY").upper(),
                path=props.get("Path", "$default"),
                authorized=authorizer not in (None, "NONE"),
                scopes=tuple(scopes),
            )
        )
    return routes


def function_available(function_id: str = FUNCTION_ID) -> bool:
    """Whether template.yaml declares the function and its handler's file exists."""
    props = template.load()["Resources"].get(function_id, {}).get("Properties")
    if props is None:
        return False
    module = props["Handler"].rsplit(".", 1)[0]
    return (template.ROOT / props["CodeUri"] / f"{module}.py").exists()


@dataclass(frozen=True)
class Request:
    """An HTTP request as the front received it."""

    method: str
    target: str  # path and query string, as sent
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]


class Reply(NamedTuple):
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class HttpFront:
    def __init__(
        self,
        handler: Handler | None = None,
        tokens: TokenIssuer | None = None,
        host: str = "127.0.0.1",
        port: int = 8000,
        routes: Iterable[Route] | None = None,
        function_id: str = FUNCTION_ID,
        key: RSAPrivateKey | None = None,
    ) -> None:
        """Binds the port at once (0: any free one). The handler defaults to the function's, loaded
        as Lambda loads it; the issuer to a new one at http://<host>:<port>/local-issuer, signing
        with `key` (default: a new one)."""
        self.function_id = function_id
        self.handler = handler or load_handler(function_id)
        self.routes = sorted(template_routes(function_id) if routes is None else routes, key=Route.rank)
        self.server = HttpServer(self.wsgi, host, port, MAX_PAYLOAD)
        self.host, self.port = host, self.server.port
        self.tokens = tokens or TokenIssuer(f"{self.url}{ISSUER_PATH}", key=key)
        self._invoking = threading.Lock()  # one event at a time, as in one Lambda container
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> HttpFront:
        self._thread = threading.Thread(target=self.server.run, name="http-front", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.server.close()

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        """The WSGI application: one request in, API Gateway's answer out."""
        length = int(environ.get("CONTENT_LENGTH") or 0)  # waitress has read the body, chunked or not
        request = Request(
            environ["REQUEST_METHOD"],
            environ["REQUEST_URI"],
            list(environ[RAW_HEADERS]),
            environ["wsgi.input"].read(length) if length else b"",
            environ["REMOTE_ADDR"],
            environ["SERVER_PROTOCOL"],
        )
        status, headers, body = self.respond(request)
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
        start_response(f"{status} {reason}", [*headers, ("content-length", str(len(body)))])
        return [] if request.method == "HEAD" else [body]

    # ------------------------------------------------------------------ one request
    def route(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route API Gateway picks for a request, and its path parameters."""
        for route in self.routes:  # sorted by API Gateway's preference
            if (params := route.match(method, path)) is not None:
                return route, params
        return None

    def respond(self, request: Request) -> Reply:
        request_id = base64.b64encode(os.urandom(11)).decode()
        status, headers, body = self._respond(request, request_id)
        return Reply(status, [*headers, ("apigw-requestid", request_id)], body)

    def _respond(self, request: Request, request_id: str) -> Reply:
        if (issued := self.tokens.answer(request.method, request.path, request.query, request.body)) is not None:
            return _json(*issued)
        matched = self.route(request.method, request.path)
        if matched is None:
            return _json(404, {"message": "Not Found"})
        route, params = matched
        claims = None
        if route.authorized:
            try:
                claims = self.tokens.verify(_token(request.headers))
            except InvalidToken as e:
                reason = str(e).replace('"', "'")
                challenge = f'Bearer error="invalid_token", error_description="{reason}"'
                return _json(401, {"message": "Unauthorized"}, [("www-authenticate", challenge)])
            if route.scopes and not set(route.scopes) & set(token_scopes(claims)):
                return _json(403, {"message": "Forbidden"})
        event = self.event(request, request_id, route, params, claims)
        try:
            with self._invoking:
                result = self.handler(event, LambdaContext.for_function(self.function_id))
            return _function_reply(result)
        except Exception:
            logger.exception("the API function failed: 500 as API Gateway answers", route=route.key)
            return _json(500, {"message": "Internal Server Error"})

    def event(
        self,
        request: Request,
        request_id: str,
        route: Route,
        params: dict[str, str],
        claims: dict[str, str] | None,
    ) -> dict[str, Any]:
        """The payload format 2.0 event API Gateway sends for a request that took a route."""
        merged: dict[str, str] = {}
        cookies: list[str] = []
        for name, value in request.headers:
            name = name.lower()
            if name == "cookie":  # moved to `cookies`, one item per cookie
                cookies += [c.strip() for c in value.split(";") if c.strip()]
            elif name not in _HOP_BY_HOP:
                merged[name] = f"{merged[name]},{value}" if name in merged else value
        merged["x-amzn-trace-id"] = f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()}"
        merged["x-forwarded-for"] = ", ".join(filter(None, [merged.get("x-forwarded-for"), request.source_ip]))
        merged["x-forwarded-port"] = str(self.port)
        merged["x-forwarded-proto"] = "http"
        query_params: dict[str, str] = {}
        for name, value in parse_qsl(request.query, keep_blank_values=True):
            query_params[name] = f"{query_params[name]},{value}" if name in query_params else value

        event = copy.deepcopy(events.sample("api-get-jobs"))
        event.update(routeKey=route.key, rawPath=request.path, rawQueryString=request.query, headers=merged)
        optional: dict[str, Any] = {"cookies": cookies, "queryStringParameters": query_params, "pathParameters": params}
        for key, value in optional.items():  # absent, not empty, when the request has none
            if value:
                event[key] = value
            else:
                event.pop(key, None)
        event.pop("body", None)
        event["isBase64Encoded"] = False
        if request.body:
            text = _text_body(request.body, merged.get("content-type", ""))
            event["body"] = text if text is not None else base64.b64encode(request.body).decode()
            event["isBase64Encoded"] = text is None

        now = datetime.now(UTC)
        domain = merged.get("host", self.host).rsplit(":", 1)[0]
        context = event["requestContext"]
        context.update(
            domainName=domain,
            domainPrefix=domain.split(".")[0],
            http={
                "method": request.method,
                "path": request.path,
                "protocol": request.protocol,
                "sourceIp": request.source_ip,
                "userAgent": merged.get("user-agent", ""),
            },
            requestId=request_id,
            routeKey=route.key,
            time=now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            timeEpoch=int(now.timestamp() * 1000),
        )
        if claims is None:
            context.pop("authorizer", None)
        else:
            # `scopes` stays null unless the route requires scopes (then: the token's).
            scopes = token_scopes(claims) if route.scopes else None
            context["authorizer"] = {"jwt": {"claims": claims, "scopes": scopes}}
        return event


def _token(headers: list[tuple[str, str]]) -> str:
    """The identity source $request.header.Authorization: the token, with or without `Bearer `."""
    value = next((v for k, v in headers if k.lower() == "authorization"), "").strip()
    token = value[7:].strip() if value[:7].lower() == "bearer " else value
    if not token:
        raise InvalidToken("no token in the Authorization header")
    return token


def _text_body(body: bytes, content_type: str) -> str | None:
    media_type = content_type.split(";")[0].strip().lower()
    if not (media_type.startswith("text/") or media_type in TEXT_TYPES):
        return None
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None


def _function_reply(result: Any) -> Reply:
    """What API Gateway makes of a function's response (payload format 2.0)."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # Without a statusCode, the function's output is the JSON body of a 200.
        body = result if isinstance(result, str) else json.dumps(result)
        return Reply(200, [("content-type", "application/json")], body.encode())
    headers = [(name, str(value)) for name, value in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers += [(name, str(value)) for value in values]
    headers = [(name, value) for name, value in headers if name.lower() not in _DROPPED_RESPONSE_HEADERS]
    headers += [("set-cookie", cookie) for cookie in result.get("cookies") or []]
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    return Reply(int(result["statusCode"]), headers, data)


def _json(status: int, document: dict[str, Any], headers: list[tuple[str, str]] | None = None) -> Reply:
    return Reply(status, [("content-type", "application/json"), *(headers or [])], json.dumps(document).encode())
