"""Signing in to the web console and staying signed in, in a real browser against the local stack
(see test_console.py): the Cognito hosted UI's authorization code with PKCE, and a session that
outlives its 60-minute access token by renewing it, or says plainly that it expired and shows the
same page once signed in again.

"61 minutes later" moves two clocks: the browser's (Playwright's clock) and the local issuer's,
which the local API Gateway's authorizer reads, so the token the console holds expires there.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from jobdeck_local.stack import LocalStack
from tests.console_tab import Console

pytestmark = pytest.mark.slow

EXPIRED = "Your session has expired: sign in again."
HOUR_AND_A_MINUTE = 61 * 60


def form_of(body: str | None) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(body or "").items()}


def age(stack: LocalStack, monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """The issuer's clock (what the API's authorizer reads) `seconds` ahead of the real one."""
    assert stack.api is not None
    monkeypatch.setattr(stack.api.tokens, "clock", lambda: time.time() + seconds)


@contextmanager
def tab(browser: Browser, stack: LocalStack, **options: Any) -> Iterator[Page]:
    """A page of its own browser context; no JavaScript error may happen in it."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, **options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"


class HostedUI:
    """Cognito's hosted UI and token endpoint, played by the test: it checks the PKCE pair and
    answers with tokens of the local issuer (which the local API trusts), a refresh token among
    them; it renews with that refresh token unless told to refuse."""

    DOMAIN = "https://jobdeck-test.auth.eu-west-1.amazoncognito.com"
    CLIENT = "console-client"
    REFRESH = "the-refresh-token"

    def __init__(self, stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> None:
        assert stack.api is not None
        monkeypatch.setenv("JOBDECK_COGNITO_DOMAIN", self.DOMAIN)
        monkeypatch.setenv("JOBDECK_COGNITO_CLIENT_ID", self.CLIENT)
        self.tokens = stack.api.tokens
        self.app = f"{stack.api.url}/"
        self.seen: dict[str, Any] = {}
        self.renewals: list[dict[str, str]] = []
        self.refuse = False

    def __call__(self, route: Route) -> None:
        url = urlsplit(route.request.url)
        if url.path == "/oauth2/authorize":
            query = form_of(url.query)
            self.seen["authorize"] = query
            route.fulfill(status=302, headers={"Location": f"{self.app}?code=the-code&state={query['state']}"})
        elif url.path == "/oauth2/token":
            form = form_of(route.request.post_data)
            ok = self._renew(form) if form.get("grant_type") == "refresh_token" else self._trade(form)
            body = {
                "access_token": self.tokens.mint("admin", lifetime=3600),
                "token_type": "Bearer",
                "expires_in": 3600,
            }
            if form.get("grant_type") == "authorization_code":
                body["refresh_token"] = self.REFRESH
            route.fulfill(
                status=200 if ok else 400,
                content_type="application/json",
                headers={"Access-Control-Allow-Origin": "*"},
                body=json.dumps(body if ok else {"error": "invalid_grant"}),
            )
        else:
            route.abort()

    def _trade(self, form: dict[str, str]) -> bool:
        self.seen["token"] = form
        digest = hashlib.sha256(form["code_verifier"].encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        return challenge == self.seen["authorize"]["code_challenge"] and form["code"] == "the-code"

    def _renew(self, form: dict[str, str]) -> bool:
        self.renewals.append(form)
        return not self.refuse and form.get("refresh_token") == self.REFRESH


def test_cognito_sign_in_is_the_authorization_code_flow_with_pkce(browser, stack, monkeypatch):
    """The hosted UI and token endpoint are played by the test: it checks the PKCE pair and
    answers with a token of the local issuer (which the local API trusts)."""
    hosted = HostedUI(stack, monkeypatch)
    app = hosted.app
    seen = hosted.seen
    context = browser.new_context()
    try:
        context.route(f"{hosted.DOMAIN}/**", hosted)
        page = context.new_page()
        page.goto(app)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.locator("#whoami-name")).to_contain_text("admin")
        expect(page.locator("#jobs")).to_be_visible()
        assert page.evaluate("location.search") == ""  # the code does not stay in the address bar
    finally:
        context.close()
    authorize = seen["authorize"]
    assert authorize["response_type"] == "code" and authorize["client_id"] == "console-client"
    assert authorize["code_challenge_method"] == "S256" and authorize["redirect_uri"] == app
    assert authorize["scope"] == "openid email profile"
    assert seen["token"]["grant_type"] == "authorization_code" and seen["token"]["redirect_uri"] == app


def test_after_61_minutes_the_console_has_renewed_its_token_and_is_still_signed_in(browser, stack, monkeypatch):
    """The browser's clock and the issuer's move on 61 minutes at once (a laptop's lid closed
    for an hour): the console renews its 60-minute token with the refresh token before it sends
    anything, so no request is refused, and the page goes on where it was."""
    with tab(browser, stack) as page:
        page.clock.install()
        console = Console(stack, page)
        console.create("long-session", label="Long session")
        console.sign_in("admin")
        sent: set[str] = set()
        page.on("request", lambda request: sent.add(request.headers.get("authorization", "")))
        page.goto(f"{console.url}/#/jobs/long-session")
        expect(page.locator("h1")).to_contain_text("Long session")
        refused: list[str] = []
        page.on("response", lambda response: refused.append(response.url) if response.status == 401 else None)

        with page.expect_request("**/local-issuer/oauth2/token") as renewal:
            age(stack, monkeypatch, HOUR_AND_A_MINUTE)
            page.clock.fast_forward(HOUR_AND_A_MINUTE * 1000)
        assert form_of(renewal.value.post_data)["grant_type"] == "refresh_token"
        assert form_of(renewal.value.post_data)["client_id"] == "jobdeck-local"

        page.locator("#run-now").click()  # the API takes the new token: the old one expired for it
        expect(page.locator("#history-body tr[data-task] .badge").first).to_have_text("FINISHED")
        expect(page.locator("#whoami-name")).to_contain_text("admin")
        expect(page.locator("h1")).to_contain_text("Long session")
        assert refused == []
        assert len(sent - {""}) >= 2  # the token sent before, and the renewed one


def test_a_token_the_api_refuses_is_renewed_and_the_request_sent_again(browser, stack, monkeypatch):
    """The issuer's clock alone moves on (the browser's runs late, or the tab slept through the
    renewal): the API refuses the token of Run Now; the console renews it and sends Run Now again.
    The browser's clock stands still meanwhile, so that no refresh of the page comes first."""
    with tab(browser, stack) as page:
        page.clock.install()
        in_flight: set[Any] = set()
        page.on("request", lambda request: in_flight.add(request))
        page.on("requestfinished", lambda request: in_flight.discard(request))
        page.on("requestfailed", lambda request: in_flight.discard(request))
        console = Console(stack, page)
        console.create("refused-session", label="Refused session")
        console.sign_in("admin")
        page.goto(f"{console.url}/#/jobs/refused-session")
        expect(page.locator("h1")).to_contain_text("Refused session")
        page.clock.pause_at(page.evaluate("Date.now()") / 1000 + 1)  # a second on (Playwright: seconds)
        while in_flight:  # a refresh sent before the clocks moved would be refused, and renew first
            page.wait_for_timeout(50)
        answers: list[tuple[str, str, int]] = []
        page.on("response", lambda response: answers.append((response.request.method, response.url, response.status)))

        age(stack, monkeypatch, HOUR_AND_A_MINUTE)
        with page.expect_request("**/local-issuer/oauth2/token"):
            page.locator("#run-now").click()
        expect(page.locator("#notice")).to_contain_text("Run Now: queued a task for 1 job.")
        run = f"{console.url}/jobs/refused-session/run"
        assert [status for method, url, status in answers if (method, url) == ("POST", run)] == [401, 202]
        expect(page.locator("#history-body tr[data-task]")).to_have_count(1)
        expect(page.locator("#whoami-name")).to_contain_text("admin")


def test_a_session_that_cannot_be_renewed_says_so_and_signs_in_again_to_the_same_page(browser, stack, monkeypatch):
    """31 days on, the refresh token (30 days) has expired too: the console says so plainly, and
    signing in again shows the page that was on show."""
    with tab(browser, stack) as page:
        console = Console(stack, page)
        console.create("expiring-session", label="Expiring session")
        console.sign_in("admin")
        page.goto(f"{console.url}/#/jobs/expiring-session")
        expect(page.locator("h1")).to_contain_text("Expiring session")

        age(stack, monkeypatch, 31 * 86400)
        expect(page.locator("#session-ended")).to_have_text(EXPIRED)
        expect(page.locator("h1")).to_have_text("Session expired")
        expect(page.locator("#whoami")).to_be_hidden()
        assert page.evaluate("location.hash") == "#/jobs/expiring-session"
        console.screenshots("console-session-expired", full_page=False)
        console.document("console-session-expired.png")

        page.get_by_role("button", name="Sign in as admin").click()
        expect(page.locator("h1")).to_contain_text("Expiring session")
        expect(page.locator("#whoami-name")).to_contain_text("admin")
        page.reload()  # the session lives in the tab: a reload keeps it, and the page
        expect(page.locator("h1")).to_contain_text("Expiring session")


def test_a_cognito_session_renews_at_the_token_endpoint_and_once_refused_comes_back_to_its_page(
    browser, stack, monkeypatch
):
    hosted = HostedUI(stack, monkeypatch)
    with tab(browser, stack) as page:
        page.context.route(f"{hosted.DOMAIN}/**", hosted)
        Console(stack, page).create("cognito-session", label="Cognito session")
        page.goto(f"{hosted.app}#/jobs/cognito-session")
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.locator("h1")).to_contain_text("Cognito session")  # the hash kept through the hosted UI

        with page.expect_request(f"{hosted.DOMAIN}/oauth2/token"):
            age(stack, monkeypatch, HOUR_AND_A_MINUTE)
        expect(page.locator("#whoami-name")).to_contain_text("admin")
        assert hosted.renewals[0] == {
            "grant_type": "refresh_token",
            "client_id": HostedUI.CLIENT,
            "refresh_token": HostedUI.REFRESH,
        }
        page.locator("#run-now").click()
        expect(page.locator("#history-body tr[data-task] .badge").first).to_have_text("FINISHED")

        hosted.refuse = True  # revoked, or past its 30 days
        age(stack, monkeypatch, 2 * HOUR_AND_A_MINUTE)
        expect(page.locator("#session-ended")).to_have_text(EXPIRED)
        assert page.evaluate("location.hash") == "#/jobs/cognito-session"
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.locator("h1")).to_contain_text("Cognito session")
        expect(page.locator("#whoami-name")).to_contain_text("admin")
        assert page.evaluate("location.search") == ""


def test_a_module_of_another_deploy_leaves_the_page_saying_to_reload(browser, stack):
    """A deploy while the page loads: a container of the other deploy answers one of its modules
    with the 404 of a version not its own. The page, not replaced, says to reload."""
    with tab(browser, stack) as page:
        url = f"{stack.api.url}/"

        def other_deploy(route: Route) -> None:
            route.continue_(url=re.sub(r"/console/[0-9a-f]{12}/", "/console/0123456789ab/", route.request.url))

        page.route("**/lib/dom.js", other_deploy)
        page.goto(url)
        stuck = page.locator(".loading-stuck")
        expect(stuck).to_be_hidden()
        expect(stuck).to_be_visible(timeout=15_000)
        expect(stuck).to_contain_text("reload the page")
