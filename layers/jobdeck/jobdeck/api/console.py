"""The web console: the page at `/`, its files at `/console/<version>/<path>`, its sign-in settings at
`/console/config.json`. Public routes (the page signs in by itself); none is in the OpenAPI document.

The files ship inside the package (jobdeck/console/: ES modules and style sheets, at most one folder
deep, imported by relative paths; no build step). `<version>` is a digest of them all, made once per
container. The page is never cached and names that version, so a page and every module it imports
come from one deploy, and a file under its version can be cached for good. A path under another
version (a tab of the deploy before, or a container of the deploy after while one rolls out) is a
404 that says to reload, never cached: it must not be answered with the other deploy's file.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from jobdeck.api.schemas import ErrorOut
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
ASSET_CACHE = "public, max-age=31536000, immutable"  # a new content is a new version, hence a new path
PAGE_CACHE = "no-cache"  # always revalidated: it names the current version
MISSING_CACHE = "no-store"  # a file of another deploy may be served here later, under that same path
SIGN_IN_SCOPE = "openid email profile"


@cache
def files() -> dict[str, bytes]:
    """The console's files by their path under console/ ("main.js", "lib/dom.js"): those of a type
    it serves, no dot files, one folder deep at most."""
    root = resources.files("jobdeck") / "console"
    found: dict[str, bytes] = {}

    def served(entry: Traversable) -> bool:
        return entry.is_file() and not entry.name.startswith(".") and entry.name.endswith(tuple(TYPES))

    for entry in root.iterdir():
        if served(entry):
            found[entry.name] = entry.read_bytes()
        elif entry.is_dir() and not entry.name.startswith((".", "_")):
            found.update({f"{entry.name}/{f.name}": f.read_bytes() for f in entry.iterdir() if served(f)})
    return found


@cache
def version() -> str:
    """A digest of every file of the console, names included: any change makes a new version."""
    digest = hashlib.sha256()
    for path, body in sorted(files().items()):
        digest.update(path.encode() + b"\0" + hashlib.sha256(body).digest())
    return digest.hexdigest()[:12]


@cache
def _page() -> str:
    # index.html names its files `console/<path>`: each becomes `console/<version>/<path>`.
    return files()[PAGE].decode().replace('="console/', f'="console/{version()}/')


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
def unversioned(name: str) -> Response[str]:
    raise NotFound(f"no console file {name!r}: the console's files are under /console/{version()}/")


@router.get("/console/<given>/<name>", include_in_schema=False)
def asset(given: str, name: str) -> Response[str]:
    return _asset(given, name)


@router.get("/console/<given>/<folder>/<name>", include_in_schema=False)
def asset_in_folder(given: str, folder: str, name: str) -> Response[str]:
    return _asset(given, f"{folder}/{name}")


def _asset(given: str, path: str) -> Response[str]:
    if given != version():
        return _missing(
            f"console version {given!r} is not the one served here ({version()}): the console was updated, "
            "reload the page"
        )
    body = files().get(path)
    if body is None or path == PAGE:
        return _missing(f"no console file {path!r}")
    content_type = TYPES["." + path.rpartition(".")[2]]
    headers = {"Cache-Control": ASSET_CACHE, "X-Content-Type-Options": "nosniff"}
    return Response(200, content_type, body.decode(), headers=headers)


def _missing(message: str) -> Response[str]:
    body = ErrorOut(error="not_found", message=message).model_dump_json()
    return Response(404, "application/json", body, headers={"Cache-Control": MISSING_CACHE})
