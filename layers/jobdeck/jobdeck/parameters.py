"""Job parameters: the values a run gets, from the job's declarations and what the caller gave,
and the `{{ ... }}` templates in action parameters that read them."""

from __future__ import annotations

import re
from typing import Any

from jobdeck.domain import JobParameter, ParameterType
from jobdeck.errors import InvalidJob

_TYPES: dict[ParameterType, tuple[type, ...]] = {
    ParameterType.STRING: (str,),
    ParameterType.INTEGER: (int,),
    ParameterType.NUMBER: (int, float),
    ParameterType.BOOLEAN: (bool,),
}


def check_declarations(declared: list[JobParameter]) -> None:
    names = [p.name for p in declared]
    for index, parameter in enumerate(declared):
        where = f"parameters[{index}]"
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", parameter.name):
            raise InvalidJob(f"{where}.name", "letters, digits and _ only, not starting with a digit")
        if names.count(parameter.name) > 1:
            raise InvalidJob(f"{where}.name", f"{parameter.name!r} is declared twice")
        for label, value in [
            ("default", parameter.default),
            *(("choices", c) for c in parameter.choices or []),
        ]:
            if value is not None and not _is(parameter.type, value):
                raise InvalidJob(f"{where}.{label}", f"{value!r} is not a {parameter.type.value}")
        if (
            parameter.choices is not None
            and parameter.default is not None
            and parameter.default not in parameter.choices
        ):
            raise InvalidJob(f"{where}.default", "must be one of the choices")


def resolve(declared: list[JobParameter], given: dict[str, Any]) -> dict[str, Any]:
    """The run's values: given ones checked against their declaration, defaults for the rest."""
    known = {p.name: p for p in declared}
    for name in given:
        if name not in known:
            raise InvalidJob(f"parameters.{name}", f"the job declares no parameter {name!r}")
    values: dict[str, Any] = {}
    for parameter in declared:
        where = f"parameters.{parameter.name}"
        value = given.get(parameter.name, parameter.default)
        if value is None:
            if parameter.required:
                raise InvalidJob(where, "is required")
            continue
        if not _is(parameter.type, value):
            raise InvalidJob(where, f"{value!r} is not a {parameter.type.value}")
        if parameter.choices is not None and value not in parameter.choices:
            raise InvalidJob(where, f"{value!r} is not one of {parameter.choices}")
        values[parameter.name] = value
    return values


def _is(kind: ParameterType, value: Any) -> bool:
    if isinstance(value, bool) and kind is not ParameterType.BOOLEAN:
        return False  # bool is an int to Python, not to JSON
    return isinstance(value, _TYPES[kind])


_PLACEHOLDER = re.compile(r"{{\s*([A-Za-z_][\w.]*)\s*}}")


def render(value: Any, context: dict[str, Any]) -> Any:
    """Fill `{{ parameters.dest }}`-style placeholders from `context`, in strings, lists and dicts.
    A string that is one placeholder takes the value's own type (a number stays a number)."""
    if isinstance(value, dict):
        return {k: render(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, context) for v in value]
    if not isinstance(value, str) or "{{" not in value:
        return value
    whole = _PLACEHOLDER.fullmatch(value.strip())
    if whole:
        return _lookup(whole.group(1), context)
    return _PLACEHOLDER.sub(lambda m: str(_lookup(m.group(1), context)), value)


def _lookup(path: str, context: dict[str, Any]) -> Any:
    current: Any = context
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            raise InvalidJob(f"{{{{ {path} }}}}", "names nothing this run has")
        current = current[part]
    return current
