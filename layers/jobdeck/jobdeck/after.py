"""A job's `after`: it runs once each job it lists has had a run ending as `on` since its own last
run started this way, all within `within_seconds` (fan-in). What decides and starts it:
jobdeck.dependencies. A leaf: domain's Job holds one."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

MAX_UPSTREAM = 10
DEFAULT_WINDOW = 86_400


class EndedAs(StrEnum):
    FINISHED = "FINISHED"
    ERROR = "ERROR"
    ENDED = "ENDED"  # FINISHED, ERROR or INTERRUPTED: the run ended, however


# A SKIPPED run never ran: it satisfies no dependency.
_ENDINGS = {
    EndedAs.FINISHED: {"FINISHED"},
    EndedAs.ERROR: {"ERROR"},
    EndedAs.ENDED: {"FINISHED", "ERROR", "INTERRUPTED"},
}


@dataclass
class After:
    jobs: list[str] = field(default_factory=list)
    on: EndedAs = EndedAs.FINISHED
    within_seconds: int = DEFAULT_WINDOW

    def counts(self, status: str) -> bool:
        """Whether an upstream run ending with `status` is one this dependency waits for."""
        return status in _ENDINGS[self.on]

    @property
    def keys(self) -> list[str]:
        """The routing keys the task events of the upstream jobs are looked up by."""
        return [key(job_id) for job_id in self.jobs]


def key(upstream_job_id: str) -> str:
    return f"after:{upstream_job_id}"
