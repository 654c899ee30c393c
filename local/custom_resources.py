"""The attributes of the template's custom resources (`!GetAtt DatasourceGrants.ObjectArns`), as
their functions would answer them in AWS, computed by the same code: for the local stack's
provisioning (jobdeck_local.provision) and the IAM check's roles (jobdeck_local.iam.roles)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jobdeck import datasource_grants

# Custom resource type -> what its function answers (Data) for its resolved properties. Only the
# types whose attributes the template reads.
ANSWERS: dict[str, Callable[[Mapping[str, Any]], dict[str, str]]] = {
    datasource_grants.KIND: datasource_grants.from_properties,
}


def attribute(kind: str, properties: Mapping[str, Any], name: str, logical_id: str = "") -> str:
    answer = ANSWERS.get(kind)
    if answer is None:
        raise ValueError(f"cannot resolve Fn::GetAtt {logical_id}.{name} locally: add {kind} to custom_resources")
    data = answer(properties)
    if name not in data:
        raise ValueError(f"{logical_id} ({kind}) answers no attribute {name} (it has {', '.join(data)})")
    return data[name]
