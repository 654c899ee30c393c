"""The environment of a process that must never reach real AWS: fake credentials, one region, no
endpoint or profile left over from the shell (tests and benchmarks set it before importing jobdeck)."""

from __future__ import annotations

import os


def use_fake_aws(log_level: str = "WARNING") -> None:
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_METRICS_DISABLED="true",
        POWERTOOLS_SERVICE_NAME="jobdeck",
        POWERTOOLS_LOG_LEVEL=log_level,
    )
    for leftover in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(leftover, None)
