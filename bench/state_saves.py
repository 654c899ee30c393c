"""What keeping the local stack's state costs (local/moto_state.py): a save while runs go on, with a
large history and with files in the bucket, and a load at start.

A save while jobs run rewrites DynamoDB's part (and the small ones that deliver messages). Requests
are held at the gate only while the process forks; the forked copy pickles and writes. Files in the
bucket are in S3's part, which a DynamoDB write does not rewrite. A kill -9 loses what changed in
the last second and during the save under way. Measured on moto in this process (the local stack's
is in its child, the same code); a save's time is wall time, shared with whatever else runs."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3

from bench import aws
from bench.job_list import finished_task
from bench.report import Figure, Table
from jobdeck.store.convert import item_from_task
from jobdeck.store.models import TaskModel
from jobdeck_local.moto_state import MotoState
from jobdeck_local.request_gate import Gate
from jobdeck_local.state_dir import StateDir

TASKS = 20_000  # finished tasks in the history: 400 jobs at the 50 that tasks.prune keeps
FILES, FILE_BYTES = 50, 1_000_000
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)


def measure() -> Table:
    with aws.stack() as resources, tempfile.TemporaryDirectory(prefix="jobdeck-bench-") as folder:
        _seed(resources.buckets["DatasourceBucket"])
        state = MotoState(StateDir(Path(folder)), Gate())
        started = time.perf_counter()
        state.save()
        first = time.perf_counter() - started
        size = StateDir(Path(folder)).size()
        parts = state.manifest.parts if state.manifest else {}
        s3_bytes = (Path(folder) / parts["s3"]).stat().st_size
        dynamodb_bytes = (Path(folder) / parts["dynamodb"]).stat().st_size

        state.gate.changed_again({"dynamodb"})  # a run's start or end, as the gate notes it
        started = time.perf_counter()
        state.save()
        running = time.perf_counter() - started
        held = state.last_save_seconds

        started = time.perf_counter()
        MotoState(StateDir(Path(folder)), Gate()).load()
        loaded = time.perf_counter() - started

    table = Table(f"Local state: {TASKS:,} finished tasks and {FILES} files of {FILE_BYTES // 1_000_000} MB")
    table.add(Figure("size on disk", size / 1e6, "MB", digits=1))
    table.add(Figure("  DynamoDB's part", dynamodb_bytes / 1e6, "MB", digits=1))
    table.add(Figure("  S3's part", s3_bytes / 1e6, "MB", digits=1))
    table.add(Figure("first save (every service)", first * 1000, "ms", digits=0))
    table.add(
        Figure("a save while runs go on (DynamoDB changed)", running * 1000, "ms", target=500, digits=0, headline=True)
    )
    table.add(Figure("  of which requests held at the gate", held * 1000, "ms", digits=0))
    table.add(Figure("load at start", loaded * 1000, "ms", digits=0))
    return table


def _seed(bucket: str) -> None:
    with TaskModel.batch_write() as batch:
        for index in range(TASKS):
            task = finished_task(f"job-{index % 400:03}", NOW - timedelta(minutes=index))
            batch.save(item_from_task(task, 30))
    s3 = boto3.client("s3")
    body = bytes(range(256)) * (FILE_BYTES // 256)
    for index in range(FILES):
        s3.put_object(Bucket=bucket, Key=f"photos/{index:03}.jpg", Body=body, ContentType="image/jpeg")
