"""The scheduler's words as their definitions document them, for GET /vocabulary and the console.

Each enum member and each policy field of `jobdeck.domain` carries its meaning as the docstring
below it (as APScheduler and Temporal write theirs), and nowhere else. Python keeps no such
docstring at run time, so they are read from the module's source, once, when first asked for: the
way pydantic's `use_attribute_docstrings` reads a model's, and Sphinx's autodoc an attribute's.
"""

from __future__ import annotations

import ast
import inspect
import sys
from dataclasses import MISSING, fields, is_dataclass
from enum import Enum
from functools import cache
from typing import Any

from jobdeck import domain

ENUMS: tuple[type[Enum], ...] = (
    domain.Overlap,
    domain.Misfire,
    domain.TaskStatus,
    domain.TriggerType,
    domain.JobKind,
    domain.CalendarMode,
    domain.SlotState,
    domain.SkipReason,
)
POLICIES: tuple[type, ...] = (domain.ScheduleSpec, domain.RetryPolicy, domain.NotifyPolicy)


@cache
def words() -> dict[str, Any]:
    """`{"Overlap": {"doc": ..., "members": {"skip": ...}}, "RetryPolicy": {"doc": ..., "fields":
    {"max_attempts": {"doc": ..., "default": 1}}}, ...}`"""
    documented = _attribute_docstrings()
    served: dict[str, Any] = {}
    for enum in ENUMS:
        docs = documented[enum.__name__]
        served[enum.__name__] = {
            "doc": inspect.getdoc(enum),
            "members": {str(member.value): docs.get(member.name, "") for member in enum},
        }
    for policy in POLICIES:
        assert is_dataclass(policy)
        docs = documented[policy.__name__]
        served[policy.__name__] = {
            "doc": inspect.getdoc(policy),
            "fields": {
                f.name: {"doc": docs.get(f.name, ""), "default": None if f.default is MISSING else _plain(f.default)}
                for f in fields(policy)
            },
        }
    return served


def _attribute_docstrings() -> dict[str, dict[str, str]]:
    """Class name -> attribute name -> the string literal right below its assignment, read from
    the module each class is defined in (jobdeck.domain re-exports some, e.g. CalendarMode)."""
    found: dict[str, dict[str, str]] = {}
    modules = {sys.modules[kind.__module__] for kind in (*ENUMS, *POLICIES)}
    nodes = [node for module in modules for node in ast.parse(inspect.getsource(module)).body]
    for node in nodes:
        if not isinstance(node, ast.ClassDef):
            continue
        docs = found.setdefault(node.name, {})
        for statement, after in zip(node.body, node.body[1:], strict=False):
            name = _assigned(statement)
            literal = after.value if isinstance(after, ast.Expr) else None
            if name and isinstance(literal, ast.Constant) and isinstance(literal.value, str):
                docs[name] = inspect.cleandoc(literal.value)
    return found


def _assigned(statement: ast.stmt) -> str | None:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
    elif isinstance(statement, ast.AnnAssign):
        target = statement.target
    else:
        return None
    return target.id if isinstance(target, ast.Name) else None


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value
