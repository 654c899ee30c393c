"""The web console in a real browser (Debian's Chromium, driven by Playwright) against the local
stack: its API, dev token issuer and queue pollers, so the tasks a click queues really run. This
module: the jobs list, a job's page and a task's; the form is in test_console_form.py, signing in
and staying signed in in test_console_session.py, the audit trail in test_console_audit.py.

Screenshots of the list, a job page and the list at phone width go to test-artifacts/; so do the
backfill dialog and a task on its second attempt, each at desktop and at phone width (`-390`).
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from jobdeck import jobs, overlap, store
from jobdeck.domain import JobKind
from tests.browser import runner_paused
from tests.console_tab import WAIT_MS, Console
from tests.support import make_job

pytestmark = pytest.mark.slow

COLUMNS = ["Label", "Owner", "Trigger", "Last Execution", "Status"]


def test_the_list_shows_the_system_jobs_with_the_five_columns(console):
    console.create("weekly-report", label="Weekly report", schedule={"expression": "0 7 * * MON"})
    console.create("tidy-tmp", label="Tidy tmp", enabled=False, schedule={"expression": "rate(1 hour)"})
    console.run("weekly-report")
    page = console.sign_in("admin")
    headers = page.locator("#jobs thead th[data-key]")
    # Each with its sort mark, ▲ on the column sorted by (once the list has rendered).
    expect(headers).to_have_text([re.compile(rf"^{re.escape(column)}[▲▼]?$") for column in COLUMNS])
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
    console.screenshot("console-jobs.png")
    console.document("console-jobs.png")


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
    console.document("console-job-paused.png")
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
        console.screenshots("console-backfill", full_page=False, document=True)  # the dialog over the job page
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
            task, job = store.get_task("careful-task", task_id), store.get_job("careful-task")
            assert task is not None and job is not None
            assert store.start_task(task, datetime.now(UTC), job) is store.Outcome.DONE
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
        console.screenshots("console-task-attempts", document=True)

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
        console.screenshot("console-jobs-390.png")
        console.document("console-jobs-390.png")
    finally:
        context.close()


def test_unknown_console_files_are_404(stack):
    assert stack.api is not None
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{stack.api.url}/console/nope.js", timeout=5)
    assert refused.value.code == 404
