"""What the browser tests share: the local stack started in-process on free ports, and Debian's
Chromium driven by Playwright (never `playwright install`: it would download a browser of its own).

`make test` installs Chromium first (the `browser` target); where it is missing anyway, the tests
that need it are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from jobdeck_local.stack import LocalStack, free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def chromium() -> str:
    """The path of Debian's Chromium; else the test is skipped saying how to get it (failed in CI,
    where `make test` has installed it: a browser test must not pass there by not running)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        reason = "no chromium on PATH: `make browser` installs it (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@contextmanager
def local_stack(datasources: str = "") -> Iterator[LocalStack]:
    """The local stack with its API and queue pollers (no clock: tests drive what they need);
    stopping it gives the process its environment back. `datasources` (`name=bucket[/prefix],...`)
    are attached besides `default`."""
    options: dict[str, str] = {}
    saved = os.environ.get("JOBDECK_DATASOURCES")
    # The local stack's own option where it has one (issue 20's --datasource); else the variable
    # the functions read (jobdeck.config), which a stack that does not set it leaves as it is.
    if "datasources" in {f.name for f in fields(LocalStack)}:
        options["datasources"] = datasources
    elif datasources:
        os.environ["JOBDECK_DATASOURCES"] = datasources
    try:
        stack = LocalStack(port=free_port(), api_port=free_port(), run_clock=False, **options).start()  # type: ignore[arg-type]
        try:
            yield stack
        finally:
            stack.stop()
    finally:
        if saved is None:
            os.environ.pop("JOBDECK_DATASOURCES", None)
        else:
            os.environ["JOBDECK_DATASOURCES"] = saved


@contextmanager
def runner_paused(stack: LocalStack) -> Iterator[None]:
    """No queue poller runs meanwhile: what is queued stays QUEUED. The stream pollers stop with
    them (they share the stop event) and go on from where they were, as Lambda's mapping would."""
    stack.stop_event.set()
    for poller in stack.pollers:
        poller.join(timeout=5)
        poller.wait_idle(timeout=60)
    for stream in stack.streams:
        stream.join(timeout=5)
    try:
        yield
    finally:
        stack.stop_event.clear()
        stack.pollers[:] = [poller.fresh() for poller in stack.pollers]
        stack.streams[:] = [stream.fresh() for stream in stack.streams]
        for thread in [*stack.pollers, *stack.streams]:
            thread.start()


@contextmanager
def headless_chromium() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    path = chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
