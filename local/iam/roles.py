"""Each function's role as the SAM transform writes it, its policies resolved to the local ARNs.

The template is translated by samtranslator (the library behind `sam validate` and `sam deploy`), so
what is checked is what CloudFormation would create: inline policies from `Policies` (SAM policy
templates expanded), the statements SAM adds itself (a DeadLetterQueue's sqs:SendMessage), and the
managed policies it attaches (AWSLambdaBasicExecutionRole; the SQS event source's
AWSLambdaSQSQueueExecutionRole; AWSXrayWriteOnlyAccess whenever Tracing may be on). AWS managed
policies' documents are not in any template: those used are kept as published, in `managed/`.

Intrinsics are resolved the way CloudFormation would in the local account: the parameters' defaults
(but `Datasources`, the local stack's or the test's, which changes the roles), the conditions
evaluated on them, and each resource named by `jobdeck_local.provision.physical_name` in moto's
account and region. A custom resource's attributes are what its function would answer, computed by
the same code (jobdeck_local.custom_resources).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jobdeck_local import custom_resources, template
from jobdeck_local.iam.policy import Effect, Statement
from jobdeck_local.provision import physical_name

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account, in-process and in its server
PARTITION = "aws"
MANAGED = Path(__file__).with_name("managed")
_MANAGED_ARN = re.compile(r"arn:aws:iam::aws:policy/(?:.*/)?(?P<name>[^/]+)")


@dataclass(frozen=True)
class Role:
    function: str  # the function's logical id
    logical_id: str  # the role's
    statements: tuple[Statement, ...]

    @property
    def name(self) -> str:
        return physical_name(self.logical_id)

    @property
    def session_arn(self) -> str:
        """Who AWS names in an AccessDenied: the role assumed by Lambda for the function."""
        return f"arn:{PARTITION}:sts::{ACCOUNT}:assumed-role/{self.name}/{physical_name(self.function)}"


def roles(path: Path = template.TEMPLATE, datasources: str = "") -> dict[str, Role]:
    """Function logical id -> its role, for every Lambda function of the translated template, with
    `datasources` as the Datasources parameter (JOBDECK_DATASOURCES)."""
    return _roles(path.read_text(), datasources)


@cache
def _roles(text: str, datasources: str) -> dict[str, Role]:
    translated = translate(text)
    resolver = Resolver(translated, {"Datasources": datasources})
    resources = translated["Resources"]
    found = {}
    for function_id, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        role_ref = resource["Properties"]["Role"]
        if not (isinstance(role_ref, dict) and "Fn::GetAtt" in role_ref):
            raise ValueError(f"{function_id}: its Role is {role_ref!r}, not a role of this template")
        role_id = role_ref["Fn::GetAtt"][0]
        found[function_id] = Role(function_id, role_id, _statements(resources[role_id]["Properties"], resolver))
    return found


@cache
def translate(text: str) -> dict[str, Any]:
    """The CloudFormation template the SAM transform makes of `text` (with the parameters' defaults)."""
    import boto3
    from samtranslator.metrics.metrics import Metrics
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.yaml_helper import yaml_parse

    doc = yaml_parse(text)
    for resource in doc.get("Resources", {}).values():
        props = resource.get("Properties", {})
        for uri in ("CodeUri", "ContentUri"):  # local folders; `sam build` uploads them, the transform wants S3
            if isinstance(props.get(uri), str):
                props[uri] = f"s3://jobdeck-local-build/{props[uri]}"
    metrics = Metrics()  # published (to nowhere) after, or it warns when collected
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=REGION), metrics=metrics)
    managed = {path.stem: f"arn:{PARTITION}:iam::aws:policy/{path.stem}" for path in MANAGED.glob("*.json")}
    translated: dict[str, Any] = translator.translate(doc, parameter_values={}, get_managed_policy_map=lambda: managed)
    metrics.publish()
    return translated


def managed_policy(arn: str) -> dict[str, Any]:
    match = _MANAGED_ARN.fullmatch(arn)
    path = MANAGED / f"{match['name'] if match else arn}.json"
    if not path.is_file():
        raise ValueError(f"no document for the managed policy {arn}: add it, as AWS publishes it, as {path}")
    document: dict[str, Any] = json.loads(path.read_text())["PolicyDocument"]
    return document


def _statements(role: dict[str, Any], resolver: Resolver) -> tuple[Statement, ...]:
    documents: list[tuple[str, Any]] = [
        (resolver.resolve(p["PolicyName"]), resolver.resolve(p["PolicyDocument"])) for p in role.get("Policies", [])
    ]
    for arn in resolver.resolve(role.get("ManagedPolicyArns", [])):
        documents.append((arn, managed_policy(arn)))
    statements = []
    for policy, document in documents:
        listed = document["Statement"]
        for index, raw in enumerate(listed if isinstance(listed, list) else [listed]):
            statements.append(
                Statement(
                    policy,
                    index,
                    Effect(raw["Effect"]),
                    _strings(raw.get("Action")),
                    _strings(raw.get("NotAction")),
                    _strings(raw.get("Resource")),
                    _strings(raw.get("NotResource")),
                    _conditions(raw.get("Condition") or {}),
                )
            )
    return tuple(statements)


def _conditions(block: dict[str, Any]) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """A Condition block ({operator: {key: value or values}}) as (operator, key, values) triples."""
    return tuple(
        (operator, key, tuple(str(v) for v in _strings(values)))
        for operator, keys in block.items()
        for key, values in keys.items()
    )


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


class Resolver:
    """CloudFormation's intrinsic functions, evaluated for the local stack."""

    def __init__(self, translated: dict[str, Any], parameters: dict[str, str] | None = None) -> None:
        self.resources: dict[str, Any] = translated["Resources"]
        self.conditions: dict[str, Any] = translated.get("Conditions", {})
        defaults = {name: p.get("Default", "") for name, p in translated.get("Parameters", {}).items()}
        stack_id = f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/jobdeck/00000000-0000-0000-0000"
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "jobdeck",
            "AWS::StackId": stack_id,
        }
        self.parameters = defaults | (parameters or {}) | pseudo

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            [(name, argument)] = value.items()
            if name == "Ref":
                return self.ref(argument)
            if name == "Fn::GetAtt":
                logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self.get_att(logical_id, attribute)
            if name == "Fn::Sub":
                return self.sub(argument)
            if name == "Fn::If":
                condition, then, otherwise = argument
                return self.resolve(then if self.condition(condition) else otherwise)
            if name == "Fn::Join":
                separator, parts = argument
                return separator.join(str(p) for p in self.resolve(parts))
            if name == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(self.resolve(index))]
            if name == "Fn::Split":
                separator, text = argument
                return str(self.resolve(text)).split(separator)
        return {k: self.resolve(v) for k, v in value.items()}

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        kind = self.resources[name]["Type"]
        if kind == "AWS::SNS::Topic":
            return f"arn:{PARTITION}:sns:{REGION}:{ACCOUNT}:{physical_name(name)}"
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{physical_name(name)}"
        return physical_name(name)

    def get_att(self, logical_id: str, attribute: str) -> str:
        kind = self.resources[logical_id]["Type"]
        if kind.startswith("Custom::"):
            properties = self.resolve(self.resources[logical_id].get("Properties", {}))
            return custom_resources.attribute(kind, properties, attribute, logical_id)
        name = "*" if kind in _NAMED_BY_THE_SERVICE else physical_name(logical_id)
        if attribute == "Arn" or (kind == "AWS::SNS::Topic" and attribute == "TopicArn"):
            arn = _ARNS.get(kind)
            if arn is None:
                raise ValueError(f"no local ARN for {logical_id} ({kind}): add its form to roles._ARNS")
            return arn.format(partition=PARTITION, region=REGION, account=ACCOUNT, name=name)
        if attribute == "QueueName":
            return name
        raise ValueError(f"cannot resolve Fn::GetAtt {logical_id}.{attribute} locally")

    def sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        variables = {k: self.resolve(v) for k, v in variables.items()}

        def one(match: re.Match[str]) -> str:
            name = match[1]
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                return self.get_att(*name.split(".", 1))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}!][^}]*)\}", one, text)

    def condition(self, name_or_expression: Any) -> bool:
        expression = self.conditions[name_or_expression] if isinstance(name_or_expression, str) else name_or_expression
        [(name, argument)] = expression.items()
        if name == "Fn::Equals":
            left, right = (self.resolve(a) for a in argument)
            return bool(str(left) == str(right))
        if name == "Fn::Not":
            return not self.condition(argument[0])
        if name == "Fn::And":
            return all(self.condition(a) for a in argument)
        if name == "Fn::Or":
            return any(self.condition(a) for a in argument)
        if name == "Condition":
            return self.condition(argument)
        raise ValueError(f"cannot evaluate the condition {expression!r}")


_NO_VALUE = object()
# Resources whose id the service makes up when it creates them (a user pool is `us-east-1_AbC123`):
# locally such an ARN ends in `*`, any of the account and region's, where in AWS the policy names
# the one the stack made. The action and the kind of resource are still checked.
_NAMED_BY_THE_SERVICE = {"AWS::Cognito::UserPool"}

# What Fn::GetAtt <resource>.Arn gives, by resource type (the Service Authorization Reference's forms).
_ARNS = {
    "AWS::DynamoDB::Table": "arn:{partition}:dynamodb:{region}:{account}:table/{name}",
    "AWS::SQS::Queue": "arn:{partition}:sqs:{region}:{account}:{name}",
    "AWS::S3::Bucket": "arn:{partition}:s3:::{name}",
    "AWS::SNS::Topic": "arn:{partition}:sns:{region}:{account}:{name}",
    "AWS::Lambda::Function": "arn:{partition}:lambda:{region}:{account}:function:{name}",
    "AWS::Events::Rule": "arn:{partition}:events:{region}:{account}:rule/{name}",
    "AWS::Logs::LogGroup": "arn:{partition}:logs:{region}:{account}:log-group:{name}:*",
    "AWS::Cognito::UserPool": "arn:{partition}:cognito-idp:{region}:{account}:userpool/{name}",
    "AWS::IAM::Role": "arn:{partition}:iam::{account}:role/{name}",
    "AWS::KMS::Key": "arn:{partition}:kms:{region}:{account}:key/{name}",
}


def customer_keys(path: Path = template.TEMPLATE) -> dict[str, str]:
    """Resource ARN -> the customer managed KMS key its data is encrypted with, for the buckets, queues
    and topics that have one. Those encrypted by S3 (SSE-S3), by SQS (SSE-SQS) or with an AWS managed
    key (alias/aws/...) are left out: the caller needs no KMS permission for them (docs/permissions.md)."""
    return _customer_keys(path.read_text())


@cache
def _customer_keys(text: str) -> dict[str, str]:
    translated = translate(text)
    resolver = Resolver(translated)
    keys = {}
    for logical_id, resource in translated["Resources"].items():
        kind = resource["Type"]
        if kind not in ("AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::SNS::Topic"):
            continue
        props = resolver.resolve(resource.get("Properties", {}))
        key: str | None = None
        if kind == "AWS::S3::Bucket":
            rules = props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [])
            key = next((r["ServerSideEncryptionByDefault"].get("KMSMasterKeyID") for r in rules), None)
        elif kind in ("AWS::SQS::Queue", "AWS::SNS::Topic"):
            key = props.get("KmsMasterKeyId")
        if key and not key.startswith("alias/aws/"):
            if key.startswith("alias/"):
                key = f"arn:{PARTITION}:kms:{REGION}:{ACCOUNT}:{key}"
            keys[resolver.get_att(logical_id, "Arn")] = key
    return keys
