"""schemathesis against the OpenAPI document the API serves, through the local HTTP front (real
HTTP, real tokens): whatever it generates, no 5xx, and every answer matches what the document says.

A cursor is a string to the document, and random strings are rarely valid base64 of JSON, so the
generated requests never reached the cursor checks: the listings' own cursors, taken from real
answers and altered (a key dropped, added or retyped, a value changed, another listing's cursor),
do. An altered cursor that is still one of the listing's own shape reads a page; any other is a
422 naming query.cursor."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.errors import InvalidSchema
from schemathesis.core.result import Err, Result
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jobdeck import jobs, system_jobs, tasks
from jobdeck.api.app import app
from jobdeck_local.http_front import HttpFront
from tests.support import make_job

pytestmark = pytest.mark.slow

# schemathesis' own pytest plugin does not run on this pytest; its Python API does. The document is
# the one the app serves (test_api.py checks that /openapi.json serves exactly this).
SCHEMA = schemathesis.openapi.from_dict(json.loads(app.get_openapi_json_schema()))


def _operation(result: Result[schemathesis.APIOperation, InvalidSchema]) -> schemathesis.APIOperation:
    """The operation, or what schemathesis found wrong with it raised (an Err has no ok())."""
    if isinstance(result, Err):
        raise result.err()
    return result.ok()


OPERATIONS = {op.label: op for op in map(_operation, SCHEMA.get_all_operations())}
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


# Each listing that takes a cursor: its operation, path and query, and where its cursor names the
# partition the listing reads (values there must stay as they are).
LISTINGS: dict[str, tuple[str, dict[str, str], dict[str, str], list[tuple[str, ...]]]] = {
    "jobs": ("GET /jobs", {}, {}, []),
    "jobs of an owner": ("GET /jobs", {}, {"owner": "admin"}, [("owner", "S")]),
    "a job's history": ("GET /jobs/{job_id}/tasks", {"job_id": "nightly"}, {}, [("job_id", "S")]),
    "the audit trail": ("GET /audit", {}, {}, [("month",), ("key", "month", "S")]),
    "a job's audit trail": ("GET /audit", {}, {"job_id": "nightly"}, [("job_id", "S")]),
}
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
TYPES = ["S", "N", "B", "BOOL", "NULL", "M", "L"]
ATTRIBUTE_VALUE = st.dictionaries(st.sampled_from(TYPES), JSON, min_size=1, max_size=2)
KEY_TEXT = st.text(min_size=1, max_size=40) | st.sampled_from(["", "x" * 1025, "other", "alice", "2026-01"])


@pytest.fixture
def paged(front) -> dict[str, Any]:
    """The cursor of each listing's first page of one item, as the API made it (decoded)."""
    jobs.create(make_job("weekly", "0 3 * * 1"))
    for _ in range(3):
        tasks.run_now("nightly")
    headers = {"Authorization": f"Bearer {front.tokens.mint('admin')}"}
    made = {}
    for name, (label, path, query, _) in LISTINGS.items():
        case = OPERATIONS[label].Case(path_parameters=path, query={**query, "limit": 1})
        made[name] = _decoded(case.call(base_url=front.url, headers=headers).json()["cursor"])
    return made


def _decoded(cursor: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def _encoded(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _paths(value: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every path to a member of the nested objects of `value`."""
    if not isinstance(value, dict):
        return []
    return [path for key, inner in value.items() for path in [(*prefix, key), *_paths(inner, (*prefix, key))]]


def _at(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def _replaced(value: Any, path: tuple[str, ...], new: Any) -> Any:
    """A copy of `value` with the member at `path` replaced, added, or removed (`new` is _DROP)."""
    copy = json.loads(json.dumps(value))
    holder = _at(copy, path[:-1])
    if new is _DROP:
        del holder[path[-1]]
    else:
        holder[path[-1]] = new
    return copy


_DROP = object()


@st.composite
def altered(draw: st.DrawFn, made: dict[str, Any], target: str) -> Any:
    """The target listing's cursor (or, one time in three, another's), altered in one place or not."""
    source = draw(st.sampled_from([target, target, *sorted(made)]))
    value = made[source]
    paths = _paths(value)
    change = draw(st.sampled_from(["none", "whole", "drop", "add", "retype", "revalue"]))
    if change == "whole":
        return draw(JSON)
    if change == "drop":
        return _replaced(value, draw(st.sampled_from(paths)), _DROP)
    if change == "add":
        holder = draw(st.sampled_from([(), *[p for p in paths if isinstance(_at(value, p), dict)]]))
        name = draw(st.sampled_from(["id", "job_id", "owner", "month", "key"]) | st.text(max_size=8))
        return _replaced(value, (*holder, name), draw(ATTRIBUTE_VALUE | JSON))
    if change == "retype":
        return _replaced(value, draw(st.sampled_from(paths)), draw(ATTRIBUTE_VALUE | JSON))
    if change == "revalue":
        strings = [p for p in paths if isinstance(_at(value, p), str)]
        return _replaced(value, draw(st.sampled_from(strings)), draw(KEY_TEXT))
    return value


def _still_its_own(value: Any, own: Any, partition: list[tuple[str, ...]]) -> bool:
    """Whether `value` is a cursor of the same listing as `own`: the same members, the same types,
    non-empty key strings DynamoDB takes, and the same partition."""

    def shape(v: Any) -> Any:
        return {k: shape(i) for k, i in v.items()} if isinstance(v, dict) else type(v).__name__

    def keys_ok(v: Any) -> bool:
        if isinstance(v, dict):
            return all(keys_ok(i) for i in v.values())
        if v is None or not isinstance(v, str):
            return v is None
        try:
            return 0 < len(v.encode()) <= 1024
        except UnicodeEncodeError:  # a lone surrogate
            return False

    return shape(value) == shape(own) and keys_ok(value) and all(_at(value, p) == _at(own, p) for p in partition)


def test_an_altered_cursor_reads_a_page_or_is_a_422_naming_the_cursor(front, paged):
    headers = {"Authorization": f"Bearer {front.tokens.mint('admin')}"}

    @given(data=st.data(), limit=st.integers(1, 3))
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def call(data: st.DataObject, limit: int) -> None:
        target = data.draw(st.sampled_from(sorted(LISTINGS)))
        label, path, query, partition = LISTINGS[target]
        value = data.draw(altered(paged, target))
        case = OPERATIONS[label].Case(path_parameters=path, query={**query, "limit": limit, "cursor": _encoded(value)})
        response = case.call_and_validate(base_url=front.url, headers=headers, checks=CHECKS)
        if _still_its_own(value, paged[target], partition):
            assert response.status_code == 200, (target, value, response.text)
        else:
            assert response.status_code == 422, (target, value, response.text)
            assert [e["field"] for e in response.json()["errors"]] == ["query.cursor"], (target, value, response.text)

    call()
