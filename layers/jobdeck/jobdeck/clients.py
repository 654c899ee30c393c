"""boto3 clients, made once per process (Lambda reuses them across warm invocations)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})


@cache
def s3() -> S3Client:
    return boto3.client("s3", config=_CONFIG)


@cache
def sqs() -> SQSClient:
    return boto3.client("sqs", config=_CONFIG)


@cache
def sns() -> SNSClient:
    return boto3.client("sns", config=_CONFIG)


def reset() -> None:
    """Forget the clients (tests that swap the AWS endpoint, the local stack at start)."""
    s3.cache_clear()
    sqs.cache_clear()
    sns.cache_clear()
