"""The web console in a real browser (Debian's Chromium, driven by Playwright) against the local
stack: its API, dev token issuer and queue pollers, so the tasks a click queues really run.

Screenshots of the list, a job page, the form and the list at phone width go to test-artifacts/;
so do the form's execution policy, the backfill dialog and a task on its second attempt, each at
desktop and at phone width (`-390`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from jobdeck import jobs, overlap, store
from jobdeck.domain import JobKind
from jobdeck_local.stack import LocalStack
from tests.browser import ARTIFACTS, headless_chromium, local_stack, runner_paused
from tests.support import make_job

pytestmark = pytest.mark.slow

COLUMNS = ["Label", "Owner", "Trigger", "Last Execution", "Status"]
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

    def screenshots(self, name: str, part: Any = None, full_page: bool = True) -> None:
        """`name`.png at desktop width, then `name`-390.png at phone width, where nothing may
        overflow sideways; the desktop width is restored after."""
        self.screenshot(f"{name}.png", part, full_page)
        self.page.set_viewport_size({"width": 390, "height": 844})
        try:
            self.page.wait_for_timeout(100)  # the layout settles
            overflow = self.page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= 390, f"{name} overflows a phone screen: {overflow} px wide"
            self.screenshot(f"{name}-390.png", part, full_page)
        finally:
            self.page.set_viewport_size({"width": 1280, "height": 800})


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


def test_the_list_shows_the_system_jobs_with_the_five_columns(console):
    console.create("weekly-report", label="Weekly report", schedule={"expression": "0 7 * * MON"})
    console.create("tidy-tmp", label="Tidy tmp", enabled=False, schedule={"expression": "rate(1 hour)"})
    console.run("weekly-report")
    page = console.sign_in("admin")
    headers = page.locator("#jobs thead th[data-key]")
    expect(headers).to_have_text(COLUMNS)
    for job_id, label in [("purge-recycle-bin", "Purge recycle bin"), ("prune-task-history", "Prune task history")]:
        row = console.row(job_id)
        expect(row.locator("td.label")).to_contain_text(label)
        expect(row.locator(".badge.kind-system")).to_have_text("system")
        expect(row.locator('td[data-label="Owner"]')).to_have_text("system")
        expect(row.locator("td.trigger")).to_contain_text("periodic:")

    # Sorting by a header, both ways, said to assistive technology too.
    labels = page.locator("#jobs tbody td.label a")
    ascending = labels.all_inner_texts()
    assert ascending == sorted(ascending, key=str.lower)
    page.locator("#sort-label").click()
    expect(page.locator('th[data-key="label"]')).to_have_attribute("aria-sort", "descending")
    assert labels.all_inner_texts() == ascending[::-1]
    page.locator("#sort-label").click()

    # The filter box; select-all selects what is shown.
    page.get_by_label("Filter").fill("purge")
    expect(page.locator("#jobs tbody tr[data-job]")).to_have_count(1)
    page.get_by_label("Select all jobs shown").check()
    expect(page.locator("#selection-count")).to_have_text("1 selected")
    expect(page.locator("#run-now")).to_be_enabled()
    page.get_by_label("Filter").fill("")
    expect(page.get_by_label("Select all jobs shown")).to_have_js_property("indeterminate", True)
    expect(console.row("weekly-report").locator("td.status")).to_contain_text("FINISHED")
    expect(console.row("tidy-tmp").locator("td.status")).to_contain_text("disabled")
    console.screenshot("console-list.png")


def test_run_now_queues_a_task_that_finishes_in_the_history_without_a_reload(console, stack):
    console.create("run-now-demo", description="Logs a line when someone clicks Run Now.")
    page = console.sign_in("admin")
    console.row("run-now-demo").get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text("Run now demo")
    expect(page.locator("#history-body")).to_contain_text("No tasks in the history.")
    page.evaluate("window.sameDocument = true")

    first = page.locator("#history-body tr[data-task]").first
    with runner_paused(stack):
        page.locator("#run-now").click()
        expect(first.locator(".badge")).to_have_text("QUEUED")
    # The runner picks it up; the page sees it end by itself.
    expect(first).to_contain_text("manual")
    expect(first).to_contain_text("admin")
    expect(first.locator(".badge")).to_have_text("FINISHED")
    assert page.evaluate("window.sameDocument") is True  # live refresh, not a reload

    # The list shows it too: Last Execution and Status come from the job's last task.
    page.get_by_role("link", name="Scheduler").first.click()
    row = console.row("run-now-demo")
    expect(row.locator("td.status")).to_contain_text("FINISHED")
    expect(row.locator("td.last time")).to_have_attribute("title", re.compile(r"\d{4}"))  # the date, on hover

    # The task view: progress, log lines, no Stop once it has ended.
    row.get_by_role("link").click()
    page.locator("#history-body tr[data-task] a").first.click()
    expect(page.locator("#task-status")).to_contain_text("FINISHED")
    expect(page.locator("#task-progress")).to_have_attribute("value", "100")
    expect(page.locator("#logs")).to_contain_text("hello from run-now-demo")
    expect(page.locator("#stop")).to_be_hidden()


def test_the_task_view_follows_a_queued_task_and_stop_interrupts_it(console, stack):
    console.create("stop-demo")
    page = console.sign_in("admin")
    with runner_paused(stack):
        task = console.api("POST", "/jobs/stop-demo/run", {})
        page.goto(f"{console.url}/#/jobs/stop-demo/tasks/{task['id']}")
        expect(page.locator("#task-status")).to_contain_text("QUEUED")
        expect(page.locator("#task-progress")).to_have_attribute("value", "0")
        page.locator("#stop").click()
        expect(page.locator("#task-status")).to_contain_text("INTERRUPTED")
        expect(page.locator("#stop")).to_be_hidden()
        expect(page.locator("#notice")).to_contain_text("Task stopped")


def test_disable_then_enable_toggles_the_status_shown(console):
    console.create("toggle-demo", schedule={"expression": "rate(1 day)"})
    page = console.sign_in("admin")
    page.get_by_label("Filter").fill("toggle")
    row = console.row("toggle-demo")
    row.get_by_role("checkbox").check()

    page.get_by_role("button", name="Disable job").click()
    expect(row.locator("td.status .badge.disabled")).to_have_text("disabled")
    expect(page.locator("#notice")).to_contain_text("Disabled 1 job")
    assert console.api("GET", "/jobs/toggle-demo")["enabled"] is False

    page.get_by_role("button", name="Enable", exact=True).click()
    expect(row.locator("td.status .badge.disabled")).to_have_count(0)
    assert console.api("GET", "/jobs/toggle-demo")["enabled"] is True


def test_clear_all_asks_first_then_empties_the_history(console):
    console.create("clear-demo")
    console.run("clear-demo", times=2)
    page = console.sign_in("admin")
    page.goto(f"{console.url}/#/jobs/clear-demo")
    tasks = page.locator("#history-body tr[data-task]")
    expect(tasks).to_have_count(2)

    page.locator("#clear-all").click()
    dialog = page.locator("dialog#confirm")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(tasks).to_have_count(2)

    page.locator("#clear-all").click()
    dialog.get_by_role("button", name="Clear All").click()
    expect(page.locator("#history-body")).to_contain_text("No tasks in the history.")
    expect(page.locator("#notice")).to_contain_text("2 tasks deleted")
    assert console.api("GET", "/jobs/clear-demo/tasks")["items"] == []


def test_the_history_pages_with_older(console):
    console.create("busy-demo")
    console.run("busy-demo", times=23)
    page = console.sign_in("admin")
    page.goto(f"{console.url}/#/jobs/busy-demo")
    tasks = page.locator("#history-body tr[data-task]")
    expect(tasks).to_have_count(20)
    page.get_by_role("button", name="Older").click()
    expect(tasks).to_have_count(23)
    expect(page.get_by_role("button", name="Older")).to_be_hidden()
    ids = tasks.evaluate_all("rows => rows.map(r => r.dataset.task)")
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 23  # newest first, each once
    page.wait_for_timeout(3500)  # a refresh keeps the older page
    expect(tasks).to_have_count(23)


def test_a_custom_job_made_with_the_form_is_listed_and_runs(console):
    page = console.sign_in("admin")
    page.get_by_role("link", name="New job").click()
    page.get_by_label("Label").fill("Nightly tidy")
    page.get_by_label("Description").fill("Writes a line every weekday night.")
    page.get_by_label("Schedule").check()
    page.get_by_label("Expression").fill("30 2 * * 1-5")
    page.get_by_label("Time zone").fill("Europe/Paris")
    preview = page.locator("#preview")
    expect(preview).to_contain_text("02:30")
    expect(preview.locator("li")).to_have_count(5)
    expect(preview.locator("li").first).to_contain_text(":30 (+0")  # Paris wall time, with its offset

    page.locator("#f-action-0").select_option("log.message")
    step = page.locator("#steps li.step").first
    step.get_by_label("message").fill("hello from the form")
    step.get_by_label("level").select_option(label="WARNING")
    console.screenshot("console-form.png")
    page.get_by_role("button", name="Create job").click()

    expect(page.locator("h1")).to_contain_text("Nightly tidy")
    job_id = page.evaluate("location.hash").split("/")[2]
    assert job_id.startswith("nightly-tidy")
    expect(page.locator("#next-runs li")).to_have_count(5)
    page.locator("#run-now").click()
    expect(page.locator("#history-body tr[data-task] .badge").first).to_have_text("FINISHED")
    console.screenshot("console-job.png")
    page.locator("#history-body tr[data-task] a").first.click()
    expect(page.locator("#logs")).to_contain_text("hello from the form")
    expect(page.locator("#logs")).to_contain_text("WARNING")

    page.get_by_role("link", name="Scheduler").first.click()
    row = console.row(job_id)
    expect(row.locator(".badge.kind-custom")).to_have_text("custom")
    expect(row.locator("td.trigger")).to_have_text("periodic: 30 2 * * 1-5")
    expect(row.locator("td.status")).to_contain_text("FINISHED")
    saved = console.api("GET", f"/jobs/{job_id}")
    assert saved["schedule"]["timezone"] == "Europe/Paris"
    assert [{k: a[k] for k in ("action", "parameters", "timeout_seconds")} for a in saved["actions"]] == [
        {
            "action": "log.message",
            "parameters": {"message": "hello from the form", "level": "WARNING"},
            "timeout_seconds": None,
        }
    ]
    # The execution policy left as it was: the API's defaults.
    assert (saved["overlap"], saved["max_concurrency"], saved["concurrency_limit"]) == ("allow_all", None, 20)
    assert saved["retry"] == {"max_attempts": 1, "backoff_seconds": 30, "max_backoff_seconds": 3600}
    assert saved["notify"] == {"topic": True, "webhook": None}
    assert saved["pause_after_failures"] is None


def test_an_object_default_reads_as_its_json_in_the_form(console):
    page = console.sign_in("admin")
    page.get_by_role("link", name="New job").click()
    page.locator("#f-action-0").select_option("images.thumbnail")
    step = page.locator("#steps li.step").first
    sizes = step.get_by_label("sizes")
    hint = step.locator(".hint", has_text="default:").filter(has_text="sm")
    expect(hint).to_contain_text('default: {"sm":300,"md":1024}')
    expect(sizes).to_have_attribute("placeholder", '{"sm":300,"md":1024}')
    expect(step).not_to_contain_text("[object Object]")
    console.screenshot("console-form-thumbnail-step.png", part=step)


def test_what_a_number_box_cannot_read_is_refused_not_dropped(console):
    """A browser gives the page an empty value for "1e" in a number box: the form sends it as not a
    number, so the API refuses it beside the field instead of the job taking the default."""
    page = console.sign_in("admin")
    page.get_by_role("link", name="New job").click()
    page.get_by_label("Label").fill("Typo")
    page.locator("#f-action-0").select_option("log.message")
    step = page.locator("#steps li.step").first
    step.get_by_label("message").fill("hi")
    step.get_by_label("Step timeout (seconds)").press_sequentially("1e")
    page.get_by_role("button", name="Create job").click()
    expect(page.locator("#form-error")).to_contain_text("not saved")
    expect(page.locator("#f-action-0-timeout-error")).to_contain_text("valid integer")
    assert not [j for j in console.api("GET", "/jobs")["items"] if j["label"] == "Typo"]


def test_the_form_adds_s3_event_and_hook_triggers(console):
    page, _ = console.new_job("Inbox watcher", "something arrived")

    page.get_by_role("button", name="Add S3 event").click()
    event = page.locator("#events li.event-row").first
    expect(event.get_by_label("Event type")).to_be_focused()
    event.get_by_label("Event type").select_option("ObjectCreated")
    event.get_by_label("Prefix").fill("inbox/")
    page.get_by_role("button", name="Add hook").click()
    hook = page.locator("#hooks .hook-row").first
    expect(hook.get_by_label("Hook slug")).to_be_focused()
    hook.get_by_label("Hook slug").fill("console-hook")
    hook.get_by_label("Admins only").check()
    # A second event, removed again: only the rows left are sent.
    page.get_by_role("button", name="Add S3 event").click()
    page.get_by_role("button", name="Remove S3 event 2").click()
    expect(page.locator("#events li.event-row")).to_have_count(1)
    console.screenshot("console-form-triggers.png")
    page.get_by_role("button", name="Create job").click()

    expect(page.locator("h1")).to_contain_text("Inbox watcher")
    job_id = page.evaluate("location.hash").split("/")[2]
    saved = console.api("GET", f"/jobs/{job_id}")
    assert saved["schedule"] is None
    assert [(e["source"], e["type"], e["filter"]["prefix"]) for e in saved["events"]] == [
        ("s3", "ObjectCreated", "inbox/")
    ]
    assert {k: v for k, v in saved["events"][0]["filter"].items() if v is not None} == {"prefix": "inbox/"}
    assert saved["hooks"] == [{"slug": "console-hook", "admins_only": True}]

    page.get_by_role("link", name="Scheduler").first.click()
    trigger = console.row(job_id).locator("td.trigger")
    expect(trigger).to_contain_text("event: s3 ObjectCreated")
    expect(trigger).to_contain_text("hook: console-hook")

    # Edited, the rows are filled from the job read; a bad size is refused beside its row.
    page.goto(f"{console.url}/#/jobs/{job_id}/edit")
    event = page.locator("#events li.event-row").first
    expect(event.get_by_label("Prefix")).to_have_value("inbox/")
    expect(page.locator("#hooks .hook-row").first.get_by_label("Hook slug")).to_have_value("console-hook")
    event.get_by_label("Min size (bytes)").fill("-1")
    page.get_by_role("button", name="Save changes").click()
    expect(event.locator('[data-field="events[0].filter.min_size"] .field-error')).to_contain_text("0")
    expect(page.locator("#form-error")).to_contain_text("not saved")
    expect(event.get_by_label("Min size (bytes)")).to_have_attribute("aria-invalid", "true")


def test_the_api_refusals_are_shown_beside_their_fields(console):
    page = console.sign_in("admin")
    page.goto(f"{console.url}/#/new")
    page.get_by_label("Label").fill("Refused")
    page.get_by_label("Schedule").check()
    page.get_by_label("Expression").fill("61 * * * *")
    expect(page.locator("#preview")).to_contain_text("Bad minute")  # the live preview says it first
    page.locator("#f-action-0").select_option("log.message")
    page.locator("#steps li.step").first.get_by_label("message").fill("hi")
    page.get_by_role("button", name="Create job").click()
    expect(page.locator("#f-expression-error")).to_have_text("Bad minute")
    expect(page.get_by_label("Expression")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#form-error")).to_contain_text("not saved")

    # Fixed, the next refusal is the action's parameters: beside that step's fields.
    page.get_by_label("Expression").fill("0 4 * * *")
    page.locator("#f-action-0").select_option("tree.delete")
    page.get_by_role("button", name="Create job").click()
    expect(page.locator("#f-action-0-parameters-error")).to_contain_text("prefix")
    expect(page.locator("#f-expression-error")).to_be_hidden()
    assert all(j["label"] != "Refused" for j in console.api("GET", "/jobs?limit=200")["items"])


def test_an_edit_saved_unchanged_keeps_templates_where_a_checkbox_or_a_list_would_go(console):
    """A parameter holding a template ("{{ parameters.wipe }}") where the form shows a checkbox, a
    number box or a select is shown as its text and saved as it was, not turned into true or
    dropped (a failed run would then delete permanently)."""
    params = [
        {"name": "wipe", "type": "boolean", "default": False},
        {"name": "lvl", "type": "string", "default": "INFO"},
    ]
    chain = [{"action": "log.message", "parameters": {"message": "x", "level": "{{ parameters.lvl }}"}}]
    branch = [{"action": "tree.delete", "parameters": {"prefix": "tmp/", "permanent": "{{ parameters.wipe }}"}}]
    console.create("templated", parameters=params, actions=chain, on_failure=branch)
    page = console.sign_in("admin")
    page.goto(f"{console.url}/#/jobs/templated/edit")
    permanent = page.locator("#failure-steps li.step").first.get_by_label("permanent")
    expect(permanent).to_have_value("{{ parameters.wipe }}")
    expect(page.locator("#steps li.step").first.get_by_label("level")).to_have_value("{{ parameters.lvl }}")
    page.get_by_role("button", name="Save changes").click()
    # The edit page's heading ("Edit Templated") holds the label too: wait for the job page's.
    expect(page.locator("h1")).to_have_text(re.compile(r"^Templated"))

    saved = console.api("GET", "/jobs/templated")
    assert saved["version"] == 2
    assert [a["parameters"] for a in saved["actions"]] == [chain[0]["parameters"]]
    assert [a["parameters"] for a in saved["on_failure"]] == [branch[0]["parameters"]]


def test_editing_sends_the_version_read_and_shows_a_conflict(console):
    branch = [{"action": "log.message", "parameters": {"message": "failed: {{ failure.message }}"}}]
    console.create("edit-demo", hooks=[{"slug": "edit-demo-hook"}], on_failure=branch)
    page = console.sign_in("admin")
    page.goto(f"{console.url}/#/jobs/edit-demo/edit")
    expect(page.get_by_label("Label")).to_have_value("Edit demo")
    console.api("POST", "/jobs/edit-demo/disable")  # someone else changes it meanwhile
    page.get_by_label("Label").fill("Edit demo, renamed")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#form-error")).to_contain_text("is at version 2, not 1")

    page.get_by_role("button", name="Reload the job").click()
    expect(page.get_by_label("Enabled")).not_to_be_checked()
    page.get_by_label("Label").fill("Edit demo, renamed")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("h1")).to_contain_text("Edit demo, renamed")
    saved = console.api("GET", "/jobs/edit-demo")
    assert saved["version"] == 3
    assert saved["hooks"] == [{"slug": "edit-demo-hook", "admins_only": False}]  # what the form does not edit stays
    kept = [(step["action"], step["parameters"]) for step in saved["on_failure"]]
    assert kept == [(step["action"], step["parameters"]) for step in branch]


NO_FILTER = dict.fromkeys(["glob", "min_size", "max_size", "older_than_days", "newer_than_days", "content_type"])


def test_the_form_sets_a_steps_filter_and_the_on_failure_branch(console):
    page, step = console.new_job("Photo sweep", "sweeping the photos")

    # The filter is folded away until asked for; its summary says what it keeps, as it is typed.
    rule = step.locator("details.step-filter")
    summary = rule.locator("summary")
    expect(rule).to_have_js_property("open", False)
    expect(summary).to_have_text("Only items that… no filter: all its input")
    summary.click()
    glob = rule.get_by_label("Key matches (glob)")
    expect(glob).to_be_visible()
    expect(glob).to_have_attribute("aria-describedby", "f-action-0-filter-glob-hint f-action-0-filter-glob-error")
    glob.fill("home/*/photos/*.jpg")
    rule.get_by_label("Min size (bytes)").fill("2048")
    expect(summary).to_have_text("Only items that match home/*/photos/*.jpg and are at least 2 KiB")

    # The on-failure branch: empty until a step is added, numbered on its own.
    branch = page.locator("#failure-steps")
    expect(branch).to_contain_text("No step")
    page.get_by_role("button", name="Add on-failure step").click()
    failure = branch.locator("li.step")
    expect(failure.first.get_by_label("Action")).to_be_focused()
    expect(failure.first.locator(".step-number")).to_have_text("On-failure step 1")
    failure.first.get_by_label("Action").select_option("log.message")
    failure.first.get_by_label("message").fill("failed at step {{ failure.step }}")
    expect(page.locator("#steps li.step")).to_have_count(1)  # the chain is left as it was
    console.screenshots("console-form-step-filter", page.locator('fieldset[data-field="actions"]'))
    console.screenshots("console-form-on-failure", page.locator("#on-failure"))
    page.get_by_role("button", name="Create job").click()

    expect(page.locator("h1")).to_contain_text("Photo sweep")
    # The job page lists the step with what its filter keeps, and the on-failure branch.
    expect(page.locator("ol.chain").first.locator("li")).to_contain_text(
        "only items that match home/*/photos/*.jpg and are at least 2 KiB"
    )
    expect(page.locator("ol.on-failure li")).to_have_count(1)
    expect(page.locator("ol.on-failure li")).to_contain_text("failed at step {{ failure.step }}")
    console.screenshot("console-job-filter-on-failure.png", page.locator("main"))
    job_id = page.evaluate("location.hash").split("/")[2]
    saved = console.api("GET", f"/jobs/{job_id}")
    assert saved["actions"] == [
        {
            "action": "log.message",
            "parameters": {"message": "sweeping the photos"},
            "timeout_seconds": None,
            "filter": NO_FILTER | {"glob": "home/*/photos/*.jpg", "min_size": 2048},
        }
    ]
    assert saved["on_failure"] == [
        {
            "action": "log.message",
            "parameters": {"message": "failed at step {{ failure.step }}"},
            "timeout_seconds": None,
            "filter": None,
        }
    ]

    # Edited: the filter shows unfolded with its values, the branch with its step.
    page.goto(f"{console.url}/#/jobs/{job_id}/edit")
    expect(rule).to_have_js_property("open", True)
    expect(summary).to_have_text("Only items that match home/*/photos/*.jpg and are at least 2 KiB")
    expect(glob).to_have_value("home/*/photos/*.jpg")
    expect(rule.get_by_label("Min size (bytes)")).to_have_value("2048")
    expect(failure).to_have_count(1)
    expect(failure.first.get_by_label("Action")).to_have_value("log.message")
    expect(failure.first.get_by_label("message")).to_have_value("failed at step {{ failure.step }}")
    expect(failure.first.locator("details.step-filter")).to_have_js_property("open", False)

    # Changed: the filter's glob and bounds, the message; a second on-failure step, with a
    # filter of its own, moved first.
    glob.fill("home/*/photos/*.png")
    rule.get_by_label("Min size (bytes)").fill("")
    rule.get_by_label("Max size (bytes)").fill("1048576")
    expect(summary).to_have_text("Only items that match home/*/photos/*.png and are at most 1 MiB")
    failure.first.get_by_label("message").fill("step {{ failure.step }} failed: {{ failure.message }}")
    page.get_by_role("button", name="Add on-failure step").click()
    second = failure.nth(1)
    second.get_by_label("Action").select_option("log.message")
    second.get_by_label("message").fill("tidying up")
    second.locator("details.step-filter summary").click()
    second.get_by_label("Content type").fill("image/*")
    second.get_by_label("Newer than (days)").fill("7")
    expect(second.locator("summary")).to_have_text(
        "Only items that are of type image/* and were changed in the last 7 days"
    )
    page.get_by_role("button", name="Move on-failure step 2 up").click()
    expect(page.get_by_role("button", name="Move on-failure step 1 up")).to_be_focused()  # the same button
    expect(failure.first.get_by_label("message")).to_have_value("tidying up")
    expect(failure.nth(1).locator(".step-number")).to_have_text("On-failure step 2")
    page.get_by_role("button", name="Save changes").click()

    expect(page).to_have_url(re.compile(rf"#/jobs/{job_id}$"))  # saved: the job's page ("Edit Photo sweep" is not)
    expect(page.locator("#run-now")).to_be_visible()  # shown, in place of the form
    saved = console.api("GET", f"/jobs/{job_id}")
    assert saved["actions"][0]["filter"] == NO_FILTER | {"glob": "home/*/photos/*.png", "max_size": 1048576}
    assert [(s["parameters"]["message"], s["filter"]) for s in saved["on_failure"]] == [
        ("tidying up", NO_FILTER | {"content_type": "image/*", "newer_than_days": 7}),
        ("step {{ failure.step }} failed: {{ failure.message }}", None),
    ]

    # Its fields emptied, the filter is gone; a step removed from the branch is gone too.
    page.goto(f"{console.url}/#/jobs/{job_id}/edit")
    glob.fill("")
    rule.get_by_label("Max size (bytes)").fill("")
    expect(summary).to_have_text("Only items that… no filter: all its input")
    page.get_by_role("button", name="Remove on-failure step 1").click()
    expect(page.get_by_role("button", name="Add on-failure step")).to_be_focused()
    expect(failure).to_have_count(1)
    page.get_by_role("button", name="Save changes").click()

    expect(page).to_have_url(re.compile(rf"#/jobs/{job_id}$"))  # saved: the job's page ("Edit Photo sweep" is not)
    expect(page.locator("#run-now")).to_be_visible()  # shown, in place of the form
    saved = console.api("GET", f"/jobs/{job_id}")
    assert saved["actions"][0]["filter"] is None
    assert [s["parameters"]["message"] for s in saved["on_failure"]] == [
        "step {{ failure.step }} failed: {{ failure.message }}"
    ]
    assert saved["version"] == 3


def test_filter_and_on_failure_refusals_are_shown_beside_their_fields(console):
    page, step = console.new_job("Refused filter", "hi")
    rule = step.locator("details.step-filter")
    rule.locator("summary").click()
    rule.get_by_label("Min size (bytes)").fill("-1")
    page.get_by_role("button", name="Add on-failure step").click()
    failure = page.locator("#failure-steps li.step").first
    failure.get_by_label("Action").select_option("log.message")
    failure.get_by_label("message").fill("oops")
    failure_rule = failure.locator("details.step-filter")
    failure_rule.locator("summary").click()
    # "1e" is no number: the browser gives the page an empty value, the form does not drop it.
    failure_rule.get_by_label("Older than (days)").press_sequentially("1e")
    failure_rule.locator("summary").click()  # folded again
    expect(failure_rule).to_have_js_property("open", False)

    # Refused by the request's schema: each beside its field, a folded filter unfolded to show it.
    page.get_by_role("button", name="Create job").click()
    expect(page.locator("#form-error")).to_contain_text("not saved")
    expect(page.locator("#f-action-0-filter-min_size-error")).to_contain_text("greater than or equal to 0")
    expect(rule.get_by_label("Min size (bytes)")).to_have_attribute("aria-invalid", "true")
    expect(failure_rule).to_have_js_property("open", True)
    expect(page.locator("#f-failure-0-filter-older_than_days-error")).to_contain_text("valid number")
    expect(failure_rule.get_by_label("Older than (days)")).to_have_attribute("aria-invalid", "true")
    console.screenshots("console-form-filter-refused", page.locator("#on-failure"))

    # Refused by the job's own checks: a min size over the max, then the on-failure step's parameters.
    rule.get_by_label("Min size (bytes)").fill("4096")
    rule.get_by_label("Max size (bytes)").fill("1024")
    failure_rule.get_by_label("Older than (days)").fill("30")
    page.get_by_role("button", name="Create job").click()
    expect(page.locator("#f-action-0-filter-min_size-error")).to_have_text("is larger than max_size")
    expect(page.locator("#f-failure-0-filter-older_than_days-error")).to_be_hidden()
    rule.get_by_label("Max size (bytes)").fill("")
    failure.get_by_label("Action").select_option("tree.delete")
    page.get_by_role("button", name="Create job").click()
    expect(page.locator("#f-failure-0-parameters-error")).to_contain_text("prefix")
    expect(page.locator("#f-action-0-parameters-error")).to_be_hidden()
    expect(page.locator("#f-action-0-filter-min_size-error")).to_be_hidden()
    assert all(j["label"] != "Refused filter" for j in console.api("GET", "/jobs?limit=200")["items"])


def test_a_failed_run_runs_the_on_failure_step_made_in_the_form(console):
    page = console.sign_in("admin")
    page.goto(f"{console.url}/#/new")
    page.get_by_label("Label").fill("Doomed sweep")
    page.locator("#f-action-0").select_option("tree.delete")
    page.locator("#steps li.step").first.get_by_label("prefix").fill("/")  # refused at run time: the root
    page.get_by_label("Notify the topic").uncheck()
    page.get_by_role("button", name="Add on-failure step").click()
    failure = page.locator("#failure-steps li.step").first
    failure.get_by_label("Action").select_option("log.message")
    failure.get_by_label("message").fill("failed at step {{ failure.step }}: {{ failure.message }}")
    page.get_by_role("button", name="Create job").click()

    expect(page.locator("h1")).to_contain_text("Doomed sweep")
    page.locator("#run-now").click()
    expect(page.locator("#history-body tr[data-task] .badge").first).to_have_text("ERROR")
    page.locator("#history-body tr[data-task] a").first.click()
    expect(page.locator("#task-status")).to_contain_text("ERROR")
    logs = page.locator("#logs")
    expect(logs).to_contain_text("running the on-failure branch (1 steps)")
    expect(logs).to_contain_text("failed at step 1: step 1 (tree.delete): refusing to delete the whole datasource")
    console.screenshots("console-task-on-failure")


def test_a_user_sees_only_their_jobs_and_no_admin_buttons(console):
    jobs.create(make_job("alice-zip", expression=None, label="Zip my photos", owner="alice", kind=JobKind.USER))
    console.create("alice-custom", owner="alice")
    page = console.sign_in("alice")
    expect(page.locator("#jobs tbody tr[data-job]")).to_have_count(2)
    assert sorted(page.locator("#jobs tbody tr[data-job]").evaluate_all("rows => rows.map(r => r.dataset.job)")) == [
        "alice-custom",
        "alice-zip",
    ]
    for admin_only in ("#new-job", "#enable", "#disable", "#delete"):
        expect(page.locator(admin_only)).to_have_count(0)

    console.row("alice-custom").get_by_role("checkbox").check()
    expect(page.locator("#run-now")).to_be_disabled()  # custom jobs are the admins' to run
    console.row("alice-custom").get_by_role("checkbox").uncheck()
    console.row("alice-zip").get_by_role("checkbox").check()
    page.locator("#run-now").click()
    expect(console.row("alice-zip").locator("td.status")).to_contain_text("FINISHED")

    console.row("alice-zip").get_by_role("link").click()
    expect(page.locator("#run-now")).to_be_visible()
    expect(page.locator("#clear-all")).to_be_visible()
    for admin_only in ("#edit", "#delete", "#enable", "#disable"):
        expect(page.locator(admin_only)).to_have_count(0)
    page.goto(f"{console.url}/#/jobs/purge-recycle-bin")
    expect(page.locator("h1")).to_have_text("Not found")  # someone else's job does not exist for her
    expect(page.locator("#main")).to_contain_text("no job 'purge-recycle-bin'")


def test_the_form_sets_the_execution_policy_and_the_api_stores_it(console):
    page, step = console.new_job("Careful sync", "syncing carefully")
    step.get_by_label("Step timeout (seconds)").fill("120")

    # Each policy is explained beside the select; the chosen one stands out, and the default
    # number of seats follows it.
    policy = page.locator("#execution-policy")
    overlap = page.get_by_label("Overlap")
    concurrency = page.get_by_label("Max concurrency")
    expect(policy.locator("#overlap-list li")).to_have_count(5)
    expect(policy.locator("#overlap-list li.chosen")).to_contain_text("Allow all")
    expect(concurrency).to_have_attribute("placeholder", "20")
    overlap.select_option("skip")
    expect(policy.locator("#overlap-list li.chosen")).to_have_text(re.compile(r"^Skip The new run ends SKIPPED"))
    expect(concurrency).to_have_attribute("placeholder", "1")
    expect(page.locator("#f-max-concurrency-hint")).to_contain_text("Empty: 1, the default for skip")
    concurrency.fill("2")
    page.get_by_label("Max attempts").fill("3")
    page.get_by_label("Backoff (seconds)", exact=True).fill("10")
    page.get_by_label("Max backoff (seconds)").fill("120")
    page.get_by_label("Suspend after failures").fill("2")
    page.get_by_label("Notify the topic").uncheck()
    page.get_by_label("Notify a webhook").fill("https://hooks.example.com/jobdeck")
    console.screenshots("console-form-policy", policy)
    page.get_by_role("button", name="Create job").click()

    expect(page.locator("h1")).to_contain_text("Careful sync")
    job_id = page.evaluate("location.hash").split("/")[2]
    saved = console.api("GET", f"/jobs/{job_id}")
    assert (saved["overlap"], saved["max_concurrency"], saved["concurrency_limit"]) == ("skip", 2, 2)
    assert saved["retry"] == {"max_attempts": 3, "backoff_seconds": 10, "max_backoff_seconds": 120}
    assert saved["pause_after_failures"] == 2
    assert saved["notify"] == {"topic": False, "webhook": "https://hooks.example.com/jobdeck"}
    assert saved["actions"][0]["timeout_seconds"] == 120
    # The job page says it in words.
    about = page.locator("section.card dl.facts").first
    expect(about).to_contain_text("skip · at most 2 at a time")
    expect(about).to_contain_text("up to 3 attempts")
    expect(about).to_contain_text("suspend the job after 2 failed runs in a row")
    expect(about).to_contain_text("times out after 2 min 0 s")

    # Edited, the form shows what was stored; emptied, max concurrency goes back to the default.
    page.goto(f"{console.url}/#/jobs/{job_id}/edit")
    expect(page.get_by_label("Overlap")).to_have_value("skip")
    expect(page.get_by_label("Max concurrency")).to_have_value("2")
    expect(page.get_by_label("Suspend after failures")).to_have_value("2")
    expect(page.get_by_label("Notify the topic")).not_to_be_checked()
    expect(page.locator("#steps li.step").first.get_by_label("Step timeout (seconds)")).to_have_value("120")
    page.get_by_label("Max concurrency").fill("")
    page.get_by_label("Suspend after failures").fill("")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("h1")).to_have_text(re.compile(r"^Careful sync"))  # the job page's, not "Edit Careful sync"
    saved = console.api("GET", f"/jobs/{job_id}")
    assert (saved["max_concurrency"], saved["concurrency_limit"], saved["pause_after_failures"]) == (None, 1, None)


def test_policy_refusals_are_shown_beside_their_fields(console):
    page, step = console.new_job("Refused policy", "hi")

    # Refused by the request's schema: each beside its field (body.retry.max_attempts, body.actions.0...).
    page.get_by_label("Max attempts").fill("11")
    step.get_by_label("Step timeout (seconds)").fill("0")
    page.get_by_role("button", name="Create job").click()
    expect(page.locator("#f-max-attempts-error")).to_contain_text("10")
    expect(page.locator("#f-action-0-timeout-error")).to_contain_text("1")
    expect(page.get_by_label("Max attempts")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#form-error")).to_contain_text("not saved")

    # Refused by the job's own checks: the backoff may not exceed its cap.
    page.get_by_label("Max attempts").fill("3")
    step.get_by_label("Step timeout (seconds)").fill("")
    page.get_by_label("Backoff (seconds)", exact=True).fill("600")
    page.get_by_label("Max backoff (seconds)").fill("60")
    page.get_by_role("button", name="Create job").click()
    expect(page.locator("#f-backoff-error")).to_have_text("is larger than max_backoff_seconds")
    expect(page.get_by_label("Backoff (seconds)", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-max-attempts-error")).to_be_hidden()

    # A webhook on the local machine is refused beside the webhook.
    page.get_by_label("Max backoff (seconds)").fill("3600")
    page.get_by_label("Notify a webhook").fill("http://localhost:9/hook")
    page.get_by_role("button", name="Create job").click()
    expect(page.locator("#f-webhook-error")).to_contain_text("loopback")
    expect(page.locator("#f-backoff-error")).to_be_hidden()
    assert all(j["label"] != "Refused policy" for j in console.api("GET", "/jobs?limit=200")["items"])


def test_a_job_paused_after_failures_shows_paused_and_enable_lifts_it(console, stack):
    failing = [{"action": "tree.delete", "parameters": {"prefix": "/"}}]  # refuses to empty the datasource
    console.create("fragile-job", actions=failing, pause_after_failures=2, notify={"topic": False})
    with runner_paused(stack):
        for _ in range(2):
            console.api("POST", "/jobs/fragile-job/run", {})
    console.wait_finished("fragile-job", 2, status="ERROR")
    deadline = time.monotonic() + WAIT_MS / 1000
    while console.api("GET", "/jobs/fragile-job")["enabled"] and time.monotonic() < deadline:
        time.sleep(0.2)
    paused = console.api("GET", "/jobs/fragile-job")
    assert paused["paused_reason"] == "suspended after 2 failed runs in a row"

    page = console.sign_in("admin")
    page.get_by_label("Filter").fill("fragile")
    row = console.row("fragile-job")
    badge = row.locator("td.status .badge.job-paused")
    expect(badge).to_contain_text("Suspended")
    expect(badge).to_have_attribute("title", re.compile("suspended after 2 failed runs in a row"))
    expect(row.locator("td.status .badge.disabled")).to_have_count(0)  # paused, said as such
    expect(row.locator("td.status .badge.status-error")).to_have_text("ERROR")
    console.screenshot("console-list-paused.png", page.locator("#jobs"))

    row.get_by_role("link").click()
    expect(page.locator("h1 .badge.job-paused")).to_be_visible()
    expect(page.locator("#paused-note")).to_contain_text("suspended after 2 failed runs in a row")
    console.screenshot("console-job-paused.png")
    page.get_by_role("button", name="Enable", exact=True).click()
    expect(page.locator("#paused-note")).to_have_count(0)
    expect(page.locator("h1 .badge.job-paused")).to_have_count(0)
    lifted = console.api("GET", "/jobs/fragile-job")
    assert (lifted["enabled"], lifted["paused_reason"], lifted["failures_in_row"]) == (True, None, 0)

    # From the list too: paused again, then enabled there.
    console.api("POST", "/jobs/fragile-job/run", {})
    console.api("POST", "/jobs/fragile-job/run", {})
    deadline = time.monotonic() + WAIT_MS / 1000
    while console.api("GET", "/jobs/fragile-job")["enabled"] and time.monotonic() < deadline:
        time.sleep(0.2)
    page.get_by_role("link", name="Scheduler").first.click()
    expect(badge).to_contain_text("Suspended")
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Enable", exact=True).click()
    expect(badge).to_have_count(0)
    assert console.api("GET", "/jobs/fragile-job")["paused_reason"] is None


def test_backfill_queues_the_slots_of_a_past_range_in_the_browsers_zone(browser, stack):
    """The browser is in Kolkata (+05:30): the times typed are its wall time, sent with that offset."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, timezone_id="Asia/Kolkata")
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        console = Console(stack, page)
        console.create("hourly-backfill", label="Hourly export", schedule={"expression": "0 * * * *"})
        console.create("manual-only")
        page = console.sign_in("admin")
        page.goto(f"{console.url}/#/jobs/manual-only")
        expect(page.locator("#run-now")).to_be_visible()
        expect(page.locator("#backfill")).to_have_count(0)  # no schedule, no slots

        page.goto(f"{console.url}/#/jobs/hourly-backfill")
        expect(page.locator("h1")).to_contain_text("Hourly export")
        page.locator("#backfill").click()
        dialog = page.locator("dialog#backfill-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.get_by_label("Overlap")).to_have_value("buffer_all")
        expect(dialog.get_by_label("Start")).to_be_focused()
        expect(dialog).to_contain_text(re.compile(r"your time zone \(Asia/(Kolkata|Calcutta)\)"))

        first = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=5)
        slots = [first + timedelta(hours=i) for i in range(3)]
        wall = lambda moment: moment.astimezone(ZoneInfo("Asia/Kolkata")).strftime("%Y-%m-%dT%H:%M")  # noqa: E731

        # Backwards: refused, beside the end.
        dialog.get_by_label("Start").fill(wall(slots[2]))
        dialog.get_by_label("End").fill(wall(slots[0]))
        dialog.get_by_role("button", name="Backfill").click()
        expect(dialog.locator("#backfill-end-error")).to_have_text("must be after start")
        expect(dialog.get_by_label("End")).to_have_attribute("aria-invalid", "true")
        expect(dialog).to_be_visible()

        dialog.get_by_label("Start").fill(wall(slots[0]))
        dialog.get_by_label("End").fill(wall(slots[0] + timedelta(hours=3)))  # the end is left out
        expect(dialog.locator("#backfill-end-error")).to_be_hidden()  # changed: no longer what was refused
        console.screenshots("console-backfill", full_page=False)  # the dialog over the job page
        dialog.get_by_role("button", name="Backfill").click()
        expect(dialog).to_have_count(0)
        expect(page.locator("#notice")).to_contain_text("Backfill: queued 3 runs, 0 had run already.")
        rows = page.locator("#history-body tr[data-task]")
        expect(rows).to_have_count(3)
        expect(rows.first).to_contain_text("backfill")
        console.wait_finished("hourly-backfill", 3)
        tasks = console.api("GET", "/jobs/hourly-backfill/tasks")["items"]
        scheduled = sorted(datetime.fromisoformat(t["scheduled_for"]) for t in tasks)
        assert scheduled == slots
        assert {(t["trigger"]["type"], t["overlap"]) for t in tasks} == {("backfill", "buffer_all")}
        expect(rows.locator(".badge.status-finished")).to_have_count(3)

        # The same range again: nothing runs twice.
        page.locator("#backfill").click()
        dialog.get_by_label("Start").fill(wall(slots[0]))
        dialog.get_by_label("End").fill(wall(slots[0] + timedelta(hours=3)))
        dialog.get_by_label("Overlap").select_option("skip")
        expect(dialog.locator("#backfill-overlap-hint")).to_contain_text("ends SKIPPED")
        dialog.get_by_role("button", name="Backfill").click()
        expect(page.locator("#notice")).to_contain_text("Backfill: queued 0 runs, 3 had run already.")
        expect(rows).to_have_count(3)
    finally:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def test_the_job_page_says_how_many_runs_are_in_flight(console, stack):
    console.create("busy-line", overlap="buffer_all")
    page = console.sign_in("admin")
    with runner_paused(stack):  # the test plays the runner: one task takes the seat, one waits
        first, second = (console.api("POST", "/jobs/busy-line/run", {})["id"] for _ in range(2))
        for task_id in (first, second):
            overlap.admit(store.get_job("busy-line"), store.get_task("busy-line", task_id))
        page.goto(f"{console.url}/#/jobs/busy-line")
        expect(page.locator("#in-flight")).to_have_text("1 running · 1 waiting")
        expect(page.locator(f'#history-body tr[data-task="{second}"]')).to_contain_text("waiting for a free seat")
        console.screenshot("console-job-in-flight.png")


def test_the_task_view_offers_pause_resume_and_stop_by_status_with_its_attempts(console, stack):
    console.create("careful-task", retry={"max_attempts": 3, "backoff_seconds": 60, "max_backoff_seconds": 600})
    page = console.sign_in("admin")
    with runner_paused(stack):  # the test plays the runner: each status is set through the store
        task_id = console.api("POST", "/jobs/careful-task/run", {})["id"]

        def start() -> Any:
            task = store.get_task("careful-task", task_id)
            assert store.start_task(task, datetime.now(UTC), store.get_job("careful-task")) is store.Outcome.DONE
            return task

        start()
        page.goto(f"{console.url}/#/jobs/careful-task/tasks/{task_id}")
        status = page.locator("#task-status")
        pause, resume, stop = page.locator("#pause"), page.locator("#resume"), page.locator("#stop")
        expect(status).to_contain_text("RUNNING")
        expect(page.locator("#task-attempt")).to_have_text("attempt 1 of 3")
        expect(pause).to_be_visible()
        expect(resume).to_be_hidden()
        expect(stop).to_be_visible()

        pause.click()
        expect(page.locator("#notice")).to_contain_text("Pause asked")
        expect(status).to_contain_text("pause asked by admin")
        expect(pause).to_be_disabled()

        # The runner reaches a checkpoint: PAUSED, keeping its progress.
        assert store.pause_task(store.get_task("careful-task", task_id), "admin")
        expect(status).to_contain_text("PAUSED")
        expect(pause).to_be_hidden()
        expect(resume).to_be_visible()
        expect(stop).to_be_visible()
        expect(page.locator("#task-message")).to_have_text("paused by admin")

        # Someone else resumes it while this page still shows it PAUSED: Resume is refused (409),
        # a notice says so and the page carries on.
        stale = console.api("GET", f"/jobs/careful-task/tasks/{task_id}")
        frozen = f"**/jobs/careful-task/tasks/{task_id}"
        page.route(frozen, lambda route: route.fulfill(json=stale))
        console.api("POST", f"/jobs/careful-task/tasks/{task_id}/resume")
        resume.click()
        expect(page.locator("#notice")).to_contain_text("Could not resume the task")
        expect(page.locator("#notice")).to_contain_text("only a PAUSED task can be resumed")
        page.unroute(frozen)
        expect(status).to_contain_text("QUEUED")
        expect(resume).to_be_hidden()
        expect(pause).to_be_hidden()
        expect(stop).to_be_visible()

        # It runs, fails with a retryable error and waits for its backoff: attempt 2 of 3.
        task = start()
        task.message = "step 1 (log.message): the service is throttling; retrying"
        retry_at = datetime.now(UTC) + timedelta(minutes=10)
        assert store.requeue_task(task, retry_at, next_attempt=True)
        expect(page.locator("#task-attempt")).to_have_text("attempt 2 of 3")
        expect(page.locator("#task-retry")).to_contain_text("retries at")
        expect(page.locator("#task-message")).to_contain_text("throttling")
        facts = page.locator("dl.facts")
        expect(facts).to_contain_text("Retries at")
        expect(facts).to_contain_text("2 of 3")
        console.screenshots("console-task-attempts")

        stop.click()
        expect(status).to_contain_text("INTERRUPTED")
        expect(stop).to_be_hidden()
        expect(page.locator("#task-retry")).to_have_count(0)


def test_at_phone_width_the_list_becomes_cards_without_overflow(browser, stack):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    try:
        console = Console(stack, context.new_page())
        page = console.sign_in("admin")
        expect(console.row("purge-recycle-bin")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        cell = console.row("purge-recycle-bin").locator("td.trigger")
        assert cell.evaluate("td => getComputedStyle(td, '::before').content") == '"Trigger"'
        console.screenshot("console-list-390.png")
    finally:
        context.close()


def test_cognito_sign_in_is_the_authorization_code_flow_with_pkce(browser, stack, monkeypatch):
    """The hosted UI and token endpoint are played by the test: it checks the PKCE pair and
    answers with a token of the local issuer (which the local API trusts)."""
    assert stack.api is not None
    domain = "https://jobdeck-test.auth.eu-west-1.amazoncognito.com"
    monkeypatch.setenv("JOBDECK_COGNITO_DOMAIN", domain)
    monkeypatch.setenv("JOBDECK_COGNITO_CLIENT_ID", "console-client")
    app = f"{stack.api.url}/"
    seen: dict[str, Any] = {}

    def hosted_ui(route: Route) -> None:
        url = urlsplit(route.request.url)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/oauth2/authorize":
            seen["authorize"] = query
            back = f"{app}?code=the-code&state={query['state']}"
            route.fulfill(status=302, headers={"Location": back})
        elif url.path == "/oauth2/token":
            form = {k: v[0] for k, v in parse_qs(route.request.post_data or "").items()}
            seen["token"] = form
            digest = hashlib.sha256(form["code_verifier"].encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            ok = challenge == seen["authorize"]["code_challenge"] and form["code"] == "the-code"
            body = {"access_token": stack.api.tokens.mint("admin"), "token_type": "Bearer", "expires_in": 3600}
            route.fulfill(
                status=200 if ok else 400,
                content_type="application/json",
                headers={"Access-Control-Allow-Origin": "*"},
                body=json.dumps(body if ok else {"error": "invalid_grant"}),
            )
        else:
            route.abort()

    context = browser.new_context()
    try:
        context.route(f"{domain}/**", hosted_ui)
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


def test_unknown_console_files_are_404(stack):
    assert stack.api is not None
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{stack.api.url}/console/nope.js", timeout=5)
    assert refused.value.code == 404
