"""Security posture of template.yaml: checkov finds nothing that is neither fixed nor explained, and
no IAM statement grants a wildcard action on the data.

checkov lives in `.venv-checkov` (`make test` installs it: it brings a hundred packages that must not
meet the app's). Without it the checkov tests are skipped, saying so; under CI=true they fail, since
a security check must not pass there by not running. A check that does not apply is skipped in the
resource's `Metadata: checkov: skip:` with a comment saying why (docs/deploying.md, Security).
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from jobdeck_local import template

CHECKOV = template.ROOT / ".venv-checkov" / "bin" / "checkov"
# What checkov writes when a skip has no comment.
NO_COMMENT = "No comment provided"
# Services whose resources hold Jobdeck's data: a wildcard action on any of them is too wide.
DATA_SERVICES = {"dynamodb", "s3", "sqs", "sns", "kms"}


def _run_checkov() -> dict[str, Any]:
    if not CHECKOV.is_file():
        reason = "no .venv-checkov/bin/checkov: `make test` installs checkov (make .venv-checkov/.installed)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    result = subprocess.run(
        # --skip-download: no call to Prisma Cloud (severities and guidelines come only from there).
        [CHECKOV, "-f", template.TEMPLATE.name, "--framework", "cloudformation", "-o", "json", "--skip-download"],
        cwd=template.ROOT,
        env={**os.environ, "CHECKOV_PARALLELIZATION_TYPE": "none"},  # pytest-xdist has the cores already
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr[-3000:]  # 1: failed checks, reported below
    report = json.loads(result.stdout)
    if isinstance(report, list):  # one entry per framework when several ran
        [report] = [r for r in report if r.get("check_type") == "cloudformation"]
    assert "results" in report, f"checkov scanned nothing: {report}"
    return report


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """checkov's JSON report on template.yaml, made once per run: pytest-xdist's workers share it."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _run_checkov()
    shared = tmp_path_factory.getbasetemp().parent
    cached = shared / "checkov.json"
    with (shared / "checkov.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not cached.is_file():
            cached.write_text(json.dumps(_run_checkov()))
        return json.loads(cached.read_text())


@pytest.mark.slow
def test_checkov_scans_every_resource_of_the_template(report):
    summary = report["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] >= len(template.load()["Resources"])
    assert summary["passed"] > 0


@pytest.mark.slow
def test_checkov_finds_no_failed_check(report):
    failed = [
        f"{c['check_id']} ({c.get('severity') or 'no severity'}) {c['resource']}: {c['check_name']}"
        for c in report["results"]["failed_checks"]
    ]
    assert not failed, (
        "checkov failed these checks; fix the resource, or skip the check in its Metadata with a comment "
        "saying why (Metadata: checkov: skip: [{id: CKV_..., comment: ...}]):\n" + "\n".join(failed)
    )


@pytest.mark.slow
def test_every_skipped_check_says_why(report):
    skipped = report["results"]["skipped_checks"]
    unexplained = [
        f"{c['check_id']} {c['resource']}"
        for c in skipped
        if (c["check_result"].get("suppress_comment") or "").strip() in ("", NO_COMMENT)
    ]
    assert not unexplained, "skipped without a comment: " + ", ".join(unexplained)


def _policy_documents(kind: str, props: dict[str, Any]) -> list[Any]:
    """The inline policy documents of a function or an IAM resource; a SAM policy template or a managed
    policy is returned as it is written (a dict naming the template, or an ARN or name)."""
    if kind == "AWS::Serverless::Function":
        policies = props.get("Policies", [])
        return policies if isinstance(policies, list) else [policies]
    if kind == "AWS::IAM::Role":
        return [p["PolicyDocument"] for p in props.get("Policies", [])] + props.get("ManagedPolicyArns", [])
    if kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        return [props["PolicyDocument"]]
    return []


def _too_wide(document: Any) -> list[str]:
    """The grants of one policy that reach data with a wildcard action."""
    if isinstance(document, str):  # a managed policy
        return [document] if document.endswith("FullAccess") else []
    if not isinstance(document, dict) or "Statement" not in document:
        return []  # a SAM policy template: its actions are listed, never a wildcard
    statements = document["Statement"]
    wide = []
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement:
            wide.append(f"NotAction {statement['NotAction']}")
        actions = statement.get("Action", [])
        for action in actions if isinstance(actions, list) else [actions]:
            service, _, name = str(action).partition(":")
            if action == "*" or (service.lower() in DATA_SERVICES and "*" in name):
                wide.append(f"{action} on {statement.get('Resource')}")
    return wide


def _wildcard_grants(doc: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for logical_id, resource in doc["Resources"].items():
        for document in _policy_documents(resource["Type"], resource.get("Properties", {})):
            if wide := _too_wide(document):
                found.setdefault(logical_id, []).extend(wide)
    return found


def test_no_policy_grants_a_wildcard_action_on_the_data():
    doc = template.load()
    functions = template.resources("AWS::Serverless::Function")
    assert any(props.get("Policies") for props in functions.values()), "no function policy to look at"
    assert _wildcard_grants(doc) == {}


def test_the_wildcard_check_sees_a_wildcard():
    statement = {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:*"], "Resource": "arn:table"}
    doc = {
        "Resources": {
            "F": {"Type": "AWS::Serverless::Function", "Properties": {"Policies": [{"Statement": [statement]}]}},
            "G": {"Type": "AWS::Serverless::Function", "Properties": {"Policies": ["AmazonS3FullAccess"]}},
            "R": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "Policies": [{"PolicyDocument": {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}}]
                },
            },
            "D": {
                "Type": "AWS::S3::BucketPolicy",  # a Deny of s3:* (TLS only) is no grant
                "Properties": {"PolicyDocument": {"Statement": [{"Effect": "Deny", "Action": "s3:*"}]}},
            },
        }
    }
    assert _wildcard_grants(doc) == {
        "F": ["dynamodb:* on arn:table"],
        "G": ["AmazonS3FullAccess"],
        "R": ["* on *"],
    }


def test_checkov_is_not_in_the_app_virtualenv():
    # checkov pins packages of its own (boto3, pydantic...): it must stay out of .venv.
    site = Path(template.ROOT, ".venv", "lib")
    assert not list(site.glob("python3*/site-packages/checkov")), "checkov got into .venv: uninstall it there"
