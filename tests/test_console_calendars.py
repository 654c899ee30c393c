"""The console's calendars, timeline and slots in a real browser against the local stack (see
test_console.py): the calendar editor and its month view, the timeline's day and week with the
busiest minutes, Skip and Undo on a job's next runs, skipped slots in its history, and the
schedule part's calendars, bounds and busiest-minute warning.

Screenshots go to test-artifacts/, at desktop and phone width (`-390`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from jobdeck import jobs
from jobdeck.domain import ScheduleSpec
from jobdeck.tick import tick
from tests.support import make_job

pytestmark = pytest.mark.slow


def _this_month(day: int) -> str:
    today = datetime.now(UTC)
    return f"{today.year}-{today.month:02}-{day:02}"


def test_the_calendar_editor_and_its_month_view(console):
    page = console.sign_in("admin")
    page.locator("#nav-calendars").click()
    expect(page.locator("h1")).to_have_text("Calendars")
    page.locator("#new-calendar").click()
    page.get_by_label("Name").fill("team-holidays")
    page.get_by_label("Time zone").fill("Europe/Paris")
    page.get_by_label("Description").fill("No reports on these days")
    rows = page.locator("#rules li.rule-row")
    rows.nth(0).get_by_label("Kind").select_option("yearly")
    rows.nth(0).get_by_label("Values").fill(f"{_this_month(15)[5:]}, 02-30")  # the 30th of February: refused
    page.locator("#add-rule").click()
    rows.nth(1).get_by_label("Kind").select_option("weekdays")
    rows.nth(1).get_by_label("Values").fill("SAT, SUN")
    page.locator("#add-rule").click()
    rows.nth(2).get_by_label("Kind").select_option("hours")
    rows.nth(2).get_by_label("Values").fill("02:00-04:00")
    page.locator("#save-calendar").click()

    expect(rows.nth(0).locator(".field-error")).to_contain_text("'02-30' is not a day of the year")
    expect(rows.nth(1).locator(".field-error")).to_have_text("")
    console.screenshots("console-calendar-form")
    rows.nth(0).get_by_label("Values").fill(_this_month(15)[5:])
    page.locator("#save-calendar").click()

    expect(page.locator("h1")).to_contain_text("team-holidays")
    month = page.locator("#month")
    expect(month.locator(f'[data-date="{_this_month(15)}"]')).to_have_class("day covered")
    saturdays = month.locator(".day.covered")
    expect(saturdays.first).to_be_visible()
    partly = month.locator(".day.partly").first
    expect(partly.locator(".windows")).to_have_text("02:00\u201304:00")  # an en dash between
    console.screenshots("console-calendar-month", document=True)
    page.locator("#month-after").click()
    expect(page.locator("#month-title")).not_to_have_text(datetime.now(UTC).strftime("%B"))

    # The list shows this month of each calendar, small
    page.locator("#nav-calendars").click()
    card = page.locator('#calendar-list li[data-calendar="team-holidays"]')
    expect(card.locator(f'.month.mini [data-date="{_this_month(15)}"]')).to_have_class("day covered")
    console.screenshots("console-calendars")
    console.document("console-calendars.png")

    # alice reads calendars, but has no Edit or Delete
    page.locator("#sign-out").click()
    page.get_by_role("button", name="Sign in as alice").click()
    page.goto(f"{console.url}/#/calendars/team-holidays")
    expect(page.locator("#month .day").first).to_be_visible()
    expect(page.locator("#edit-calendar")).to_have_count(0)


def test_the_timeline_marks_the_busiest_minutes(console):
    for n in range(3):
        console.create(f"nightly-{n}", schedule={"expression": "0 3 * * *"})
    console.create("half-hourly", schedule={"expression": "*/30 * * * *"})
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    page = console.sign_in("admin")
    page.locator("#nav-timeline").click()
    page.goto(f"{console.url}/#/timeline?view=day&date={tomorrow}")
    # 03:00 (the browser reads UTC here): the three nightly jobs, the half-hourly and system jobs
    busiest = console.api("GET", f"/timeline?from={tomorrow}T00:00:00Z&to={tomorrow}T23:59:59Z")["busiest"][0]
    assert busiest["minute"] == f"{tomorrow}T03:00:00Z" and busiest["count"] >= 4
    expect(page.locator("#busiest li").first).to_contain_text(f"{busiest['count']} runs")
    hour = page.locator('#day-hours li[data-hour="3"]')
    for n in range(3):
        expect(hour.locator(f'.run-chip.busiest[data-job="nightly-{n}"]')).to_have_count(1)
    expect(page.locator('#day-hours li[data-hour="4"] .run-chip[data-job="half-hourly"]')).to_have_count(2)
    expect(page.locator('#day-hours li[data-hour="4"] .run-chip[data-job="nightly-0"]')).to_have_count(0)
    console.screenshots("console-timeline-day")
    console.document("console-timeline-day.png")
    page.locator("#timeline-switch").click()
    expect(page.locator("#week-grid td.busiest").first).to_be_visible()
    console.screenshots("console-timeline-week")
    console.document("console-timeline-week.png")


def test_skip_and_undo_from_the_job_page(console):
    console.create("hourly-report", schedule={"expression": "0 * * * *"})
    page = console.sign_in("admin")
    page.goto(f"{console.url}/#/jobs/hourly-report")
    runs = page.locator("#next-runs li:not(.skipped)")
    expect(runs).to_have_count(5)
    first = runs.first.get_attribute("data-slot")
    page.locator("#skip-0").click()
    expect(page.locator("#next-runs li.skipped")).to_have_count(1)
    expect(runs.first).not_to_have_attribute("data-slot", first)
    assert console.api("GET", "/jobs/hourly-report")["skipped_slots"] == [first]
    console.screenshots("console-job-skip")
    console.document("console-job-skip.png")
    page.locator("#next-runs li.skipped button").click()
    expect(page.locator("#next-runs li.skipped")).to_have_count(0)
    expect(runs.first).to_have_attribute("data-slot", first)
    actions = [e["action"] for e in console.api("GET", "/audit?job_id=hourly-report")["items"]]
    assert actions[:2] == ["slot.unskip", "slot.skip"]

    # Move the second run half an hour later (the dialog's first offer)
    second = runs.nth(1).get_attribute("data-slot")
    page.locator("#move-1").click()
    page.locator("#move-ok").click()
    moved = page.locator(f'#next-runs li[data-slot="{second}"]')
    expect(moved).to_contain_text("moved to")
    # in the schedule's zone and format, as the rows around it (UTC here), not the browser's
    later = datetime.fromisoformat(second.replace("Z", "+00:00")) + timedelta(minutes=30)
    expect(moved).to_contain_text(f"moved to {later:%a, %b} {later.day}, {later:%Y, %H:%M} (UTC)")
    # its task, queued for half an hour on, is not shown as started when it was made
    queued = page.locator(f'tr[data-task="{console.api("GET", "/jobs/hourly-report/tasks")["items"][0]["id"]}"]')
    expect(queued.locator('td[data-label="Started"]')).to_contain_text("in ")
    task = console.api("GET", "/audit?job_id=hourly-report")["items"][0]
    assert task["action"] == "slot.move" and task["detail"]["slot"].startswith(second[:19])
    console.screenshots("console-job-move")


def test_skipped_slots_are_in_the_history_with_their_reason(console):
    console.api(
        "POST",
        "/calendars",
        {"name": "never-weekdays", "mode": "exclude", "rules": [{"weekdays": ["MON-SUN"]}]},
    )
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    job = make_job("every-ten", "*/10 * * * *")
    job.schedule = ScheduleSpec("*/10 * * * *", calendars=["never-weekdays"])
    jobs.create(job, now=now - timedelta(minutes=55))
    moment = now - timedelta(minutes=55)
    while moment < now:  # the tick of each minute, up to now
        tick(now=moment)
        moment += timedelta(minutes=1)

    page = console.sign_in("admin")
    page.goto(f"{console.url}/#/jobs/every-ten")
    skipped = page.locator("#history-body tr.skipped-slot")
    expect(skipped.first).to_be_visible()
    reason = "Calendar never-weekdays: A calendar of the job left it out"  # SkipReason.CALENDAR's docstring
    expect(skipped.first.locator("td.message")).to_contain_text(reason)
    page.locator("#history-status").select_option("slots")
    expect(page.locator("#history-body tr[data-task]")).to_have_count(0)
    expect(skipped.first).to_be_visible()
    console.screenshots("console-history-skipped")
    console.document("console-history-skipped.png")


def test_the_schedule_part_sends_calendars_bounds_and_warns_of_a_busy_minute(console):
    console.api("POST", "/calendars", {"name": "workdays", "mode": "only", "rules": [{"weekdays": ["MON-FRI"]}]})
    for n in range(3):
        console.create(f"busy-{n}", schedule={"expression": "0 3 * * *"})
    page, _ = console.new_job("Crowded report", "report")
    page.get_by_label("Schedule").check()
    page.get_by_label("Expression").fill("0 3 * * *")
    page.locator("#f-calendar-workdays").check()
    page.get_by_label("Max runs").fill("10")
    page.get_by_label("Jitter (s)").fill("0")
    warning = page.locator("#busy-warning")
    expect(warning).to_contain_text("is among the busiest minutes")
    console.screenshots("console-form-schedule-bounds")
    console.document("console-form-schedule-bounds.png")
    page.locator("#use-quiet").click()
    expect(page.get_by_label("Expression")).not_to_have_value("0 3 * * *")
    expect(warning).to_have_count(0)
    page.get_by_label("Jitter (s)").fill("5000")
    page.get_by_role("button", name="Create job").click()
    expect(page.locator('[data-field="schedule.jitter_seconds"] .field-error')).to_contain_text("3600")
    page.get_by_label("Jitter (s)").fill("120")
    page.get_by_role("button", name="Create job").click()
    expect(page.locator("h1")).to_contain_text("Crowded report")
    job_id = page.evaluate("location.hash").split("/")[2]
    saved = console.api("GET", f"/jobs/{job_id}")["schedule"]
    assert (saved["calendars"], saved["max_runs"], saved["jitter_seconds"]) == (["workdays"], 10, 120)
    expect(page.locator("dd")).to_contain_text(["calendars workdays"])
