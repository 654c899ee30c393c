"""Where things are, read from the environment the template (or the local stack) sets."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    run_queue_url: str
    datasource_bucket: str
    recycle_prefix: str = "recycle_bin/"
    notify_topic_arn: str = ""  # failures that are final are published here (empty: not at all)
    # Hosts and CIDRs webhooks may reach although they are not public (JOBDECK_WEBHOOK_ALLOW, comma-separated).
    webhook_allow: tuple[str, ...] = ()
    # RunQueue's redrive maxReceiveCount: on the last receive, a task whose message keeps failing
    # ends ERROR (saying so) before the message moves to the dead-letter queue.
    max_receives: int = 5

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            run_queue_url=os.environ.get("JOBDECK_RUN_QUEUE_URL", ""),
            datasource_bucket=os.environ.get("JOBDECK_DATASOURCE_BUCKET", ""),
            recycle_prefix=os.environ.get("JOBDECK_RECYCLE_PREFIX", "recycle_bin/"),
            notify_topic_arn=os.environ.get("JOBDECK_NOTIFY_TOPIC_ARN", ""),
            webhook_allow=tuple(
                entry.strip() for entry in os.environ.get("JOBDECK_WEBHOOK_ALLOW", "").split(",") if entry.strip()
            ),
            max_receives=int(os.environ.get("JOBDECK_MAX_RECEIVES", "5")),
        )
