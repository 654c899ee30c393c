"""Domain errors. The API maps each to one HTTP status; the runner turns them into task messages."""

from __future__ import annotations


class JobdeckError(Exception):
    """Base of every error Jobdeck raises on purpose."""


class InvalidSchedule(JobdeckError, ValueError):
    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f"invalid schedule {expression!r}: {reason}")
        self.expression = expression
        self.reason = reason


class InvalidJob(JobdeckError, ValueError):
    """A job definition that cannot be stored; `field` names where the problem is."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class InvalidCalendar(InvalidJob):
    """A calendar that cannot be stored; `field` names where (`rules[0].dates[1]`)."""


class InvalidCursor(JobdeckError, ValueError):
    """A page cursor this deployment did not hand out for that listing (made by hand, altered, or
    another listing's): refused before it reaches DynamoDB."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"cursor: {reason}")
        self.reason = reason


class NotFound(JobdeckError, LookupError):
    pass


class Conflict(JobdeckError):
    """The item changed since it was read (optimistic concurrency), or already exists."""


class Forbidden(JobdeckError, PermissionError):
    """The caller is known but may not do this."""
