"""What the console's browser tests share: a tab on the console (Console), Debian's Chromium and
the local stack (started once per test module, as fixtures), screenshots.

Screenshots go to test-artifacts/ (each `-390` one at phone width). With JOBDECK_DOCS_IMG set to a
folder (`make screenshots` sets docs/img), the ones the docs show are written there too, under the
same names (Console.document; the names must be ones a page of docs/ or the README shows).
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from jobdeck_local.stack import LocalStack
from tests.browser import ARTIFACTS, headless_chromium, local_stack, runner_paused

DOCS_IMG = os.environ.get("JOBDECK_DOCS_IMG")
ROOT = Path(__file__).resolve().parents[1]

WAIT_MS = 15_000  # a task queued by a click is FINISHED within a poll or two
expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with headless_chromium() as running:  # skips the module when Chromium is missing
        yield running


@pytest.fixture(scope="module")
def stack(browser: Browser) -> Iterator[LocalStack]:
    with local_stack() as running:
        yield running


class Console:
    """A browser tab on the console, and the API beside it for setting the scene."""

    def __init__(self, stack: LocalStack, page: Page) -> None:
        assert stack.api is not None
        self.stack = stack
        self.front = stack.api
        self.url = stack.api.url
        self.page = page

    def sign_in(self, user: str = "admin") -> Page:
        self.page.goto(f"{self.url}/")
        self.page.get_by_role("button", name=f"Sign in as {user}").click()
        expect(self.page.locator("#whoami-name")).to_contain_text(user)
        return self.page

    def new_job(self, label: str, message: str) -> tuple[Page, Any]:
        """Signed in as admin, a new job's form with its label and a first step, log.message with
        this message; the page and that step."""
        page = self.sign_in("admin")
        page.goto(f"{self.url}/#/new")
        page.get_by_label("Label").fill(label)
        page.locator("#f-action-0").select_option("log.message")
        step = page.locator("#steps li.step").first
        step.get_by_label("message").fill(message)
        return page, step

    def row(self, job_id: str) -> Any:
        return self.page.locator(f'tr[data-job="{job_id}"]')

    def api(self, method: str, path: str, body: Any = None, user: str = "admin") -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.front.tokens.mint(user)}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
        return json.loads(text) if text else None

    def create(self, job_id: str, **fields: Any) -> dict[str, Any]:
        """A custom job through the API: manual, logging a line, unless `fields` say otherwise."""
        body = {
            "id": job_id,
            "label": job_id.replace("-", " ").capitalize(),
            "actions": [{"action": "log.message", "parameters": {"message": f"hello from {job_id}"}}],
        }
        return self.api("POST", "/jobs", body | fields)

    def run(self, job_id: str, times: int = 1) -> None:
        """Run Now, `times` over, through the API; back once each task has FINISHED. The runner
        waits until all are queued (see tests/browser.py on moto and concurrent transactions)."""
        with runner_paused(self.stack):
            for _ in range(times):
                self.api("POST", f"/jobs/{job_id}/run", {})
        self.wait_finished(job_id, times)

    def wait_finished(self, job_id: str, count: int, status: str = "FINISHED") -> None:
        """Back once the job has `count` tasks, all ended in `status`."""
        deadline = time.monotonic() + WAIT_MS / 1000
        while time.monotonic() < deadline:
            items = self.api("GET", f"/jobs/{job_id}/tasks")["items"]
            if len(items) >= count and all(t["status"] == status for t in items):
                return
            time.sleep(0.2)
        raise AssertionError(f"the tasks of {job_id} did not end {status}: {items}")

    def screenshot(self, name: str, part: Any = None, full_page: bool = True) -> None:
        """The whole page (or the `part` locator; or the window alone, where a modal dialog is
        open), without the passing notice or a focus ring: what a person would look at."""
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.evaluate("document.activeElement?.blur(); document.getElementById('notice').className = 'notice'")
        if part is not None:
            part.screenshot(path=str(ARTIFACTS / name), animations="disabled")
        else:
            self.page.screenshot(path=str(ARTIFACTS / name), full_page=full_page, animations="disabled")

    def document(self, name: str, part: Any = None) -> None:
        """For the docs, only with JOBDECK_DOCS_IMG set: the window as it is (or the `part`
        locator), as a reader of the docs would see it."""
        # Checked at every run, not only under `make screenshots`: a picture renamed on one side
        # only would leave the docs showing an old one that no test refreshes.
        assert name in shown_pictures(), f"no page of docs/ nor the README shows img/{name}"
        if not DOCS_IMG:
            return
        self.page.evaluate("document.activeElement?.blur(); document.getElementById('notice').className = 'notice'")
        Path(DOCS_IMG).mkdir(parents=True, exist_ok=True)
        (part or self.page).screenshot(path=str(Path(DOCS_IMG) / name), animations="disabled")

    def screenshots(self, name: str, part: Any = None, full_page: bool = True, document: bool = False) -> None:
        """`name`.png at desktop width, then `name`-390.png at phone width, where nothing may
        overflow sideways; the desktop width is restored after. With `document`, both are the docs'
        pictures too (Console.document)."""
        self.screenshot(f"{name}.png", part, full_page)
        if document:
            self.document(f"{name}.png", part)
        self.page.set_viewport_size({"width": 390, "height": 844})
        try:
            self.page.wait_for_timeout(100)  # the layout settles
            overflow = self.page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= 390, f"{name} overflows a phone screen: {overflow} px wide"
            self.screenshot(f"{name}-390.png", part, full_page)
            if document:
                self.document(f"{name}-390.png", part)
        finally:
            self.page.set_viewport_size({"width": 1280, "height": 800})


def shown_pictures() -> set[str]:
    """The names of the pictures under docs/img/ that a page of docs/ or the README shows."""
    pages = [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
    return {name for page in pages for name in re.findall(r"img/([\w.-]+\.png)", page.read_text())}


@pytest.fixture
def console(browser: Browser, stack: LocalStack) -> Iterator[Console]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield Console(stack, page)
    finally:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"
