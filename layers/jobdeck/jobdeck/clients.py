"""AWS clients, made once per process (Lambda reuses them across warm invocations).

They come from botocore, not boto3: Jobdeck uses clients only, never boto3's resources or its
transfer manager, and boto3 adds those (with s3transfer and multiprocessing) to every cold start:
~16 ms of CPU over botocore's ~127, a tenth of what `bench/imports.py` compares each function to.
PynamoDB goes to botocore directly too."""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from botocore.config import Config
from botocore.session import Session, get_session

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_scheduler import EventBridgeSchedulerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})
# A botocore session fills its credential and endpoint caches on its first client: threads that make
# their first clients at once (the local stack's invocations) take turns.
_making = threading.Lock()


@cache
def _session() -> Session:
    return get_session()


def _make(service: str, config: Config | None = None) -> Any:
    """A new client of the shared session; `config` is merged over Jobdeck's retry settings."""
    with _making:
        return _session().create_client(service, config=_CONFIG.merge(config) if config else _CONFIG)


@cache
def s3() -> S3Client:
    return cast("S3Client", _make("s3"))


@cache
def sqs() -> SQSClient:
    return cast("SQSClient", _make("sqs"))


@cache
def sns() -> SNSClient:
    return cast("SNSClient", _make("sns"))


@cache
def presigner() -> S3Client:
    """S3 for presigned URLs. SigV4 said explicitly: without it botocore still presigns with SigV2 in
    some regions."""
    return cast("S3Client", _make("s3", Config(signature_version="s3v4")))


@cache
def events() -> EventBridgeClient:
    return cast("EventBridgeClient", _make("events"))


@cache
def scheduler() -> EventBridgeSchedulerClient:
    return cast("EventBridgeSchedulerClient", _make("scheduler"))


@cache
def cognito() -> CognitoIdentityProviderClient:
    return cast("CognitoIdentityProviderClient", _make("cognito-idp"))


def reset() -> None:
    """Forget the clients and their session (tests that swap the AWS endpoint, the local stack at
    start): the next client reads the environment afresh."""
    for made in (s3, presigner, sqs, sns, events, scheduler, cognito, _session):
        made.cache_clear()
