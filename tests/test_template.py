"""template.yaml and the code agree: table keys and indexes, TTL, environment, handlers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from pynamodb.attributes import TTLAttribute

from jobdeck.store.models import (
    AuditModel,
    CalendarModel,
    JobModel,
    NodeModel,
    ShareModel,
    SkippedSlotModel,
    SubscriptionModel,
    TaskModel,
)
from jobdeck_local import template
from jobdeck_local.lambda_runtime import load_handler

TABLES = {
    "JobsTable": JobModel,
    "TasksTable": TaskModel,
    "AuditTable": AuditModel,
    "SubscriptionsTable": SubscriptionModel,
    "NodesTable": NodeModel,
    "SharesTable": ShareModel,
    "CalendarsTable": CalendarModel,
    "SkippedSlotsTable": SkippedSlotModel,
}


def _key_set(schema: list[dict]) -> set[tuple[str, str]]:
    return {(k["AttributeName"], k["KeyType"]) for k in schema}


@pytest.mark.parametrize("logical_id", sorted(TABLES))
def test_table_keys_indexes_and_ttl_match_the_model(logical_id):
    declared = template.resources("AWS::DynamoDB::Table")[logical_id]
    model = TABLES[logical_id]
    schema = model._get_schema()

    assert _key_set(declared["KeySchema"]) == _key_set(schema["key_schema"])
    assert {(d["AttributeName"], d["AttributeType"]) for d in declared["AttributeDefinitions"]} == {
        (d["AttributeName"], d["AttributeType"]) for d in schema["attribute_definitions"]
    }
    assert {
        (g["IndexName"], frozenset(_key_set(g["KeySchema"])), g["Projection"]["ProjectionType"])
        for g in declared.get("GlobalSecondaryIndexes", [])
    } == {
        (g["index_name"], frozenset(_key_set(g["key_schema"])), g["projection"]["ProjectionType"])
        for g in schema["global_secondary_indexes"]
    }
    ttl = [name for name, attr in model.get_attributes().items() if isinstance(attr, TTLAttribute)]
    assert ttl == (
        [declared["TimeToLiveSpecification"]["AttributeName"]] if "TimeToLiveSpecification" in declared else []
    )


def test_every_function_handler_loads_and_every_code_uri_exists():
    for function_id, props in template.resources("AWS::Serverless::Function").items():
        assert (template.ROOT / props["CodeUri"] / "app.py").is_file()
        assert callable(load_handler(function_id))


def test_environment_names_the_code_reads_are_set_by_the_template():
    doc = template.load()
    variables = set(doc["Globals"]["Function"]["Environment"]["Variables"])
    for props in template.resources("AWS::Serverless::Function").values():
        variables |= set(props.get("Environment", {}).get("Variables", {}))
    code = "\n".join(p.read_text() for p in Path(template.ROOT, "layers/jobdeck/jobdeck").rglob("*.py"))
    read = set(re.findall(r'(?:environ\.get|env)\("(JOBDECK_[A-Z_]+)"', code))
    optional = {"JOBDECK_RECYCLE_PREFIX"}  # has a default the template keeps
    assert read - optional and read - optional <= variables


def test_cfn_lint_passes():
    result = subprocess.run(
        [Path(sys.executable).parent / "cfn-lint", str(template.TEMPLATE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
