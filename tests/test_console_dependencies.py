"""Jobs that follow jobs in the console, in a real browser against the local stack (see
test_console.py): the form's "After other jobs" saved as picked and a cycle refused beside it, a
job's upstream and downstream jobs on its page (a deleted or disabled upstream flagged there and in
the list), the upstream runs on the page of a task a dependency started, and the Dependencies
page's graph, its boxes and arrows counted against what the API says.

The module's stack is shared by its tests, which may run in any order (and, under xdist, on
another stack): each test makes jobs of its own ids and counts what the API says is there.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.slow


def _run(console, job_id: str) -> None:
    """Run Now through the API, back once FINISHED. Not Console.run: its runner_paused stops the
    stack's task-event stream poller with the queue pollers and restarts only the latter, and
    without task events no dependent ever starts."""
    console.api("POST", f"/jobs/{job_id}/run", {})
    console.wait_finished(job_id, 1)


def test_the_form_saves_after_and_a_cycle_is_refused_beside_the_field(console):
    console.create("extract-orders", label="Extract orders")
    console.create("extract-stock", label="Extract stock")
    page, _ = console.new_job("Publish report", "publish")
    page.locator("#f-id").fill("publish-report")
    details = page.locator("#after-details")
    expect(details).to_be_hidden()  # nothing followed: nothing to say how
    picker = page.locator("#f-after-jobs")
    picker.select_option("extract-stock")
    picker.select_option("extract-orders")
    chips = page.locator("#after-chips li")
    expect(chips).to_have_count(2)
    expect(chips.nth(0)).to_have_attribute("data-job", "extract-stock")  # in the order picked
    expect(picker.locator('option[value="extract-stock"]')).to_have_count(0)  # not offered twice
    page.get_by_label("Each must have").select_option("ENDED")
    window = page.get_by_label("All within (seconds)")
    window.fill("7200")
    expect(page.locator("#within-words")).to_have_text("2 h:")
    console.screenshot("console-form-after.png", part=page.locator("#after"))
    page.locator("#save").click()

    expect(page).to_have_url(re.compile(r"#/jobs/publish-report$"))  # saved: on its page
    saved = console.api("GET", "/jobs/publish-report")
    assert saved["after"] == {"jobs": ["extract-stock", "extract-orders"], "on": "ENDED", "within_seconds": 7200}

    # extract-orders after publish-report, which runs after extract-orders: a cycle
    page.goto(f"{console.url}/#/jobs/extract-orders/edit")
    picker.select_option("publish-report")
    page.locator("#save").click()
    error = page.locator('[data-field="after.jobs"] .field-error')
    expect(error).to_contain_text("a cycle: extract-orders → publish-report → extract-orders")
    expect(picker).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#form-error")).not_to_contain_text("cycle")  # placed, so not listed at the top
    console.screenshot("console-form-after-cycle.png", part=page.locator("#after"))
    assert console.api("GET", "/jobs/extract-orders")["after"] is None

    # Removing every chip sends `after: null`: no dependency any more
    page.goto(f"{console.url}/#/jobs/publish-report/edit")
    expect(chips).to_have_count(2)
    page.get_by_role("button", name="Remove Extract stock").click()
    page.get_by_role("button", name="Remove Extract orders").click()
    expect(details).to_be_hidden()
    page.locator("#save").click()
    expect(page).to_have_url(re.compile(r"#/jobs/publish-report$"))
    assert console.api("GET", "/jobs/publish-report")["after"] is None


def test_the_job_page_lists_upstream_and_downstream_and_flags_an_upstream_off(console):
    console.create("load-a", label="Load A")
    console.create("load-b", label="Load B")
    console.create("merge-ab", label="Merge A and B", after={"jobs": ["load-a", "load-b"], "within_seconds": 3600})
    console.create("notify-merged", label="Notify merged", after={"jobs": ["merge-ab"]})
    page = console.sign_in("admin")

    page.goto(f"{console.url}/#/jobs/merge-ab")
    card = page.locator("#dependencies")
    expect(card.locator("#upstream li")).to_have_count(2)
    expect(card.locator("#upstream")).to_contain_text("Load A")
    expect(card.locator('#upstream li[data-job="load-b"] a')).to_have_attribute("href", "#/jobs/load-b")
    expect(card).to_contain_text("Once each of these has finished, all within 1 h:")
    expect(card.locator("#downstream li")).to_have_count(1)
    expect(card.locator('#downstream li[data-job="notify-merged"] a')).to_have_attribute("href", "#/jobs/notify-merged")

    page.goto(f"{console.url}/#/jobs/load-a")
    expect(page.locator("#dependencies #downstream li")).to_have_count(1)
    expect(page.locator("#dependencies #downstream")).to_contain_text("Merge A and B")
    expect(page.locator("#dependencies #downstream")).to_contain_text("with load-b")

    # A and B run: merge-ab runs after them, and its task names their runs
    _run(console, "load-a")
    _run(console, "load-b")
    console.wait_finished("merge-ab", 1)
    [merged] = console.api("GET", "/jobs/merge-ab/tasks")["items"]
    assert merged["trigger"]["type"] == "after"
    runs = {u["job_id"]: u["task_id"] for u in merged["trigger"]["detail"]["event"]["upstream"]}
    page.goto(f"{console.url}/#/jobs/merge-ab/tasks/{merged['id']}")
    listed = page.locator("#upstream-runs li")
    expect(listed).to_have_count(2)
    for job_id, task_id in runs.items():
        link = page.locator(f'#upstream-runs li[data-job="{job_id}"] a.upstream-task')
        expect(link).to_have_attribute("href", f"#/jobs/{job_id}/tasks/{task_id}")
    expect(page.locator('#upstream-runs li[data-job="load-a"] .badge')).to_have_text("FINISHED")
    console.screenshot("console-task-after.png")

    # B disabled: merge-ab will not run after it; its page and the list say so
    console.api("POST", "/jobs/disable", {"ids": ["load-b"]})
    assert console.api("GET", "/jobs/merge-ab")["upstream_problems"] == ["load-b: disabled"]
    page.goto(f"{console.url}/#/jobs/merge-ab")
    expect(card.locator('#upstream li[data-job="load-b"] .upstream-problem')).to_have_text("disabled")
    expect(card.locator('#upstream li[data-job="load-a"] .upstream-problem')).to_have_count(0)
    expect(page.locator("h1 .upstream-problem")).to_contain_text("upstream disabled")
    page.mouse.move(0, 0)
    console.screenshots("console-job-dependencies", document=True)
    page.goto(f"{console.url}/#/")
    badge = console.row("merge-ab").locator(".upstream-problem")
    expect(badge).to_contain_text("upstream disabled")
    expect(badge).to_have_attribute("title", re.compile("load-b: disabled"))
    expect(console.row("load-a").locator(".upstream-problem")).to_have_count(0)


def _expected_graph(console) -> tuple[set[str], set[tuple[str, str]]]:
    """The boxes and arrows the API's jobs make: each job with `after` and each job it names."""
    jobs = console.api("GET", "/jobs?limit=200")["items"]
    edges = {(up, j["id"]) for j in jobs if j["after"] for up in j["after"]["jobs"]}
    return {n for edge in edges for n in edge}, edges


def test_the_dependencies_page_draws_every_job_that_follows_and_is_followed(console):
    console.create("g-extract", label="Extract")
    console.create("g-clean", label="Clean", after={"jobs": ["g-extract"]})
    console.create("g-gone", label="Gone soon")
    console.create("g-stats", label="Statistics", after={"jobs": ["g-clean", "g-gone"], "on": "ENDED"})
    console.create("g-alert", label="Alert on failure", after={"jobs": ["g-extract"], "on": "ERROR"})
    console.create("g-report", label="Weekly report", after={"jobs": ["g-stats", "g-extract"]})
    console.api("DELETE", "/jobs/g-gone")
    console.api("POST", "/jobs/disable", {"ids": ["g-alert"]})
    _run(console, "g-extract")
    nodes, edges = _expected_graph(console)

    page = console.sign_in("admin")
    page.locator("#nav-dependencies").click()
    expect(page.locator("h1")).to_have_text("Dependencies")
    graph = page.locator("svg#dependency-graph")
    expect(graph.locator("g.node")).to_have_count(len(nodes))
    expect(graph.locator("path.edge")).to_have_count(len(edges))
    drawn = {(e.get_attribute("data-from"), e.get_attribute("data-to")) for e in graph.locator("path.edge").all()}
    assert drawn == edges
    assert {n.get_attribute("data-job") for n in graph.locator("g.node").all()} == nodes

    node = lambda job_id: graph.locator(f'g.node[data-job="{job_id}"]')  # noqa: E731
    expect(node("g-gone")).to_have_class(re.compile(r"\bdeleted\b"))  # still drawn, dashed
    expect(node("g-gone").locator("a")).to_have_count(0)  # no page to open
    expect(node("g-alert")).to_have_class(re.compile(r"\bdisabled\b"))
    expect(node("g-extract")).to_have_class(re.compile(r"\bstatus-finished\b"))
    # g-stats waits for g-gone, which will never run again (g-clean may have run after g-extract)
    expect(node("g-stats")).to_have_class(re.compile(r"\bnever-run\b"))
    expect(node("g-stats")).to_have_class(re.compile(r"\bhas-problem\b"))
    expect(graph.locator('path.edge[data-from="g-extract"][data-to="g-alert"]')).to_have_class(re.compile("on-error"))

    # Layers by depth: upstream left of what follows it; a job after two goes right of the deeper one
    x = {n: _x(node(n)) for n in ("g-extract", "g-clean", "g-stats", "g-report", "g-gone")}
    assert x["g-extract"] < x["g-clean"] < x["g-stats"] < x["g-report"]
    assert x["g-gone"] < x["g-stats"]

    node("g-clean").locator("a").click()
    expect(page.locator("h1")).to_contain_text("Clean")
    page.go_back()
    expect(graph.locator("g.node")).to_have_count(len(nodes))
    page.mouse.move(0, 0)
    console.screenshots("console-dependencies", document=True)


def _x(locator) -> float:
    found = re.match(r"translate\(([\d.]+)", locator.get_attribute("transform") or "")
    assert found is not None, "a node without its translate()"
    return float(found.group(1))


def test_the_dependencies_page_says_when_no_job_follows_another(console):
    # The stack is shared: other tests' jobs with `after` are taken out of the answer the page reads
    def without_after(route):
        answer = route.fetch()
        body = answer.json()
        for job in body["items"]:
            job["after"] = None
        route.fulfill(response=answer, body=json.dumps(body))

    page = console.sign_in("admin")
    page.route(re.compile(r"/jobs\?limit="), without_after)
    page.goto(f"{console.url}/#/dependencies")
    expect(page.locator("#graph-empty")).to_contain_text("No job runs after another yet.")
    expect(page.locator("svg#dependency-graph")).to_have_count(0)
    console.screenshot("console-dependencies-empty.png")
