"""The curl examples of the API page (docs/api.md), run as written against the local stack."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobdeck_local.stack import LocalStack, free_port

pytestmark = pytest.mark.slow
API_PAGE = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def _curl_block() -> str:
    text = API_PAGE.read_text()
    match = re.search(r"<!-- curl-examples.*?-->\s*```sh\n(.*?)```", text, re.DOTALL)
    assert match, "the API page lost its curl examples block"
    return match.group(1).replace("http://127.0.0.1:8000", "$LOCAL_API")


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    running = LocalStack(port=free_port(), api_port=free_port(), run_clock=False).start()
    try:
        yield running
    finally:
        running.stop()  # also gives the process its environment back


def test_the_api_page_curl_examples_work_against_the_local_stack(stack):
    assert stack.api is not None
    env = {**os.environ, "LOCAL_API": stack.api.url, "JOBDECK_ADMIN_TOKEN": stack.api.tokens.mint("admin")}
    script = "set -e\n" + _curl_block().replace("curl -sf", 'curl -sf -w "\\n"')
    result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr + result.stdout
    replies = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    listed, created, preview, run, backfilled, history, disabled, enabled, cleared, trail, *slots_and_more = replies
    calendar, covered, slots, timeline = slots_and_more
    assert {"purge-recycle-bin", "prune-task-history"} <= {j["id"] for j in listed["items"]}
    assert created["id"] == "tidy-tmp" and created["kind"] == "custom"
    assert len(preview["next"]) == 5
    assert run["status"] == "QUEUED"
    nights = [t["scheduled_for"][:16] for t in backfilled["queued"]]
    assert nights == ["2026-11-01T02:00", "2026-11-02T02:00", "2026-11-03T02:00"]  # 03:00 in Paris
    assert history["items"][0]["id"] == run["id"]  # backfilled tasks sort by their slot, older
    assert disabled["enabled"] is False and enabled["results"] == [{"id": "tidy-tmp", "outcome": "enabled"}]
    assert "deleted" in cleared
    assert {e["action"] for e in trail["items"]} >= {
        "job.create",
        "job.run",
        "job.backfill",
        "job.disable",
        "job.enable",
    }
    assert calendar["name"] == "holidays-fr" and calendar["version"] == 1
    assert [(d["date"], d["all_day"]) for d in covered["days"]] == [("2026-12-25", True)]
    assert [s["state"] for s in slots["items"]] == ["upcoming"]  # the night to come; it was made today
    assert "tidy-tmp" in {r["job_id"] for r in timeline["runs"]}  # its night, within the day ahead
    assert sum(m["count"] for m in timeline["per_minute"]) == len(timeline["runs"])
