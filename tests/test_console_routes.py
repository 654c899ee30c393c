"""How the API function serves the web console: the page, its files, its sign-in settings."""

from __future__ import annotations

import re

import pytest

from tests.support import Api


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
    script = re.search(r'<script type="module" src="(console/app\.js\?v=[0-9a-f]{10})"', page.text)
    style = re.search(r'<link rel="stylesheet" href="(console/app\.css\?v=[0-9a-f]{10})"', page.text)
    assert script and style
    assert 'role="status" aria-live="polite"' in page.text and "<dialog" in page.text


@pytest.mark.parametrize(
    ("name", "content_type", "starts"),
    [("app.js", "text/javascript; charset=utf-8", "// Jobdeck"), ("app.css", "text/css; charset=utf-8", "/*")],
)
def test_its_files_have_their_type_and_are_cached(api, name, content_type, starts):
    reply = api("GET", f"/console/{name}", user=None)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == content_type
    assert reply.headers["Cache-Control"] == "public, max-age=86400"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.text.startswith(starts)


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
