"""The web console's audit trail in a real browser against the local stack (see test_console.py):
who changed what and when, with the job's versions, filtered by job; admins only.

Screenshots of the trail of one job go to test-artifacts/, at desktop and at phone width (`-390`).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.slow


def test_the_audit_trail_says_who_changed_what_filtered_by_job(console):
    console.create("audited-job", label="Audited job")
    console.api("POST", "/jobs/audited-job/disable")
    console.api("POST", "/jobs/audited-job/enable")
    task = console.api("POST", "/jobs/audited-job/run", {})
    console.create("other-audited", label="Other audited")

    # From the job's page, its own trail: newest first, who, what, the versions before and after.
    page = console.sign_in("admin")
    page.goto(f"{console.url}/#/jobs/audited-job")
    page.locator("#job-audit").click()
    expect(page).to_have_url(re.compile(r"#/audit\?job=audited-job$"))
    expect(page.locator("h1")).to_have_text("Audit trail")
    expect(page.locator("#audit-job-link")).to_have_text("Audited job")
    rows = page.locator("#audit-body tr[data-entry]")
    expect(rows).to_have_count(4)
    words = ["Run Now", "Enabled the job", "Disabled the job", "Created the job"]
    expect(rows.locator("td.what")).to_have_text([re.compile(f"^{w} job\\.") for w in words])  # and the action's name
    expect(rows.locator("td.versions")).to_have_text(["—", "2 → 3", "1 → 2", "new → 1"])
    expect(rows.locator("td.who")).to_have_text(["admin"] * 4)
    expect(rows.first.locator("td.detail")).to_contain_text(f"task {task['id']}")
    console.screenshots("console-audit", document=True)

    # The task it names is a link to its page.
    rows.first.locator("td.detail a").click()
    expect(page.locator("h1")).to_contain_text(task["id"])
    page.go_back()

    # Every job's changes: the other job's creation is there too; the box narrows the trail to one job.
    page.locator("#audit-all").click()
    expect(page).to_have_url(re.compile(r"#/audit$"))
    expect(page.locator("#audit-body")).to_contain_text("other-audited")
    page.locator("#audit-job").fill("other-audited")
    page.locator("#audit-show").click()
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td.what")).to_contain_text("Created the job")
    expect(rows.first.locator("td.versions")).to_have_text("new → 1")

    # Someone who is not an admin has no Audit link, and is told the trail is the admins'.
    page.locator("#sign-out").click()
    page.get_by_role("button", name="Sign in as alice").click()
    expect(page.locator("#whoami-name")).to_contain_text("alice")
    expect(page.locator("#nav-audit")).to_be_hidden()
    expect(page.locator("h1")).to_have_text("Only admins read the audit trail")


def test_the_audit_trail_pages_with_older(console):
    console.create("busy-audit", label="Busy audit")
    for _ in range(25):  # 50 more entries: 51 in all, one more than a page
        console.api("POST", "/jobs/busy-audit/disable")
        console.api("POST", "/jobs/busy-audit/enable")
    page = console.sign_in("admin")
    page.locator("#nav-audit").click()
    expect(page.locator("h1")).to_have_text("Audit trail")
    page.goto(f"{console.url}/#/audit?job=busy-audit")
    expect(page.locator("#audit-job-link")).to_have_text("Busy audit")  # the trail of every job is gone
    rows = page.locator("#audit-body tr[data-entry]")
    expect(rows).to_have_count(50)
    page.get_by_role("button", name="Older").click()
    expect(rows).to_have_count(51)
    expect(page.get_by_role("button", name="Older")).to_be_hidden()
    expect(rows.last.locator("td.what")).to_contain_text("Created the job")
    ids = rows.evaluate_all("rows => rows.map(r => r.dataset.entry)")
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 51  # newest first, each once
