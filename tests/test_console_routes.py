"""How the API function serves the web console: the page, its files, its sign-in settings."""

from __future__ import annotations

import fnmatch
import posixpath
import re
import tomllib
from pathlib import Path

import pytest

from jobdeck.api import console
from tests.support import Api

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def api() -> Api:
    return Api()


def test_the_page_is_served_at_the_root_with_its_files_versioned(api):
    page = api("GET", "/", user=None)
    assert page.status == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    script = re.search(r'<script type="module" src="(console/[0-9a-f]{12}/main\.js)"', page.text)
    style = re.search(r'<link rel="stylesheet" href="(console/[0-9a-f]{12}/css/base\.css)"', page.text)
    assert script and style
    assert 'role="status" aria-live="polite"' in page.text and "<dialog" in page.text
    # Every file it names is under the one version of this deploy.
    named = re.findall(r'(?:src|href)="console/([^"]+)"', page.text)
    assert len(named) > 2 and {path.split("/")[0] for path in named} == {console.version()}


@pytest.mark.parametrize(
    ("name", "content_type", "starts"),
    [
        ("main.js", "text/javascript; charset=utf-8", "// Jobdeck"),
        ("lib/dom.js", "text/javascript; charset=utf-8", "//"),
        ("css/base.css", "text/css; charset=utf-8", "/*"),
    ],
)
def test_its_files_have_their_type_and_are_cached_for_good(api, name, content_type, starts):
    reply = api("GET", f"/console/{console.version()}/{name}", user=None)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == content_type
    assert reply.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.text.startswith(starts)


IMPORT = re.compile(r'^(?:import|export)\b[^"]*?from\s+"(\.{1,2}/[^"]+)"|^import\s+"(\.{1,2}/[^"]+)"', re.M)


def test_every_module_the_page_loads_is_served_under_its_version(api):
    """From the page's script and style sheets, through every relative import: each is served (a
    module missing from the package, or out of the routes' reach, would leave the page blank)."""
    page = api("GET", "/", user=None).text
    todo = re.findall(r'(?:src|href)="(console/[^"]+)"', page)
    seen: set[str] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        reply = api("GET", f"/{path}", user=None)
        assert reply.status == 200, f"{path}: {reply}"
        for relative in (a or b for a, b in IMPORT.findall(reply.text)):
            todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(path), relative)))
    modules = {path.split("/", 2)[2] for path in seen}
    assert "views/job-form.js" in modules and "form/step-filter.js" in modules and "lib/vocabulary.js" in modules
    # Nothing in the console folder is left out of the page's reach (a file no one loads is dead).
    assert modules == {p for p in console.files() if p != "index.html"}


def test_another_versions_file_is_a_404_that_says_to_reload_and_is_never_cached(api):
    current = console.version()
    for path in ("0123456789ab/main.js", "0123456789ab/lib/dom.js", f"{current}/nope.js", f"{current}/lib/nope.js"):
        reply = api("GET", f"/console/{path}", user=None)
        assert reply.status == 404, path
        assert reply.headers["Cache-Control"] == "no-store"
        assert reply.json()["error"] == "not_found"
    stale = api("GET", "/console/0123456789ab/main.js", user=None).json()["message"]
    assert "reload the page" in stale and current in stale
    assert api("GET", f"/console/{current}/index.html", user=None).status == 404


def test_the_version_is_a_digest_of_every_file(monkeypatch):
    before = dict(console.files())
    changed = {**before, "lib/dom.js": before["lib/dom.js"] + b"\n"}
    renamed = {**{k: v for k, v in before.items() if k != "lib/dom.js"}, "lib/dom2.js": before["lib/dom.js"]}
    versions = set()
    for files in (before, changed, renamed):
        monkeypatch.setattr(console, "files", lambda files=files: files)
        console.version.cache_clear()
        versions.add(console.version())
    console.version.cache_clear()
    assert len(versions) == 3


def test_the_package_data_ships_every_console_file():
    """What a wheel (and the layer's `pip install .` users) gets: pyproject's package-data globs must
    cover each file of the console, whatever folder it sits in."""
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["jobdeck"]
    for path in (f"console/{name}" for name in console.files()):
        # setuptools' `*` stays within a folder, fnmatch's does not: the folders are counted apart.
        assert any(fnmatch.fnmatch(path, g) and g.count("/") == path.count("/") for g in globs), path


@pytest.mark.parametrize("name", ["nope.js", "index.html", "..%2Fapp.py", ".hidden.js", "app.py", "app"])
def test_anything_else_under_console_is_404(api, name):
    reply = api("GET", f"/console/{name}", user=None)
    assert reply.status == 404
    assert reply.json()["error"] == "not_found"


def test_the_sign_in_settings_come_from_the_environment(api, monkeypatch):
    local = api("GET", "/console/config.json", user=None).json()
    assert local == {"cognito": None, "admin_group": "admins", "groups_claim": "cognito:groups"}

    monkeypatch.setenv("JOBDECK_COGNITO_DOMAIN", "jobdeck-1.auth.eu-west-1.amazoncognito.com")
    monkeypatch.setenv("JOBDECK_COGNITO_CLIENT_ID", "5abc")
    monkeypatch.setenv("JOBDECK_ADMIN_GROUP", "ops")
    reply = api("GET", "/console/config.json", user=None)
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.json() == {
        "cognito": {
            "domain": "https://jobdeck-1.auth.eu-west-1.amazoncognito.com",
            "client_id": "5abc",
            "scope": "openid email profile",
        },
        "admin_group": "ops",
        "groups_claim": "cognito:groups",
    }
    # The page may then call the token endpoint, and nothing else outside its origin.
    policy = api("GET", "/", user=None).headers["Content-Security-Policy"]
    assert "connect-src 'self' https://jobdeck-1.auth.eu-west-1.amazoncognito.com;" in policy


def test_the_console_is_not_part_of_the_api_contract(api):
    paths = api("GET", "/openapi.json", user=None).json()["paths"]
    assert not [p for p in paths if p == "/" or p.startswith("/console")]
