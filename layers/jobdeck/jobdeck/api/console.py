"""The web console: the page at `/`, its files at `/console/<file>`, its sign-in settings at
`/console/config.json`. Public routes (the page signs in by itself); none is in the OpenAPI document.

The files ship inside the package (jobdeck/console/). The page names them with a hash of their
content (`console/app.js?v=1a2b3c4d`), so they can be cached for a day and a new deploy is seen at once.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from jobdeck.config import Settings
from jobdeck.errors import NotFound

router = Router()

PAGE = "index.html"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
ASSET_CACHE = "public, max-age=86400"  # a new content is a new ?v=
PAGE_CACHE = "no-cache"  # always revalidated: it names the current assets
SIGN_IN_SCOPE = "openid email profile"


@cache
def _file(name: str) -> bytes | None:
    """A file of the console folder by its plain name (no folders, no dot files), or None."""
    if "/" in name or "\\" in name or name.startswith(".") or not name.endswith(tuple(TYPES)):
        return None
    path = resources.files("jobdeck") / "console" / name
    return path.read_bytes() if path.is_file() else None


def _version(name: str) -> str:
    return hashlib.sha256(_file(name) or b"").hexdigest()[:10]


@cache
def _page() -> str:
    html = (_file(PAGE) or b"").decode()
    for asset in ("app.js", "app.css"):
        html = html.replace(f'"console/{asset}"', f'"console/{asset}?v={_version(asset)}"')
    return html


def settings() -> dict[str, Any]:
    """What the page needs to sign in and to know who is an admin (from ApiFunction's environment)."""
    configured = Settings.from_env()
    domain, client_id = configured.cognito_domain.rstrip("/"), configured.cognito_client_id
    if domain and "://" not in domain:
        domain = f"https://{domain}"
    return {
        "cognito": {"domain": domain, "client_id": client_id, "scope": SIGN_IN_SCOPE} if domain and client_id else None,
        "admin_group": configured.admin_group,
        "groups_claim": configured.groups_claim,
    }


def _security_headers() -> dict[str, str]:
    cognito = (settings()["cognito"] or {}).get("domain", "")
    return {
        "Content-Security-Policy": (
            f"default-src 'self'; connect-src 'self' {cognito}".rstrip()
            + "; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none';"
            " base-uri 'none'; frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",  # the sign-in code in the URL goes nowhere else
    }


@router.get("/", include_in_schema=False)
def page() -> Response[str]:
    return Response(200, TYPES[".html"], _page(), headers={"Cache-Control": PAGE_CACHE, **_security_headers()})


@router.get("/console/config.json", include_in_schema=False)
def config() -> Response[dict[str, Any]]:
    return Response(200, "application/json", settings(), headers={"Cache-Control": "no-cache"})


@router.get("/console/<name>", include_in_schema=False)
def asset(name: str) -> Response[str]:
    body = _file(name)
    if body is None or name == PAGE:
        raise NotFound(f"no console file {name!r}")
    content_type = TYPES["." + name.rpartition(".")[2]]
    return Response(
        200, content_type, body.decode(), headers={"Cache-Control": ASSET_CACHE, "X-Content-Type-Options": "nosniff"}
    )
