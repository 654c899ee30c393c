"""Where things are, read from the environment the template (or the local stack) sets."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    run_queue_url: str
    datasource_bucket: str
    recycle_prefix: str = "recycle_bin/"

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            run_queue_url=os.environ.get("JOBDECK_RUN_QUEUE_URL", ""),
            datasource_bucket=os.environ.get("JOBDECK_DATASOURCE_BUCKET", ""),
            recycle_prefix=os.environ.get("JOBDECK_RECYCLE_PREFIX", "recycle_bin/"),
        )
