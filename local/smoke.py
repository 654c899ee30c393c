"""`jobdeck smoke`: proof that a Jobdeck works end to end, local or deployed.

Through the admin API and the datasource bucket, as an operator would, it:

- **api**: reaches the API with the token, as an admin (smoke creates jobs);
- **run**: creates a job and runs it now, until FINISHED;
- **upload**: puts an object into the datasource and sees "Index new uploads" take it;
- **hook**: calls a hook bound to a job of its own, until that task is FINISHED;
- **schedule**: a `* * * * *` job's first slot fires within its minute and FINISHES (made first,
  checked last: the wait for the minute overlaps the other checks);
- **cleanup**: deletes what it made, whatever happened before: the object (whose removal event then
  drops it from the node index, which it waits for), its jobs, their tasks and hook.

Each line says PASS, FAIL or SKIP with the check's time; the exit status is 0 when every check that
ran passed, 1 otherwise. Its jobs are `jobdeck-smoke-<run>-<check>`, owned by `jobdeck-smoke`; its
object `jobdeck-smoke/<run>.txt`. What a killed run left behind (older than LEFTOVER_AGE, so never a
run still going) is swept at the start of the next one.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

from jobdeck_local.api_client import Api, ApiError, Unreachable, quoted

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

JOB_PREFIX = "jobdeck-smoke-"
OWNER = "jobdeck-smoke"
OBJECT_PREFIX = "jobdeck-smoke/"
INDEX_JOB = "index-new-uploads"
CHECKS = ("run", "upload", "hook", "schedule")
ACTIVE = {"QUEUED", "RUNNING", "PAUSED"}
LEFTOVER_AGE = timedelta(hours=1)
POLL_SECONDS = 0.5
STOP_WAIT_SECONDS = 15.0  # a stopped RUNNING task ends at its next checkpoint: a log line's is at once
# A scheduled run must start within the minute of its slot ("fires within its minute").
WITHIN_MINUTE = 60.0
INDEX_PAGES = 5  # the index job's newest tasks looked through for ours (50 a page)


class CheckFailed(Exception):
    """Why a check did not pass, in words for the operator."""


@dataclass
class Outcome:
    check: str
    status: str  # PASS, FAIL or SKIP
    seconds: float
    detail: str

    def line(self) -> str:
        return f"  {self.status:<4}  {self.check:<8} {self.seconds:6.1f}s  {self.detail}"


def new_run_id(now: datetime | None = None) -> str:
    """When it started (so an id tells its age) and six random hex digits (two runs at once differ)."""
    return f"{(now or datetime.now(UTC)):%Y%m%d%H%M}-{secrets.token_hex(3)}"


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class Smoke:
    api: Api
    bucket: str | None = None
    s3: Callable[[], S3Client] | None = None  # made on first use: only the upload needs AWS credentials
    timeout: float = 60.0
    out: TextIO = field(default_factory=lambda: sys.stdout)
    run_id: str = field(default_factory=new_run_id)
    made: list[str] = field(default_factory=list)  # job ids, in the order they were created
    uploaded: str | None = None
    schedule_slot: datetime | None = None
    schedule_made: float | None = None  # time.monotonic() when its job was made
    outcomes: list[Outcome] = field(default_factory=list)

    # ------------------------------------------------------------------ the run

    def run(self, skip: frozenset[str] = frozenset()) -> bool:
        began = time.monotonic()
        self._say(f"jobdeck smoke {self.run_id}: {self.api.url}" + (f", bucket {self.bucket}" if self.bucket else ""))
        try:
            if not self._check("api", self.check_api):
                for name in CHECKS:
                    self._report(Outcome(name, "SKIP", 0.0, "not run: the API check failed"))
            else:
                self._sweep()
                # Made first and checked last: the wait for its minute overlaps the other checks.
                scheduled = "schedule" not in skip and self._check("schedule", self.start_schedule, report_pass=False)
                for name, check in (("run", self.check_run), ("upload", self.check_upload), ("hook", self.check_hook)):
                    if name in skip:
                        self._skipped(name)
                    else:
                        self._check(name, check)
                if scheduled:
                    assert self.schedule_made is not None
                    self._check("schedule", self.check_schedule, began=self.schedule_made)
                elif "schedule" in skip:
                    self._skipped("schedule")
        finally:
            self._check("cleanup", self.cleanup)
        ran = [o for o in self.outcomes if o.status != "SKIP"]
        failed = [o.check for o in ran if o.status == "FAIL"]
        took = time.monotonic() - began
        if failed:
            self._say(f"FAILED: {', '.join(failed)} ({len(ran) - len(failed)} of {len(ran)} passed) in {took:.1f}s")
        else:
            self._say(f"passed: {len(ran)} of {len(ran)} in {took:.1f}s")
        return not failed

    def _check(self, name: str, check: Callable[[], str], report_pass: bool = True, began: float | None = None) -> bool:
        """Run one check and report it; `began`: when it really started (the schedule's job was made
        before the other checks ran)."""
        began = time.monotonic() if began is None else began
        try:
            detail = check()
        except (CheckFailed, ApiError, Unreachable, LookupError) as error:
            self._report(Outcome(name, "FAIL", time.monotonic() - began, _why(error)))
            return False
        except Exception as error:  # botocore's credential, endpoint and client errors among them
            self._report(Outcome(name, "FAIL", time.monotonic() - began, f"{type(error).__name__}: {error}"))
            return False
        if report_pass:
            self._report(Outcome(name, "PASS", time.monotonic() - began, detail))
        return True

    def _skipped(self, name: str) -> None:
        self._report(Outcome(name, "SKIP", 0.0, "--skip"))

    def _report(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        self._say(outcome.line())

    def _say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # ------------------------------------------------------------------ the checks

    def check_api(self) -> str:
        self.api.call("GET", "/jobs", limit=1)
        try:
            self.api.call("GET", "/audit", limit=1)  # admins only
        except ApiError as error:
            if error.status == 403:
                raise CheckFailed("the token's user is not an admin; smoke creates jobs, it needs an admin") from None
            raise
        return "reached, signed in as an admin"

    def start_schedule(self) -> str:
        job = self._create("schedule", "every minute", schedule={"expression": "* * * * *", "timezone": "UTC"})
        if not job.get("next_run"):
            raise CheckFailed(f"{job['id']} was created without a next run")
        self.schedule_slot, self.schedule_made = _at(job["next_run"]), time.monotonic()
        return ""

    def check_run(self) -> str:
        job = self._create("run", "Run Now")
        task = self.api.call("POST", f"/jobs/{quoted(job['id'])}/run", {})
        self._until_finished(job["id"], task["id"])
        return f"{job['id']}: task {task['id']} FINISHED"

    def check_upload(self) -> str:
        if not self.bucket or self.s3 is None:
            raise CheckFailed("no datasource bucket: pass --bucket or --stack (or --skip upload)")
        index = self.api.call("GET", f"/jobs/{INDEX_JOB}")
        if not index["enabled"]:
            # Suspended by the scheduler after failures, or disabled by an operator: Enable lifts either.
            state = f"suspended ({index['paused_reason']})" if index.get("paused_reason") else "disabled"
            raise CheckFailed(f"{INDEX_JOB} is {state}: enable it, or --skip upload")
        key = f"{OBJECT_PREFIX}{self.run_id}.txt"
        since = datetime.now(UTC)
        self.s3().put_object(
            Bucket=self.bucket, Key=key, Body=f"jobdeck smoke {self.run_id}\n".encode(), ContentType="text/plain"
        )
        self.uploaded = key
        task = self._index_task(key, "ObjectCreated", since)
        return f"s3://{self.bucket}/{key} indexed by {INDEX_JOB} (task {task['id']})"

    def check_hook(self) -> str:
        slug = f"{JOB_PREFIX}{self.run_id}"
        job = self._create("hook", "hook", hooks=[{"slug": slug, "admins_only": True}])
        tasks = self.api.call("POST", f"/hooks/{slug}", {"smoke": self.run_id})
        mine = [t for t in tasks if t["job_id"] == job["id"]]
        if len(mine) != 1:
            raise CheckFailed(f"POST /hooks/{slug} queued {len(mine)} tasks of {job['id']}, not 1")
        self._until_finished(job["id"], mine[0]["id"])
        return f"POST /hooks/{slug}: task {mine[0]['id']} of {job['id']} FINISHED"

    def check_schedule(self) -> str:
        assert self.schedule_slot is not None
        job_id, slot = self._job_id("schedule"), self.schedule_slot
        deadline = slot.timestamp() + self.timeout
        while (task := self._slot_task(job_id, slot)) is None:
            if time.time() > deadline:
                raise CheckFailed(f"no run of {job_id} for its slot {slot:%H:%M:%S}Z, {self.timeout:.0f}s after it")
            time.sleep(POLL_SECONDS)
        task = self._until_finished(job_id, task["id"], deadline)
        lag = (_at(task["started_at"]) - slot).total_seconds()
        if lag >= WITHIN_MINUTE:
            raise CheckFailed(f"the run for {slot:%H:%M:%S}Z started {lag:.1f}s late, not within its minute")
        return f"'* * * * *' fired for {slot:%H:%M:%S}Z, started {lag:.2f}s after it, FINISHED"

    def cleanup(self) -> str:
        problems, done = [], [f"{len(self.made)} jobs deleted with their tasks"]
        if self.uploaded and self.bucket and self.s3 is not None:
            since = datetime.now(UTC)
            try:
                self.s3().delete_object(Bucket=self.bucket, Key=self.uploaded)
            except Exception as error:
                problems.append(f"s3://{self.bucket}/{self.uploaded} ({_why(error)})")
            else:
                try:
                    self._index_task(self.uploaded, "ObjectRemoved", since)
                    done.append("the object deleted and dropped from the node index")
                except (CheckFailed, ApiError, Unreachable) as error:
                    problems.append(
                        f"the object is deleted but the node index may still list it ({_why(error)}; "
                        "sync-datasource corrects it within the hour)"
                    )
        for job_id in reversed(self.made):
            try:
                self._remove_job(job_id)
            except (CheckFailed, ApiError, Unreachable) as error:
                problems.append(f"{job_id} ({_why(error)})")
        if problems:
            raise CheckFailed(
                "left behind (the next run sweeps jobs and objects after an hour): " + "; ".join(problems)
            )
        return ", ".join(done)

    # ------------------------------------------------------------------ jobs and tasks

    def _job_id(self, check: str) -> str:
        return f"{JOB_PREFIX}{self.run_id}-{check}"

    def _create(self, check: str, label: str, **fields: Any) -> dict[str, Any]:
        body = {
            "id": self._job_id(check),
            "label": f"Smoke test {self.run_id}: {label}",
            "description": "Made by `jobdeck smoke`; deleted when it ends.",
            "owner": OWNER,
            "actions": [{"action": "log.message", "parameters": {"message": f"jobdeck smoke {self.run_id}"}}],
            "timeout_seconds": 300,
            "history_days": 1,  # should a cleanup fail, its history expires the next day
            "notify": {"topic": False},  # a failed smoke says so itself; the on-call topic stays quiet
            **fields,
        }
        job: dict[str, Any] = self.api.call("POST", "/jobs", body)
        self.made.append(job["id"])
        return job

    def _until_finished(self, job_id: str, task_id: str, deadline: float | None = None) -> dict[str, Any]:
        deadline = deadline or time.time() + self.timeout
        path = f"/jobs/{quoted(job_id)}/tasks/{quoted(task_id)}"
        task: dict[str, Any] = self.api.call("GET", path)
        while task["status"] in ACTIVE:
            if time.time() > deadline:
                raise CheckFailed(f"task {task_id} of {job_id} still {task['status']} after {self.timeout:.0f}s")
            time.sleep(POLL_SECONDS)
            task = self.api.call("GET", path)
        if task["status"] != "FINISHED":
            raise CheckFailed(f"task {task_id} of {job_id} ended {task['status']}: {task.get('message') or ''}")
        return task

    def _tasks(self, job_id: str, pages: int = 1) -> Iterator[dict[str, Any]]:
        cursor = None
        for _ in range(pages):
            page = self.api.call("GET", f"/jobs/{quoted(job_id)}/tasks", limit=50, cursor=cursor)
            yield from page["items"]
            if not (cursor := page.get("cursor")):
                return

    def _slot_task(self, job_id: str, slot: datetime) -> dict[str, Any] | None:
        return next((t for t in self._tasks(job_id) if t["scheduled_for"] and _at(t["scheduled_for"]) == slot), None)

    def _index_task(self, key: str, kind: str, since: datetime) -> dict[str, Any]:
        """The index job's task for this object's event, once FINISHED."""
        deadline = time.time() + self.timeout
        # Newest first: looking stops at tasks made well before the upload (clocks may differ a little).
        oldest = since - timedelta(minutes=1)
        while True:
            for task in self._tasks(INDEX_JOB, pages=INDEX_PAGES):
                if _at(task["created_at"]) < oldest:
                    break
                event = task["trigger"]["detail"].get("event") or {}
                if event.get("key") == key and event.get("type") == kind and event.get("bucket") == self.bucket:
                    return self._until_finished(INDEX_JOB, task["id"], deadline)
            if time.time() > deadline:
                raise CheckFailed(f"{INDEX_JOB} took no {kind} event of {key} within {self.timeout:.0f}s")
            time.sleep(POLL_SECONDS)

    def _remove_job(self, job_id: str) -> None:
        """Disable (no new slot is claimed), stop what is active, then delete with the history."""
        try:
            self.api.call("POST", f"/jobs/{quoted(job_id)}/disable")
        except ApiError as error:
            if error.status == 404:
                return
            raise
        deadline = time.time() + STOP_WAIT_SECONDS
        while active := [t for t in self._tasks(job_id) if t["status"] in ACTIVE]:
            if time.time() > deadline:
                raise CheckFailed(f"tasks {', '.join(t['id'] for t in active)} did not stop")
            for task in active:
                if not task.get("stop_requested_by"):
                    try:
                        self.api.call("POST", f"/jobs/{quoted(job_id)}/tasks/{quoted(task['id'])}/stop")
                    except ApiError as error:
                        if error.status != 409:  # it ended meanwhile
                            raise
            time.sleep(POLL_SECONDS)
        self.api.call("DELETE", f"/jobs/{quoted(job_id)}")

    def _sweep(self) -> None:
        """Remove what runs killed before their cleanup left, once it is old enough to be no live run's."""
        old = datetime.now(UTC) - LEFTOVER_AGE
        swept: list[str] = []
        try:
            cursor = None
            while True:
                page = self.api.call("GET", "/jobs", owner=OWNER, limit=200, cursor=cursor)
                for job in page["items"]:
                    if job["id"].startswith(JOB_PREFIX) and _at(job["created_at"]) < old:
                        self._remove_job(job["id"])
                        swept.append(job["id"])
                if not (cursor := page.get("cursor")):
                    break
            if self.bucket and self.s3 is not None:
                listing = self.s3().list_objects_v2(Bucket=self.bucket, Prefix=OBJECT_PREFIX).get("Contents", [])
                for item in listing:
                    if item["LastModified"] < old:
                        self.s3().delete_object(Bucket=self.bucket, Key=item["Key"])
                        swept.append(f"s3://{self.bucket}/{item['Key']}")
        except Exception as error:  # a sweep is a courtesy: the checks say what is really wrong
            self._say(f"  note  could not sweep what earlier runs left: {_why(error)}")
        if swept:
            self._say(f"  note  swept what earlier runs left: {', '.join(swept)}")


def _why(error: BaseException) -> str:
    if isinstance(error, ApiError):
        problems = "".join(f"; {p.get('field')}: {p.get('problem')}" for p in error.problems)
        return f"the API answered {error.status}: {error.message}{problems}"
    return str(error)


# ------------------------------------------------------------------ the command line


def add_parser(commands: Any, connection: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "smoke",
        parents=[connection],
        help="prove a Jobdeck works: Run Now, an upload indexed, a hook, a schedule; then clean up",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="exit status: 0 every check that ran passed, 1 one failed, 2 the command line is wrong",
    )
    p.add_argument(
        "--stack",
        help="a deployed stack's name: its ApiUrl (unless --api) and DatasourceBucketName (unless --bucket)",
    )
    p.add_argument("--bucket", help="the datasource bucket the upload goes to")
    p.add_argument("--profile", help="the AWS profile for the upload and --stack (else the usual credential chain)")
    p.add_argument("--region", help="the stack's region (else the profile's or AWS_REGION)")
    p.add_argument("--endpoint-url", help="the AWS endpoint of the upload: the local stack's, http://127.0.0.1:4566")
    p.add_argument("--skip", action="append", default=[], choices=CHECKS, help="leave a check out (repeatable)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds each check waits (default 60)")
    p.set_defaults(handler=cmd_smoke)


def cmd_smoke(api: Api, args: argparse.Namespace) -> int:
    import boto3  # only smoke needs the AWS SDK; the other commands speak HTTP alone

    from jobdeck_local.deployed_stack import DeployedStack
    from jobdeck_local.temporary_admin import can_make, temporary_admin

    session = boto3.Session(profile_name=args.profile, region_name=args.region)
    bucket, stack = args.bucket, None
    if args.stack:
        try:
            stack = DeployedStack.describe(session, args.stack)
            if stack is None:
                raise LookupError(f"no stack {args.stack} in {session.region_name or 'the default region'}")
            if args.api is None:  # the stack is more specific than JOBDECK_API; --api beats both
                api.url = stack.output("ApiUrl")
            bucket = bucket or stack.output("DatasourceBucketName")
        except Exception as error:
            print(f"jobdeck smoke: error: --stack {args.stack}: {_why(error)}", file=sys.stderr)
            return 2
    if "upload" not in args.skip and not bucket:
        print(
            "jobdeck smoke: error: the upload check needs the datasource bucket: --bucket NAME or --stack NAME "
            "(or --skip upload)",
            file=sys.stderr,
        )
        return 2
    if not api.token and not (stack and can_make(stack)):
        print(
            "jobdeck smoke: error: no token: pass an admin's --token or set JOBDECK_TOKEN "
            "(or name a stack with a Cognito pool: --stack, and smoke signs in as a temporary admin)",
            file=sys.stderr,
        )
        return 2

    @functools.cache
    def s3() -> S3Client:
        # No --endpoint-url: botocore's own (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3, the profile's).
        return session.client("s3", endpoint_url=args.endpoint_url)

    smoke = Smoke(api, bucket=bucket, s3=s3, timeout=args.timeout)
    try:
        with contextlib.ExitStack() as scope:
            if not api.token:
                assert stack is not None
                try:
                    admin = scope.enter_context(temporary_admin(session, stack))
                except Exception as error:
                    why = f"a temporary admin in {args.stack}'s pool: {_why(error)}"
                    print(f"jobdeck smoke: error: {why}", file=sys.stderr)
                    return 1
                api.token = admin.token
                print(f"signed in as {admin.username}, a temporary admin deleted at the end", flush=True)
            return 0 if smoke.run(frozenset(args.skip)) else 1
    except KeyboardInterrupt:
        left = ", ".join(smoke.made) or "nothing"
        print(f"\ninterrupted; jobs possibly left: {left} (the next run sweeps them after an hour)", file=sys.stderr)
        return 130
