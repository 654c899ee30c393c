"""schemathesis against the OpenAPI document the API serves, through the local HTTP front (real
HTTP, real tokens): whatever it generates, no 5xx, and every answer matches what the document says."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jobdeck import jobs, system_jobs
from jobdeck.api.app import app
from jobdeck_local.http_front import HttpFront
from tests.support import make_job

pytestmark = pytest.mark.slow

# schemathesis' own pytest plugin does not run on this pytest; its Python API does. The document is
# the one the app serves (test_api.py checks that /openapi.json serves exactly this).
SCHEMA = schemathesis.openapi.from_dict(json.loads(app.get_openapi_json_schema()))
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def front(aws) -> Iterator[HttpFront]:
    system_jobs.ensure()
    jobs.create(make_job("nightly", "30 2 * * *"))
    server = HttpFront(port=0).start()
    yield server
    server.stop()


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_server_error_and_every_answer_matches_the_document(front, label):
    headers = {"Authorization": f"Bearer {front.tokens.mint('admin')}"}

    @given(case=OPERATIONS[label].as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def call(case) -> None:
        case.call_and_validate(base_url=front.url, headers=headers, checks=CHECKS)

    call()
