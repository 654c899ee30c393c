"""template.yaml read as data, with CloudFormation's short tags (!Ref, !GetAtt, !Sub) kept as the
long forms ({"Ref": ...}, {"Fn::GetAtt": [...]})."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _tag)


@cache
def load(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open() as f:
        return yaml.load(f, Loader=_CfnLoader)


def resources(kind: str, path: Path = TEMPLATE) -> dict[str, dict[str, Any]]:
    """Logical id -> properties of every resource of one type, in template order."""
    return {name: res.get("Properties", {}) for name, res in load(path)["Resources"].items() if res["Type"] == kind}
