"""Every test talks to moto (in-process) with the tables, queues and bucket of template.yaml."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

# Before anything creates a client: no real credentials, no endpoint left over from a shell.
from jobdeck_local.offline import use_fake_aws

use_fake_aws("WARNING")

from jobdeck_local import moto_event_shapes  # noqa: E402
from jobdeck_local.moto_quirks import cheap_requests  # noqa: E402

# What moto's requests cost, as the local stack's moto (see moto_quirks): a transaction costs its
# items, not its tables; reading an item, finding it, not a walk of its shape; an expression is
# parsed once; a receive does not count the queue; a request does not list its handler's methods.
cheap_requests()
moto_event_shapes.install()  # S3's and custom events as AWS shapes them, as the local stack's moto

from jobdeck_local.iam import guard  # noqa: E402

# Every request a function's code makes is checked against that function's role, as in AWS (before
# any client exists: sessions made earlier would miss the hook); `make iam` reports what was seen.
guard.install()

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from jobdeck import clients, store  # noqa: E402
from jobdeck.config import Settings  # noqa: E402
from jobdeck_local.provision import Resources, provision  # noqa: E402
from tests.console_tab import browser, console, stack  # noqa: E402, F401 (the console's browser tests' fixtures)
from tests.harness import ledger  # noqa: E402, F401 (the fault tests' fixture)
from tests.moto_tables import db  # noqa: E402, F401 (the moto quirks' tests' fixture)
from tests.support import RunQueue  # noqa: E402


@pytest.fixture
def aws(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Resources]:
    """A fresh moto account holding the template's resources, and the runner's environment.
    `@pytest.mark.datasources("photos=photos-bucket,archive=archive-bucket/2024/")` attaches those
    datasources, as the Datasources parameter does: their buckets made, their events on, the
    functions given JOBDECK_DATASOURCES and the roles checked granting them."""
    marker = request.node.get_closest_marker("datasources")
    with mock_aws():
        clients.reset()
        store.reset()
        resources = provision(datasources=marker.args[0] if marker else "")
        for name, value in resources.environment("RunnerFunction").items():
            monkeypatch.setenv(name, value)
        yield resources
    clients.reset()
    store.reset()


@pytest.fixture
def settings(aws: Resources) -> Settings:
    return Settings.from_env()


@pytest.fixture
def bucket(settings: Settings) -> str:
    return settings.datasource_bucket


@pytest.fixture
def s3(aws: Resources) -> Any:
    return boto3.client("s3")


@pytest.fixture
def run_queue(aws: Resources) -> RunQueue:
    return RunQueue(aws.queues["RunQueue"])


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Each process's checked requests, for `make iam`'s report (only when JOBDECK_IAM_RECORDS is set)."""
    guard.dump_records(os.environ.get("PYTEST_XDIST_WORKER", "main"))
