"""Jobdeck on a laptop: a moto server as the AWS endpoint, the template's resources on it, the
system jobs registered, the template's functions driven by a clock and queue pollers, and the
admin API behind a local API Gateway with a dev token issuer."""

from __future__ import annotations

import gc
import os
import shutil
import socket
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jobdeck.datasources import parse
from jobdeck_local import template
from jobdeck_local.http_front import HttpFront, function_available
from jobdeck_local.iam import guard
from jobdeck_local.lambda_runtime import freeze_held, load_handler
from jobdeck_local.moto_process import MotoProcess
from jobdeck_local.provision import Resources, provision
from jobdeck_local.recovery import Recovered, recover_runs
from jobdeck_local.state_dir import Manifest, StateDir
from jobdeck_local.stream_poller import StreamPoller
from jobdeck_local.tokens import signing_key
from jobdeck_local.triggers import Clock, QueuePoller

REGION = "us-east-1"


def free_port() -> int:
    """A port nobody listens on now (for a stack started by a test or a benchmark)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Invocations at once per SQS event source when the template sets no MaximumConcurrency (Lambda
# would scale up to the account's limit): a few, for a laptop.
DEFAULT_CONCURRENCY = 4


def concurrency(source: dict[str, Any]) -> int:
    """An SQS event source's MaximumConcurrency, its parameter's default when it names one."""
    limit = source.get("ScalingConfig", {}).get("MaximumConcurrency", DEFAULT_CONCURRENCY)
    if isinstance(limit, dict) and "Ref" in limit:
        limit = template.load()["Parameters"][limit["Ref"]]["Default"]
    return int(limit)


@dataclass
class LocalStack:
    host: str = "127.0.0.1"
    port: int = 4566
    clock_period: float = 60.0
    run_clock: bool = True
    api_port: int = 8000  # 0: any free port
    run_api: bool = True
    stop_event: threading.Event = field(default_factory=threading.Event)
    resources: Resources | None = None
    clocks: list[Clock] = field(default_factory=list)
    pollers: list[QueuePoller] = field(default_factory=list)
    streams: list[StreamPoller] = field(default_factory=list)
    api: HttpFront | None = None  # once started, and only when the template's ApiFunction exists
    moto: MotoProcess | None = None
    state: Path | None = None  # the folder kept across restarts (state_dir); None: nothing outlives the stack
    # The datasources attached (the template's Datasources parameter: name=bucket[/prefix],...). None:
    # those the state kept from its last start (StateDir.datasources), if any.
    datasources: str | None = None
    restored: Manifest | None = None  # the state found in it at start, if any
    restored_bytes: int = 0
    recovered: Recovered | None = None  # what became of the runs the stopped stack left RUNNING
    _environ: dict[str, str] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LocalStack:
        # Each handler's requests are checked against its role: what it would be denied in AWS is
        # denied here (jobdeck_local.iam). Before any client, which would otherwise miss the hook.
        guard.install()
        self.datasources = self._attached()
        if self.state is not None:
            self.state = self.state.resolve()
            self.restored_bytes = StateDir(self.state).size()
        self.moto = MotoProcess(self.host, self.port, self.state).start()
        if self.state is not None:
            self.restored = StateDir(self.state).manifest()  # read after moto accepted it
        self._environ = dict(os.environ)
        os.environ.update(
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ACCESS_KEY_ID="local",
            AWS_SECRET_ACCESS_KEY="local",
            AWS_DEFAULT_REGION=REGION,
            AWS_REGION=REGION,
            POWERTOOLS_TRACE_DISABLED="true",
            POWERTOOLS_METRICS_DISABLED="true",  # CloudWatch's metric lines would drown the console
        )
        self.resources = provision(REGION, self.datasources)
        if self.state is not None:
            StateDir(self.state).remember_datasources(self.datasources)
        for function_id in template.resources("AWS::Serverless::Function"):
            os.environ.update(self.resources.environment(function_id))

        from jobdeck import clients, jobs_as_code, store, system_jobs  # after the environment names tables and endpoint

        clients.reset()
        store.reset()
        self._wire_triggers()
        # Every queue's invocations at once, and a margin for the clocks' and the API's requests.
        store.connect(at_once=sum(poller.concurrency for poller in self.pollers) + 10)
        system_jobs.ensure()
        jobs_as_code.install(template.ROOT / "jobs")
        for stream in self.streams:
            stream.prime()  # before the recovery: the runs it ends are announced too
        self.recovered = recover_runs(datetime.now(UTC))  # before the pollers: no runner of ours is alive yet
        for thread in [*self.clocks, *self.pollers, *self.streams]:
            thread.start()
        if self.run_api and function_available("ApiFunction"):
            key = signing_key(StateDir(self.state).key_file) if self.state is not None else None
            self.api = HttpFront(host=self.host, port=self.api_port, key=key).start()
        # Left unfrozen, a full collection in a burst of runs stopped every invocation for half a
        # second (300,000 objects, in a process that had run other work before the stack).
        freeze_held()
        return self

    def _attached(self) -> str:
        """The datasources to attach, checked before anything starts (InvalidDatasources says what
        is wrong): those given, else those the state remembers. As `sam deploy` keeps a parameter
        it is not given, a restart keeps them; `--datasource ""` detaches them all."""
        given = self.datasources
        if given is None:
            given = StateDir(self.state).datasources() if self.state is not None else ""
        parse(given)
        return given

    def _wire_triggers(self) -> None:
        """The template's clocks and queue pollers, made, not started."""
        assert self.resources is not None
        for function_id, props in template.resources("AWS::Serverless::Function").items():
            for source in props.get("Events", {}).values():
                if source["Type"] == "Schedule" and self.run_clock:
                    self.clocks.append(
                        Clock(function_id, load_handler(function_id), self.stop_event, self.clock_period)
                    )
                elif source["Type"] == "SQS":
                    queue_id = source["Properties"]["Queue"]["Fn::GetAtt"][0]
                    self.pollers.append(
                        QueuePoller(
                            function_id,
                            load_handler(function_id),
                            self.resources.queues[queue_id],
                            self.resources.queue_arns[queue_id],
                            int(source["Properties"].get("BatchSize", 10)),
                            self.stop_event,
                            concurrency(source["Properties"]),
                        )
                    )
                elif source["Type"] == "DynamoDB":
                    self.streams.append(self._stream_poller(function_id, source["Properties"]))

    def _stream_poller(self, function_id: str, props: dict[str, Any]) -> StreamPoller:
        assert self.resources is not None
        table_id = props["Stream"]["Fn::GetAtt"][0]
        destination = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        return StreamPoller(
            function_id,
            load_handler(function_id),
            self.resources.tables[table_id],
            int(props.get("BatchSize", 100)),
            int(props.get("MaximumRetryAttempts", 0)),
            self.resources.queues[destination["Fn::GetAtt"][0]] if destination else None,
            self.stop_event,
        )

    def stop(self) -> None:
        gc.unfreeze()  # what start froze can be garbage once the stack is gone
        if self.api is not None:
            self.api.stop()
            self.api = None
        self.stop_event.set()
        for thread in [*self.clocks, *self.pollers, *self.streams]:
            thread.join(timeout=5)
        for poller in self.pollers:
            poller.wait_idle(timeout=5)  # a run longer than that is abandoned, as a killed Lambda's
        if self.moto is not None:
            self.moto.stop()
            self.moto = None
        if self._environ is not None:  # leave the process as it was: environment and clients
            os.environ.clear()
            os.environ.update(self._environ)
            self._environ = None
            from jobdeck import clients, store

            clients.reset()
            store.reset()

    def banner(self) -> str:
        assert self.resources is not None
        bucket = next(iter(self.resources.buckets.values()))
        lines = [
            "Jobdeck is running locally.",
            f"  AWS endpoint (moto): {self.endpoint}",
            f"  tables:              {', '.join(self.resources.tables.values())}",
            f"  datasource bucket:   {bucket}",
            f"  datasources:         {self._datasources_line(bucket)}",
            f"  queues:              {', '.join(self.resources.queues.values())}",
            f"  state:               {self._state_line()}",
            "  try:",
            # The stack's own credentials are set in its process only: without these, a shell with no
            # AWS profile got "Unable to locate credentials" and then "You must specify a region".
            f"    export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION={REGION}",
            f"    aws --endpoint-url {self.endpoint} dynamodb scan --table-name "
            f"{self.resources.tables['JobsTable']} --query 'Items[].label.S'",
            f"    aws --endpoint-url {self.endpoint} s3 ls s3://{bucket}/ --recursive",
        ]
        if self.api is not None:
            url, tokens = self.api.url, self.api.tokens
            dev = tokens.dev_tokens()
            lines += [
                f"  admin API:           {url}  (tokens from {tokens.issuer})",
                f"  web console:         {url}/  (sign in as admin or alice)",
                f"  API docs:            {url}/docs",
                "  dev tokens, valid 12 h (admin is in group admins, alice in none):",
                f"    export JOBDECK_ADMIN_TOKEN={dev['admin']}",
                f"    export JOBDECK_USER_TOKEN={dev['alice']}",
                "    export JOBDECK_TOKEN=$JOBDECK_ADMIN_TOKEN",
                f'    curl -H "Authorization: Bearer $JOBDECK_TOKEN" {url}/jobs',
                f"  another user: curl '{tokens.issuer}/dev-token?username=bob&groups=admins'",
                "  prove it works end to end (about a minute; it cleans up after itself):",
                f"    AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local {cli_command()} smoke --api {url} "
                f"--token $JOBDECK_ADMIN_TOKEN --endpoint-url {self.endpoint} --bucket {bucket}",
            ]
        lines.append("  the tick fires every minute; Ctrl-C stops everything and saves the state.")
        return "\n".join(lines)

    def _datasources_line(self, bucket: str) -> str:
        attached = ", ".join(f"{ds.name}=s3://{ds.bucket}/{ds.prefix}" for ds in parse(self.datasources or ""))
        return f"default=s3://{bucket}/" + (
            f", {attached}" if attached else " (add more: --datasource name=bucket[/prefix])"
        )

    def _state_line(self) -> str:
        if self.state is None:
            return "in memory: it ends with the stack"
        if self.restored is None:
            return f"{self.state} (new; saved every second while it changes)"
        line = f"{self.state} ({_size(self.restored_bytes)}, saved {self.restored.saved_at}; restored"
        if self.recovered and (self.recovered.resumed or self.recovered.ended):
            line += f"; of the runs it left RUNNING, {self.recovered.resumed} continue, {self.recovered.ended} ended"
        return line + ")"


def cli_command() -> str:
    """How to call the jobdeck CLI from this shell: `make run` does not put the virtualenv on PATH,
    so a bare `jobdeck` was "command not found" there; its script sits beside this interpreter."""
    script = Path(sys.executable).parent / "jobdeck"
    found = shutil.which("jobdeck")
    if not script.exists() or (found is not None and Path(found).resolve() == script.resolve()):
        return "jobdeck"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def _size(count: float) -> str:
    unit = "B"
    for bigger in ("KB", "MB", "GB"):
        if count < 1000:
            break
        count, unit = count / 1000, bigger
    return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
