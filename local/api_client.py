"""The admin API over HTTP, as the command line's commands call it: one JSON request at a time, the
API's error body read into ApiError, no answer at all into Unreachable."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any


class ApiError(Exception):
    """The API answered with an error status and its `{"error", "message", "errors"}` body."""

    def __init__(self, status: int, message: str, problems: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems


class Unreachable(Exception):
    """No answer at all from the API's URL."""


@dataclass
class Api:
    url: str
    token: str | None

    def call(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        """One request; the decoded JSON answer (None for an empty one)."""
        params = {k: v for k, v in query.items() if v is not None}
        url = self.url.rstrip("/") + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise _api_error(error) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise Unreachable(f"cannot reach the API at {self.url} ({reason})") from None
        return json.loads(raw) if raw else None


def _api_error(error: urllib.error.HTTPError) -> ApiError:
    raw = error.read()
    try:
        body = json.loads(raw)
        return ApiError(error.code, str(body.get("message", error.reason)), list(body.get("errors") or []))
    except (ValueError, AttributeError):
        return ApiError(error.code, f"{error.code} {error.reason}", [])


def quoted(value: str) -> str:
    return urllib.parse.quote(value, safe="")
