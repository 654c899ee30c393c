"""A step's filter: which of its input nodes the step works on."""

from __future__ import annotations

import fnmatch
from datetime import datetime, timedelta

from botocore.exceptions import ClientError

from jobdeck.actions.registry import ActionContext, Node
from jobdeck.domain import NodeFilter


def select(rule: NodeFilter | None, nodes: list[Node], ctx: ActionContext) -> list[Node]:
    if rule is None:
        return nodes
    return [node for node in nodes if _matches(rule, node, ctx)]


def _matches(rule: NodeFilter, node: Node, ctx: ActionContext) -> bool:
    age = _age(node, ctx.now)
    checks = [
        rule.datasource is None or node.datasource == rule.datasource,
        rule.glob is None or fnmatch.fnmatchcase(node.key, rule.glob),
        rule.min_size is None or node.size >= rule.min_size,
        rule.max_size is None or node.size <= rule.max_size,
        rule.older_than_days is None or (age is not None and age > timedelta(days=rule.older_than_days)),
        rule.newer_than_days is None or (age is not None and age < timedelta(days=rule.newer_than_days)),
    ]
    if not all(checks):
        return False
    if rule.content_type is not None:  # last: the only check that costs a request
        return fnmatch.fnmatchcase(_content_type(node, ctx), rule.content_type)
    return True


def _age(node: Node, now: datetime) -> timedelta | None:
    return now - node.last_modified if node.last_modified else None


def _content_type(node: Node, ctx: ActionContext) -> str:
    try:
        where = ctx.datasource_of(node)
        return ctx.s3.head_object(Bucket=where.bucket, Key=where.object_key(node.key)).get("ContentType", "")
    except ClientError:
        return ""  # gone: it matches no content type
