"""The web console's job form in a real browser against the local stack (see test_console.py): what
it sends, what it shows of a job read, and the API's refusals beside their fields.

Screenshots of the form, its triggers, a step's filter, the on-failure branch and the execution
policy go to test-artifacts/, some at phone width too (`-390`).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.slow


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
    console.document("console-job.png")
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


NO_FILTER = dict.fromkeys(
    ["glob", "datasource", "min_size", "max_size", "older_than_days", "newer_than_days", "content_type"]
)


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
    console.document("console-form-step-filter.png", page.locator('fieldset[data-field="actions"]'))
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
    console.screenshots("console-form-policy", policy, document=True)
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
