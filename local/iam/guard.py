"""The check on every AWS request this process makes, hooked into botocore.

`install()` adds two handlers to botocore's built-in ones (botocore.handlers.BUILTIN_HANDLERS, the
list every new botocore session registers, which is how moto's mock reaches every client too):
jobdeck.clients' sessions, PynamoDB's and boto3's all get them. `before-parameter-build` keeps the
request's parameters; `before-call` attributes the request to a function, maps it to what IAM
checks, evaluates that against the function's role and records it. A request the role denies is
answered there with the error AWS gives (botocore takes a handler's answer to `before-call` in place
of sending the request), so the code sees an AccessDenied as it would in AWS, naming the role, the
action and the resource. Requests no function made pass unchecked.

botocore's event names and BUILTIN_HANDLERS are what this reaches into: pinned in pyproject.toml.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from jobdeck_local import template
from jobdeck_local.iam import authorization, roles
from jobdeck_local.iam.attribution import acting_function
from jobdeck_local.iam.authorization import Need
from jobdeck_local.iam.policy import Verdict, evaluate
from jobdeck_local.iam.records import UNMAPPED, Ledger, Record
from jobdeck_local.iam.roles import Role

RECORDS_ENV = "JOBDECK_IAM_RECORDS"
_PARAMS = "jobdeck_iam_params"  # where the request's parameters wait in botocore's request context


@dataclass(frozen=True)
class Denial:
    """How a service says no: HTTP status and error code, as AWS answers an AccessDenied."""

    status: int
    code: str


# botocore service name -> its AccessDenied. Others answer 400 AccessDeniedException.
DENIALS = {
    "s3": Denial(403, "AccessDenied"),
    "sqs": Denial(403, "AccessDenied"),
    "sns": Denial(403, "AuthorizationError"),
    "scheduler": Denial(403, "AccessDeniedException"),
}


class Guard:
    """Checks requests against the roles of one template, records them, and (enforcing) refuses those denied.

    The roles depend on the Datasources parameter (DatasourceGrants): they are resolved with the
    datasources the functions are given, JOBDECK_DATASOURCES in this process's environment at the
    time of the request (the local stack's, or the test's)."""

    def __init__(self, path: Path = template.TEMPLATE, enforce: bool = True) -> None:
        self.path, self.enforce = path, enforce
        self.ledger = Ledger()
        # The same few actions on the same tables and queues, again and again: each evaluated once.
        self.verdict = lru_cache(maxsize=4096)(self._evaluate)
        self._roles: dict[str, dict[str, Role]] = {}

    def _evaluate(self, datasources: str, function: str, need: Need) -> Verdict:
        return evaluate(self.roles_for(datasources)[function].statements, need.action, need.resource, need.context)

    @cached_property
    def roles(self) -> dict[str, roles.Role]:
        """The functions' roles with no datasource attached (the template's default)."""
        return self.roles_for("")

    def roles_for(self, datasources: str) -> dict[str, Role]:
        """The functions' roles for one Datasources value, each read once: the template does not
        change under a running check (and every object a request names is a verdict of its own)."""
        found = self._roles.get(datasources)
        if found is None:
            found = self._roles[datasources] = roles.roles(self.path, datasources)
        return found

    @cached_property
    def keys(self) -> dict[str, str]:
        return roles.customer_keys(self.path)

    def decide(self, function: str, service: str, operation: str, params: dict[str, Any], region: str) -> list[Record]:
        """The records of one request made by `function` (one per action and resource it needs)."""
        if function not in self.roles:
            raise LookupError(f"{function} made an AWS request, but {self.path.name} has no function of that name")
        place = authorization.Place(region, keys=self.keys)
        datasources = os.environ.get("JOBDECK_DATASOURCES", "")
        name = f"{service}:{operation}"
        caller = _caller()
        try:
            needs = authorization.needs(service, operation, params, place)
        except authorization.UnmappedOperation:
            self.ledger.add(Record(function, name, UNMAPPED, allowed=False, reason="unmapped", caller=caller))
            raise
        found = []
        for need in needs:
            verdict = self.verdict(datasources, function, need)
            record = Record(
                function,
                name,
                need.action,
                need.resource,
                verdict.allowed,
                "" if verdict.allowed else verdict.reason(need.action),
                caller,
                need.context,
                datasources,
            )
            self.ledger.add(record)
            found.append(record)
        return found

    def before_call(self, model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        service, operation = model.service_model.service_name, model.name
        function = acting_function()
        if function is None:
            self.ledger.add(Record(None, f"{service}:{operation}"))
            return None
        params = context.get(_PARAMS, {})
        denied = [
            r for r in self.decide(function, service, operation, params, context["client_region"]) if not r.allowed
        ]
        if not denied or not self.enforce:
            return None
        return _access_denied(service, self.roles_for(denied[0].datasources)[function], denied[0])


def _access_denied(service: str, role: roles.Role, record: Record) -> tuple[AWSResponse, dict[str, Any]]:
    denial = DENIALS.get(service, Denial(400, "AccessDeniedException"))
    message = (
        f"User: {role.session_arn} is not authorized to perform: {record.action} on resource: {record.resource} "
        f"{record.reason}"
    )
    body = json.dumps({"Error": {"Code": denial.code, "Message": message}}).encode()
    headers = {"x-amzn-requestid": "jobdeck-iam-check", "content-type": "application/json"}
    parsed = {
        "Error": {"Code": denial.code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": denial.status, "HTTPHeaders": headers, "RetryAttempts": 0},
    }
    http_headers = HTTPHeaders()
    for name, value in headers.items():
        http_headers[name] = value
    return AWSResponse("https://jobdeck-iam-check.local/", denial.status, http_headers, _Body(body)), parsed


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


def _caller() -> str:
    """The innermost frame of Jobdeck's own code (file:line), to say where a denied request came from."""
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith(("jobdeck.", "jobdeck_fn_")) or module == "jobdeck":
            return f"{frame.f_code.co_filename.split('/layers/jobdeck/')[-1]}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return ""


# ------------------------------------------------------------------ the hook

active: Guard | None = None


def _keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context[_PARAMS] = params


def _before_call(**kwargs: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
    return active.before_call(**kwargs) if active is not None else None


def install(guard: Guard | None = None) -> Guard:
    """Check every request of the sessions made from now on against `guard` (by default the one
    installed already, or else one of template.yaml, enforcing). Sessions made before keep no hook:
    install before any client."""
    global active
    from botocore.handlers import BUILTIN_HANDLERS

    if ("before-call", _before_call) not in BUILTIN_HANDLERS:
        BUILTIN_HANDLERS.append(("before-parameter-build", _keep_params))
        BUILTIN_HANDLERS.append(("before-call", _before_call))
    active = guard or active or Guard()
    return active


@contextmanager
def using(guard: Guard) -> Iterator[Guard]:
    """Check with `guard` for a while (a test's own template), then with the one before."""
    global active
    before, active = active, guard
    try:
        yield guard
    finally:
        active = before


def dump_records(worker: str) -> Path | None:
    """Write this process's records where JOBDECK_IAM_RECORDS says (nothing when it is not set)."""
    folder = os.environ.get(RECORDS_ENV)
    if not folder or active is None:
        return None
    path = Path(folder) / f"{worker}.json"
    active.ledger.dump(path)
    return path
