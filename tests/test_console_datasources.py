"""The console's datasources in a real browser against the local stack (see test_console.py): the
Datasources page before and after a sync started from it, the form's datasource pickers (a step's
parameter, its input filter, an S3 event) saved as chosen, and an old job's datasource that the
stack no longer has: shown, flagged, and refused beside its field.

The stack has a second datasource, `archive`: the prefix archive/ of the stack's own bucket, which
the functions' roles already reach (a bucket of its own needs the template's Datasources grants).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import boto3
import pytest
from playwright.sync_api import Browser, expect

from jobdeck import store
from jobdeck.domain import ActionStep, NodeFilter
from jobdeck_local.stack import LocalStack
from tests.browser import local_stack
from tests.support import make_job

pytestmark = pytest.mark.slow

BUCKET = "jobdeck-datasourcebucket"  # the stack's own (jobdeck_local.provision's physical name)


@pytest.fixture(scope="module")
def stack(browser: Browser) -> Iterator[LocalStack]:
    with local_stack(datasources=f"archive={BUCKET}/archive/") as running:
        yield running


def _upload(*keys: str) -> None:
    s3 = boto3.client("s3")
    for key in keys:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x" * 10)


def test_the_datasources_page_syncs_one_and_shows_what_it_found(console):
    # Uploads are left to the syncs: indexed on upload, they would be no sync's "created"
    console.api("POST", "/jobs/disable", {"ids": ["index-new-uploads"]})
    page = console.sign_in("admin")
    page.locator("#nav-datasources").click()
    expect(page.locator("h1")).to_have_text("Datasources")
    archive = page.locator('tr[data-datasource="archive"]')
    default = page.locator('tr[data-datasource="default"]')
    expect(archive.locator("td.location")).to_have_text(f"s3://{BUCKET}/archive/")
    expect(default.locator("td.location")).to_have_text(f"s3://{BUCKET}/")
    expect(archive.locator("td.last-sync")).to_have_text("never synced")
    expect(archive.locator("a.sync-job")).to_have_attribute("href", "#/jobs/sync-datasource-archive")

    _upload("archive/2024/a.txt", "archive/2024/b.txt", "archive/c.txt", "inbox/d.txt")
    archive.get_by_role("button", name="Sync now").click()
    started = archive.locator(".sync-started")
    expect(started.locator(".badge")).to_have_text("FINISHED")
    task_id = console.api("GET", "/jobs/sync-datasource-archive/tasks")["items"][0]["id"]
    expect(started.locator("a")).to_have_attribute("href", f"#/jobs/sync-datasource-archive/tasks/{task_id}")
    expect(archive.locator("td.indexed")).to_have_text("3")
    for word, shown in (("created", "+3"), ("changed", "~0"), ("deleted", "\u22120")):
        expect(archive.locator(f'[data-count="{word}"]')).to_have_text(f"{shown} {word}")
    expect(archive.locator("td.last-sync time")).to_have_attribute("title", re.compile(r"\d"))  # the date, on hover
    # The default datasource is the whole bucket: synced through its job's Run Now, it counts all four.
    console.run("sync-datasource")
    listed = {d["name"]: d for d in console.api("GET", "/datasources")["datasources"]}
    assert listed["default"]["objects_indexed"] == 4 and listed["archive"]["objects_indexed"] == 3
    expect(default.locator("td.indexed")).to_have_text("4")  # the page refreshes by itself
    page.mouse.move(0, 0)  # no link underlined by the pointer left over it
    console.screenshots("console-datasources", document=True)

    # alice sees the datasources, without Sync now: the sync jobs are the system's
    page.locator("#sign-out").click()
    page.get_by_role("button", name="Sign in as alice").click()
    page.goto(f"{console.url}/#/datasources")
    expect(archive.locator("td.indexed")).to_have_text("3")
    expect(page.get_by_role("button", name="Sync now")).to_have_count(0)


def test_the_form_saves_the_datasources_picked(console):
    page = console.sign_in("admin")
    page.goto(f"{console.url}/#/new")
    page.get_by_label("Label").fill("Archive inbox")
    page.locator("#f-id").fill("archive-inbox")
    page.locator("#f-action-0").select_option("nodes.list")
    step = page.locator("#steps li.step").first
    picker = step.get_by_label("datasource", exact=True)
    expect(picker.locator("option")).to_have_text(["default", "archive"])
    expect(picker).to_have_value("default")
    picker.select_option("archive")
    expect(step.locator(".datasource-field .hint")).to_contain_text(f"archive is s3://{BUCKET}/archive/")
    step.get_by_label("prefix").fill("2024/")
    step.locator("details.step-filter summary").click()
    only = step.get_by_label("In datasource")
    expect(only).to_have_value("")  # any
    only.select_option("archive")
    expect(step.locator(".filter-says")).to_have_text(" are in archive")
    page.locator("#add-event").click()
    event = page.locator("#events li.event-row").first
    event.get_by_label("Datasource").select_option("archive")
    event.get_by_label("Prefix").fill("2024/")
    console.screenshot("console-form-datasource-event.png", part=event)
    console.screenshots("console-form-datasource", part=step)
    console.document("console-form-datasource.png", part=step)
    page.locator("#save").click()

    expect(page.locator("h1")).to_contain_text("Archive inbox")
    saved = console.api("GET", "/jobs/archive-inbox")
    assert saved["actions"][0]["parameters"] == {"datasource": "archive", "prefix": "2024/"}
    assert saved["actions"][0]["filter"]["datasource"] == "archive"
    assert [(e["datasource"], e["filter"]["prefix"]) for e in saved["events"]] == [("archive", "2024/")]
    expect(page.locator("#main")).to_contain_text("s3 ObjectCreated in archive under 2024/")

    # Edited, the job keeps what it was saved with; a step that named none still names none
    page.goto(f"{console.url}/#/jobs/archive-inbox/edit")
    expect(page.locator("#steps li.step").first.get_by_label("datasource", exact=True)).to_have_value("archive")
    page.locator("#add-action").click()
    page.locator("#f-action-1").select_option("tree.delete")
    page.locator("#steps li.step").nth(1).get_by_label("prefix").fill("tmp/")
    page.locator("#save").click()
    expect(page.locator("h1")).to_contain_text("Archive inbox")
    steps = console.api("GET", "/jobs/archive-inbox")["actions"]
    assert steps[0]["parameters"]["datasource"] == "archive" and "datasource" not in steps[1]["parameters"]


def test_a_datasource_the_stack_no_longer_has_is_kept_and_refused_beside_its_field(console):
    # Saved when the stack had a datasource `gone` (written to the store: the API refuses it now);
    # the API names one problem at a time, step by step: the first step's parameter, then the
    # second step's filter
    steps = [
        ActionStep("nodes.list", {"prefix": "in/", "datasource": "gone"}),
        ActionStep("tree.delete", {"prefix": "in/"}, filter=NodeFilter(datasource="gone")),
    ]
    store.create_job(make_job("old-archive", None, actions=steps))
    page = console.sign_in("admin")
    page.goto(f"{console.url}/#/jobs/old-archive/edit")
    first, second = page.locator("#steps li.step").nth(0), page.locator("#steps li.step").nth(1)
    picker = first.get_by_label("datasource", exact=True)
    expect(picker).to_have_value("gone")  # not quietly `default`
    expect(picker).to_have_class(re.compile("unknown-choice"))
    expect(first.locator(".datasource-field .hint")).to_contain_text("gone is not a datasource of this stack")
    expect(second.get_by_label("In datasource")).to_have_value("gone")
    page.locator("#save").click()

    param_error = first.locator('[data-field="actions[0].parameters.datasource"] .field-error')
    expect(param_error).to_contain_text("no datasource 'gone'")
    expect(picker).to_have_attribute("aria-invalid", "true")
    expect(first.locator('[data-field="actions[0].parameters"] > .field-error')).to_have_text("")
    expect(page.locator("#form-error")).not_to_contain_text("gone")  # placed, so not listed at the top
    console.screenshots("console-form-datasource-refused", part=first)

    picker.select_option("archive")
    page.locator("#save").click()
    filter_error = second.locator('[data-field="actions[1].filter.datasource"] .field-error')
    expect(filter_error).to_contain_text("no datasource 'gone'")
    expect(filter_error).to_be_visible()  # the folded filter unfolds
    expect(param_error).to_have_text("")
    second.get_by_label("In datasource").select_option("")  # any
    page.locator("#save").click()
    expect(page.locator("h1")).to_contain_text("Old Archive")
    saved = console.api("GET", "/jobs/old-archive")["actions"]
    assert saved[0]["parameters"]["datasource"] == "archive"
    assert not (saved[1].get("filter") or {}).get("datasource")
