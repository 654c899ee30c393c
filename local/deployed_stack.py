"""A Jobdeck deployed with CloudFormation, as DescribeStacks tells it: its outputs (ApiUrl,
DatasourceBucketName, UserPoolId...) and the parameter values it was deployed with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    import boto3


@dataclass(frozen=True)
class DeployedStack:
    name: str
    region: str
    outputs: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    status: str = ""

    @classmethod
    def describe(cls, session: boto3.Session, name: str) -> DeployedStack | None:
        """The stack, or None when the account has none of that name in the session's region."""
        cloudformation = session.client("cloudformation")
        try:
            [stack] = cloudformation.describe_stacks(StackName=name)["Stacks"]
        except ClientError as error:
            # CloudFormation answers a stack it does not know with a ValidationError ("does not exist").
            if "does not exist" in str(error):
                return None
            raise
        return cls(
            name=name,
            region=cloudformation.meta.region_name,
            outputs={o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
            parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])},
            status=stack["StackStatus"],
        )

    def output(self, key: str) -> str:
        """An output the caller cannot go on without; a clear error when the stack lacks it."""
        if key not in self.outputs:
            raise LookupError(f"stack {self.name} ({self.region}) has no output {key}: is it a Jobdeck stack?")
        return self.outputs[key]
