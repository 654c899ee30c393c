"""IAM's evaluation of identity-based policy statements, for one action on one resource.

As IAM does it (the policy evaluation logic of the IAM User Guide): an explicit Deny wins; otherwise
an Allow is needed; with neither the request is denied implicitly. Action names match without
regard to case, resource ARNs with it; `*` matches any run of characters and `?` one, in both.
NotAction and NotResource match what they do not name.

Conditions: `StringLike` and `StringEquals` are evaluated on the request's context keys, which
the mapping gives (authorization.Need.context: `s3:prefix` for a listing). As in IAM, all of a
statement's conditions must hold, a condition holds when one of its values matches, and a key the
request does not carry holds for no condition. A statement with any other condition is taken the safe way: its Allow is
not relied on, its Deny is applied as if the condition held. Add an operator to OPERATORS when a
role needs one relied on.

Resource-based policies are not evaluated: within one account an identity-based Allow suffices
unless a resource policy denies. Jobdeck's two (DatasourceBucketPolicy denies requests without
TLS, which botocore always uses in AWS; EventsQueuePolicy admits EventBridge) change nothing for
the functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache


class Effect(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


@dataclass(frozen=True)
class Statement:
    """One statement of a role's policy, its intrinsics resolved to ARNs."""

    policy: str  # the inline policy's name, or the managed policy's ARN
    index: int  # its place in that policy's Statement list
    effect: Effect
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    # (operator, key, values) of each condition of the statement, as the policy writes them
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    @property
    def key(self) -> str:
        return f"{self.policy}#{self.index}"

    def matches_action(self, action: str) -> bool:
        if self.not_actions:
            return not any(_matches(p, action, case=False) for p in self.not_actions)
        return any(_matches(p, action, case=False) for p in self.actions)

    def matches_resource(self, resource: str) -> bool:
        if self.not_resources:
            return not any(_matches(p, resource, case=True) for p in self.not_resources)
        return any(_matches(p, resource, case=True) for p in self.resources)

    def applies(self, action: str, resource: str) -> bool:
        return self.matches_action(action) and self.matches_resource(resource)

    @property
    def evaluable(self) -> bool:
        """Whether each of its conditions can be evaluated here (OPERATORS)."""
        return all(operator in OPERATORS for operator, _, _ in self.conditions)

    def holds(self, context: Mapping[str, str]) -> bool:
        """Whether its conditions hold for a request of these context keys (all of them, each by one
        of its values; a key the request lacks holds for none). Only for an evaluable statement."""
        return all(
            key in context and any(OPERATORS[operator](value, context[key]) for value in values)
            for operator, key, values in self.conditions
        )


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    allowed_by: tuple[Statement, ...] = field(default=())  # every Allow that matched (none if denied)
    denied_by: Statement | None = None  # the explicit Deny, if one matched

    def reason(self, action: str) -> str:
        """Why it was denied, in AWS's words."""
        if self.denied_by is not None:
            return "with an explicit deny in an identity-based policy"
        return f"because no identity-based policy allows the {action} action"


def evaluate(
    statements: tuple[Statement, ...], action: str, resource: str, context: tuple[tuple[str, str], ...] = ()
) -> Verdict:
    """IAM's answer for `action` on `resource`, with the request's condition keys `context`."""
    keys = dict(context)
    allows: list[Statement] = []
    for statement in statements:
        if not statement.applies(action, resource):
            continue
        if statement.evaluable and not statement.holds(keys):
            continue
        if statement.effect is Effect.DENY:
            return Verdict(False, denied_by=statement)
        if statement.evaluable:
            allows.append(statement)
    return Verdict(bool(allows), tuple(allows))


# Condition operators evaluated (pattern or value as the policy writes it, the request's value).
OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda expected, value: expected == value,
    "StringLike": lambda pattern, value: _matches(pattern, value, case=True),
}


def _matches(pattern: str, value: str, *, case: bool) -> bool:
    return _compiled(pattern, case).fullmatch(value) is not None


@cache
def _compiled(pattern: str, case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, 0 if case else re.IGNORECASE)
