"""`make iam`'s report: per function, the actions its requests used, the requests its role denied,
and the statements (or actions of a statement) that no request used.

It fails (exit status 1) on a denied request, on an operation the check cannot map, and on an
unused statement or action that `unused.yaml` does not explain. An explanation that matches nothing
unused any more is named too, so that it can go.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from jobdeck_local import template
from jobdeck_local.iam import records, roles
from jobdeck_local.iam.policy import Effect, Statement, evaluate
from jobdeck_local.iam.records import UNMAPPED, Record

EXPLAINED = Path(__file__).with_name("unused.yaml")


@dataclass(frozen=True)
class Unused:
    """One action of one Allow statement that no request used."""

    function: str
    statement: Statement
    action: str

    def __str__(self) -> str:
        return f"{self.action} on {', '.join(self.statement.resources) or '(NotResource)'} [{self.statement.key}]"


@dataclass(frozen=True)
class Explanation:
    function: str
    action: str
    resource: str
    why: str

    def covers(self, unused: Unused) -> bool:
        return (
            fnmatchcase(unused.function, self.function)
            and fnmatchcase(unused.action, self.action)
            and any(fnmatchcase(r, self.resource) for r in unused.statement.resources or ("*",))
        )


def explanations(path: Path = EXPLAINED) -> list[Explanation]:
    rows: list[dict[str, Any]] = yaml.safe_load(path.read_text()) or []
    return [Explanation(r["function"], r["action"], r.get("resource", "*"), " ".join(r["why"].split())) for r in rows]


def unused(role: roles.Role, used: dict[str, set[str]]) -> list[Unused]:
    """The actions of the role's Allow statements that no request used (`used`: statement key -> actions)."""
    found = []
    for statement in role.statements:
        if statement.effect is not Effect.ALLOW:
            continue
        for action in statement.actions or statement.not_actions:
            if not any(fnmatchcase(done.lower(), action.lower()) for done in used[statement.key]):
                found.append(Unused(role.function, statement, action))
    return found


def report(seen: Counter[Record], path: Path = template.TEMPLATE, explained: Path = EXPLAINED) -> tuple[str, bool]:
    """The report's text, and whether the check passed. Every recorded need is evaluated again here,
    against the roles of `path`: the records of one run can be checked against another template."""
    lines: list[str] = []
    failed = False
    reasons = explanations(explained)
    matched: set[Explanation] = set()
    resolved = cache(lambda datasources: roles.roles(path, datasources))  # the template read once each
    for function, role in sorted(roles.roles(path).items()):
        mine = Counter({r: n for r, n in seen.items() if r.function == function})
        lines.append(f"{function} (role {role.name}): {sum(mine.values())} checks")
        used: dict[str, set[str]] = defaultdict(set)
        # action and the grant's resources -> requests, and the distinct resources they named (objects...)
        allowed: Counter[tuple[str, str]] = Counter()
        named: dict[tuple[str, str], set[str]] = defaultdict(set)
        for record, count in sorted(mine.items(), key=lambda rc: (rc[0].action, rc[0].resource, rc[0].operation)):
            if record.action == UNMAPPED:
                failed = True
                lines.append(
                    f"  UNMAPPED {record.operation}: not in authorization.OPERATIONS ({record.caller}; {count})"
                )
                continue
            # A role's statements are the same whatever the Datasources, their resources not: each
            # record against the role resolved with the datasources it was checked with.
            statements = resolved(record.datasources)[function].statements
            verdict = evaluate(statements, record.action, record.resource, record.context)
            if verdict.allowed:
                grant = (record.action, ", ".join(verdict.allowed_by[0].resources))
                allowed[grant] += count
                named[grant].add(record.resource)
                for statement in verdict.allowed_by:
                    used[statement.key].add(record.action)
            else:
                failed = True
                lines.append(
                    f"  DENIED   {function}: {record.action} on {record.resource} "
                    f"({record.operation} at {record.caller or '?'}; {count})"
                )
        for (action, resources), count in sorted(allowed.items()):
            spread = len(named[(action, resources)])
            lines.append(
                f"  used     {action} on {resources} ({count}" + (f", {spread} resources)" if spread > 1 else ")")
            )
        for item in unused(role, used):
            why = next((e for e in reasons if e.covers(item)), None)
            if why is None:
                failed = True
                lines.append(f"  UNUSED, NOT EXPLAINED {item}")
            else:
                matched.add(why)
                lines.append(f"  unused   {item}: explained ({why.function} {why.action})")
    lines.append(f"Explained in {explained.name}:")
    for e in reasons:
        lines.append(f"  {e.function} {e.action} on {e.resource}: {e.why}")
        if e not in matched:
            lines.append("    (matches no unused grant any more: remove it)")
    nobody = sum(n for r, n in seen.items() if r.function is None)
    lines.append(
        f"not any function's (tests' set-up and assertions, the local stack's provisioning): {nobody} requests"
    )
    lines.append("PASS: every request allowed, every unused grant explained" if not failed else "FAIL")
    return "\n".join(lines), not failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobdeck_local.iam", description=__doc__)
    parser.add_argument("records", type=Path, help="the folder JOBDECK_IAM_RECORDS named for the test run")
    parser.add_argument("--template", type=Path, default=template.TEMPLATE)
    parser.add_argument("--explained", type=Path, default=EXPLAINED)
    args = parser.parse_args(argv)
    seen = records.load(args.records)
    if not seen:
        print(f"no records in {args.records}: run the tests with JOBDECK_IAM_RECORDS={args.records}", file=sys.stderr)
        return 1
    text, passed = report(seen, args.template, args.explained)
    print(text)
    return 0 if passed else 1
