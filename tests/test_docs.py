"""The docs (docs/*.md) and the README against the code: the names of the template a page uses exist
in template.yaml, the tables that list the template's parts list all of them, the actions page
lists the catalog, and the CLI page's examples parse. What `mkdocs build --strict` (make docs)
cannot see, since to it a name is only a word."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from aws_lambda_powertools.utilities.parser import models as powertools_models

from jobdeck.actions import registry
from jobdeck_local import template
from jobdeck_local.cli import parser as cli_parser
from jobdeck_local.iam import roles

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
CODE_DIRS = ["layers/jobdeck/jobdeck", "local", "functions", "bench"]

# A word shaped like a logical id of the template (JobsTable, TickFunction, RunDeadLetterAlarm...):
# CamelCase ending in the word for a kind of resource. Such a word must be the template's.
KINDS = ("Table", "Function", "Queue", "Alarm", "Rule", "Topic", "Bucket", "Layer", "Pool", "Group", "Client", "Api")
# A dotted Python name (`jobdeck.workers.ContextThreadPool`) is the code's, not the template's.
LOGICAL_ID = re.compile(r"(?<![.\w])(?:[A-Z][a-z0-9]+)+(?:" + "|".join(KINDS) + r")\b")
# An IAM action (`s3:ListBucket`, `logs:CreateLogGroup`) names AWS's API, not the template's.
IAM_ACTION = re.compile(r"\b[a-z0-9-]+:[A-Za-z*]+")
# CamelCase of three humps or more (RunnerMaxConcurrency, NotificationsTopicArn), anywhere, or of two
# in a code span (`UserPrefixes`): a parameter, output, metric, property or API name. It must be
# known to the template or the code, or be one of OUTSIDE_NAMES.
CAMEL = r"(?:[A-Z][a-z0-9]+){2,}[A-Za-z0-9]*"
LONG_CAMEL = re.compile(r"\b(?:[A-Z][a-z0-9]+){3,}[A-Za-z0-9]*\b")
CODE_CAMEL = re.compile(rf"`({CAMEL})`")
ENVIRONMENT = re.compile(r"\bJOBDECK_[A-Z0-9_]+\b")
INDEX = re.compile(r"\b[a-z]+-index\b")
# Names of AWS's APIs and of products the pages use, which neither the template nor the code spells.
OUTSIDE_NAMES = {"ClientRequestToken", "CloudFormation", "CopyObject", "DelaySeconds", "DetailType", "MkDocs"}
OUTSIDE_NAMES |= {"QueueArn", "RoleArn", "SigV4", "CloudTrail", "ReturnValuesOnConditionCheckFailure"}
# What an operator's credentials call (make deploy, jobdeck smoke), which no function's role grants.
OUTSIDE_NAMES |= {"GetCallerIdentity", "AdminSetUserPassword", "AdminDeleteUser"}
# Powertools' models of AWS's events (`SqsModel`, `EventBridgeModel`), which event-shapes.md names as
# what tests/test_event_shapes.py holds each event to: read from the installed Powertools, so a
# name it does not have still fails.
POWERTOOLS_MODELS = {name for name in dir(powertools_models) if name.endswith("Model")}
# The operations and their parameters of the AWS APIs Jobdeck calls (`HeadBucket`, `VersionId`),
# which permissions.md maps to IAM actions: read from botocore's models, so a misspelt one fails.
AWS_SERVICES = ("s3", "dynamodb", "sqs", "events", "scheduler", "cognito-idp")
# SAM's own words: properties of AWS::Serverless::Function and the names its transform writes.
SAM_NAMES = {"DeadLetterQueue"}


@cache
def template_ids() -> set[str]:
    """Logical ids of resources, parameters, outputs and conditions."""
    t = template.load()
    return {name for section in ("Resources", "Parameters", "Outputs", "Conditions") for name in t.get(section, {})}


def _words(value: Any) -> Iterator[str]:
    """Every key of the template, and every CamelCase word in its strings (dashboard, policies)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _words(item)
    elif isinstance(value, list):
        for item in value:
            yield from _words(item)
    elif isinstance(value, str):
        yield from re.findall(CAMEL, value)


@cache
def known_names() -> set[str]:
    in_code = {
        word
        for folder in CODE_DIRS
        for path in (ROOT / folder).rglob("*.py")
        for word in re.findall(CAMEL, path.read_text())
    }
    translated = set(_words(roles.translate(template.TEMPLATE.read_text())))
    return template_ids() | set(_words(template.load())) | in_code | translated | outside_names()


@cache
def aws_api_names() -> set[str]:
    session = botocore.session.get_session()
    names: set[str] = set()
    for service in AWS_SERVICES:
        model = session.get_service_model(service)
        for operation in model.operation_names:
            names.add(operation)
            shape = model.operation_model(operation).input_shape
            names |= set(shape.members) if shape is not None else set()
    return names


@cache
def outside_names() -> set[str]:
    return OUTSIDE_NAMES | POWERTOOLS_MODELS | SAM_NAMES | aws_api_names()


@cache
def environment_names() -> set[str]:
    texts = [template.TEMPLATE.read_text()]
    texts += [path.read_text() for folder in CODE_DIRS for path in (ROOT / folder).rglob("*.py")]
    return {name for text in texts for name in ENVIRONMENT.findall(text)}


@cache
def index_names() -> set[str]:
    return {
        index["IndexName"]
        for table in template.resources("AWS::DynamoDB::Table").values()
        for index in table.get("GlobalSecondaryIndexes", [])
    }


def unknown_names(text: str) -> list[str]:
    """What `text` names that the template (or, for other names, the code) does not have."""
    text = IAM_ACTION.sub("", text)
    problems = [
        f"{w} (not a logical id of template.yaml)"
        for w in LOGICAL_ID.findall(text)
        if w not in template_ids() and w not in outside_names()
    ]
    camel = set(LONG_CAMEL.findall(text)) | set(CODE_CAMEL.findall(text))
    problems += [f"{w} (in neither template.yaml nor the code)" for w in sorted(camel - known_names())]
    variables = set(ENVIRONMENT.findall(text)) - environment_names()
    problems += [f"{v} (set by neither template.yaml nor the code)" for v in variables]
    problems += [f"{i} (no such index in template.yaml)" for i in sorted(set(INDEX.findall(text)) - index_names())]
    return sorted(set(problems))


@dataclass
class MarkdownTable:
    header: list[str]
    rows: list[list[str]]

    def names_in(self, column: int) -> set[str]:
        """The code spans of one column: `JobsTable`, `UserPoolId`, `UserPoolClientId`..."""
        return {name for row in self.rows for name in re.findall(r"`([^`]+)`", row[column])}


def tables(text: str) -> list[MarkdownTable]:
    found: list[MarkdownTable] = []
    block: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            block.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif block:
            if len(block) > 2:
                found.append(MarkdownTable(block[0], block[2:]))
            block = []
    return found


def table_headed(page: str, first_cell: str) -> MarkdownTable:
    headed = [t for t in tables((ROOT / "docs" / page).read_text()) if t.header[0] == first_cell]
    assert len(headed) == 1, f"docs/{page} should have one table whose first column is {first_cell!r}"
    return headed[0]


def of_type(kind: str) -> set[str]:
    return set(template.resources(kind))


# ------------------------------------------------------------------ the names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_name_a_page_uses_is_the_template_s_or_the_code_s(page):
    assert unknown_names(page.read_text()) == []


def test_a_made_up_name_is_caught_whatever_its_kind():
    text = (
        "`NightlyFunction` and ArchiveBucket run with `RunnerMaxConcurency` (ApiTimeoutSeconds), "
        "publish `TasksVanished`, read JOBDECK_NIGHTLY_MODE and query the `nightly-index`."
    )
    assert unknown_names(text) == [
        "ApiTimeoutSeconds (in neither template.yaml nor the code)",
        "ArchiveBucket (not a logical id of template.yaml)",
        "JOBDECK_NIGHTLY_MODE (set by neither template.yaml nor the code)",
        "NightlyFunction (in neither template.yaml nor the code)",
        "NightlyFunction (not a logical id of template.yaml)",
        "RunnerMaxConcurency (in neither template.yaml nor the code)",
        "TasksVanished (in neither template.yaml nor the code)",
        "nightly-index (no such index in template.yaml)",
    ]
    assert unknown_names("`JobsTable`, RunnerMaxConcurrency, JOBDECK_USER_PREFIXES, the due-index") == []


# ------------------------------------------------------------------ the tables that list the template's parts


def test_the_data_table_lists_every_table_of_the_template():
    data = table_headed("data.md", "table")
    assert data.names_in(1) == of_type("AWS::DynamoDB::Table")
    assert {f"{row[0]}Table" for row in data.rows} == of_type("AWS::DynamoDB::Table")


def test_a_data_table_that_lacks_a_table_is_caught():
    text = "| table | logical id | key |\n|---|---|---|\n| Jobs | `JobsTable` | `id` |\n"
    assert tables(text)[0].names_in(1) != of_type("AWS::DynamoDB::Table")


def test_the_functions_table_lists_every_function_of_the_template():
    assert table_headed("concepts.md", "function").names_in(0) == of_type("AWS::Serverless::Function")


def test_the_deploying_page_lists_every_parameter_and_output():
    t = template.load()
    assert table_headed("deploying.md", "parameter").names_in(0) == set(t["Parameters"])
    assert table_headed("deploying.md", "output").names_in(0) == set(t["Outputs"])


def test_the_alarms_table_lists_every_alarm():
    assert table_headed("operating.md", "alarm").names_in(0) == of_type("AWS::CloudWatch::Alarm")


def test_the_actions_page_lists_the_catalog():
    assert table_headed("actions.md", "action").names_in(0) == {action.name for action in registry.catalog()}


# ------------------------------------------------------------------ the README and the CLI page


def test_the_readme_s_first_screen_has_the_two_commands():
    first_screen = README.read_text().splitlines()[:24]
    commands = [line.split("#")[0].strip() for line in first_screen]
    assert "make run" in commands and "make test" in commands


def test_the_readme_s_links_and_pictures_lead_to_files_that_exist():
    # The site's build checks the links of docs/; the README is outside it.
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README.read_text())
    local = [t for t in targets if "://" not in t]
    assert local, "the README links to no page"
    assert [t for t in local if not (ROOT / t).exists()] == []


def test_every_picture_in_docs_img_is_shown_by_a_page():
    # `make screenshots` writes the console's pictures under the names the pages show: one no page
    # shows any more (renamed, or its section gone) would stay in the repository, never refreshed.
    shown = {name for page in PAGES for name in re.findall(r"img/([\w.-]+\.png)", page.read_text())}
    assert sorted(p.name for p in (ROOT / "docs" / "img").glob("*.png") if p.name not in shown) == []


def _cli_examples() -> list[list[str]]:
    text = (ROOT / "docs" / "cli.md").read_text()
    match = re.search(r"<!-- cli-examples.*?-->\s*```sh\n(.*?)```", text, re.DOTALL)
    assert match, "docs/cli.md lost its examples block"
    return [shlex.split(line, comments=True) for line in match.group(1).splitlines() if line.strip()]


def test_the_cli_page_s_examples_parse_and_show_every_command():
    commands = set()
    for argv in _cli_examples():
        assert argv[0] == "jobdeck"
        try:
            args = cli_parser().parse_args(argv[1:])
        except SystemExit:
            pytest.fail(f"the CLI refuses {shlex.join(argv)}")
        commands.add(args.command)
    subcommands = next(a for a in cli_parser()._actions if a.dest == "command").choices
    assert commands == set(subcommands) - {"local"}  # `jobdeck local` has its own block: it starts a stack
