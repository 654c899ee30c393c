"""archive.compress: 200 MB in 200 objects of 1 MB (random bytes: deflate cannot shrink them, the
worst case for its speed and the usual one for photos and videos) into one archive, against a
plain copy of the same objects (GetObject, read, PutObject each) in the same run.

- Throughput, moto in-process (mock_aws): MB of sources a second, the best of a few runs (other
  processes share the machine). The target, compress/copy >= 0.7, is at compression_level 0
  (deflate's stored blocks: CRC-32 and framing, no packing); the default level 6 deflates at some
  30 MB/s a core on incompressible bytes, shown for context: zlib's speed, not the action's. moto
  keeps objects of up to 16 MiB in memory here (MOTO_S3_DEFAULT_KEY_BUFFER_SIZE; 5 MiB by default,
  above which it writes each part to a temporary file, work S3 does on its side). The seconds moto
  spends playing S3 are shown too, and the ratio without them.
- Memory, moto as a server in a child process: the peak growth of this process's Python heap
  (tracemalloc) during the action, over what it held before: the action, its S3 client, urllib3,
  and nothing of the fake S3 (in-process, moto keeps each request's body after answering it, and
  its CompleteMultipartUpload joins the parts in memory). Target <= 64 MB: one 8 MiB part buffer,
  its copy on the way out, one 1 MiB read chunk and what botocore makes of them.

The bucket's EventBridge notifications are off: moto delivers each object event to EventBridge
and SQS within the request itself, and nothing here reads them.
"""

from __future__ import annotations

import os
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from bench import aws
from bench.report import Figure, Table
from jobdeck import actions, clients
from jobdeck.config import Settings
from jobdeck.domain import ActionStep, Job, Task, TaskStatus, TriggerInfo, TriggerType
from jobdeck_local.moto_process import MotoProcess
from jobdeck_local.provision import physical_name
from jobdeck_local.stack import free_port

OBJECTS = 200
OBJECT_BYTES = 1_000_000
MEMORY_TARGET_MB = 64.0
RATIO_TARGET = 0.7
RUNS = 3  # timed runs of the copy and of the level-0 compress; the best counts
MB = 1_000_000
# The memory runs' bucket: the datasource bucket the runner's role grants (the role guard, once a
# local stack started in this process, refuses the action any other, as AWS would).
BUCKET = physical_name("DatasourceBucket")


def measure() -> Table:
    total_mb = OBJECTS * OBJECT_BYTES / MB
    with aws.stack() as resources, _moto_seconds() as in_moto:
        os.environ["MOTO_S3_DEFAULT_KEY_BUFFER_SIZE"] = str(16 * 1024 * 1024)  # aws.stack() restores it
        bucket = resources.buckets["DatasourceBucket"]
        s3 = clients.s3()  # the action's own client, made before anything is timed
        _fill(s3, bucket)
        settings = Settings.from_env()
        copy = min((_timed(lambda: _copy(s3, bucket), in_moto) for _ in range(RUNS)), key=lambda t: t[0])
        zip0 = min((_timed(lambda: _compress(settings, "zip", 0), in_moto) for _ in range(RUNS)), key=lambda t: t[0])
        tar0 = _timed(lambda: _compress(settings, "tar.gz", 0), in_moto)
        zip6 = _timed(lambda: _compress(settings, "zip", 6), in_moto)
        archive_mb = s3.head_object(Bucket=bucket, Key="out/archive.zip")["ContentLength"] / MB
    with _moto_server():
        zip_memory = _peak_growth("zip")
        tar_memory = _peak_growth("tar.gz")

    table = Table(f"archive.compress: {OBJECTS} objects of {OBJECT_BYTES / MB:g} MB ({total_mb:g} MB) into one archive")
    table.add(Figure("copy (get+put each object)", total_mb / copy[0], "MB/s", digits=1))
    table.add(Figure("compress zip, level 0 (stored blocks)", total_mb / zip0[0], "MB/s", digits=1, headline=True))
    table.add(Figure("compress/copy throughput, zip level 0", copy[0] / zip0[0], target=RATIO_TARGET, at_least=True))
    table.add(Figure("  the same, moto's seconds left out", (copy[0] - copy[1]) / (zip0[0] - zip0[1])))
    table.add(Figure("  moto's share of the copy's time", copy[1] / copy[0], digits=2))
    table.add(Figure("  moto's share of the compress's time", zip0[1] / zip0[0], digits=2))
    table.add(Figure("compress tar.gz, level 0", total_mb / tar0[0], "MB/s", digits=1))
    table.add(Figure("compress zip, level 6 (default; zlib-bound)", total_mb / zip6[0], "MB/s", digits=1))
    table.add(Figure("compress/copy throughput, zip level 6", copy[0] / zip6[0]))
    table.add(Figure("archive size / sources (random bytes)", archive_mb / total_mb, digits=3))
    table.add(Figure("peak memory growth, zip level 6 (tracemalloc)", zip_memory / MB, "MB", MEMORY_TARGET_MB, 1))
    table.add(Figure("peak memory growth, tar.gz level 6 (tracemalloc)", tar_memory / MB, "MB", MEMORY_TARGET_MB, 1))
    table.notes.append(
        "throughput: moto in-process, best of the timed runs; memory: moto as a server in a child process"
    )
    return table


def _fill(s3: Any, bucket: str) -> None:
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    for n in range(OBJECTS):
        s3.put_object(Bucket=bucket, Key=f"src/{n:03}.bin", Body=os.urandom(OBJECT_BYTES))


def _copy(s3: Any, bucket: str) -> None:
    for n in range(OBJECTS):
        body = s3.get_object(Bucket=bucket, Key=f"src/{n:03}.bin")["Body"].read()
        s3.put_object(Bucket=bucket, Key=f"copy/{n:03}.bin", Body=body)


def _compress(settings: Settings, fmt: str, level: int) -> None:
    params = {"prefix": "src/", "destination": f"out/archive.{fmt}", "format": fmt, "compression_level": level}
    compress = actions.get("archive.compress")
    assert compress is not None
    [node] = compress.run(_context(settings), compress.validate(params), [])
    if node.size < OBJECTS * OBJECT_BYTES:
        raise RuntimeError(f"the archive has {node.size} bytes, less than its sources")


def _context(settings: Settings) -> actions.ActionContext:
    job = Job(id="bench-compress", label="Bench compress", owner="bench", actions=[ActionStep("archive.compress", {})])
    now = datetime.now(UTC)
    task = Task(
        job_id=job.id,
        id="01JDBENCHCOMPRESS00000000",
        status=TaskStatus.RUNNING,
        trigger=TriggerInfo(TriggerType.MANUAL, by="bench"),
        created_at=now,
        started_at=now,
    )
    return actions.ActionContext(
        job, task, settings, now, lambda message, level="INFO": None, lambda fraction: None, lambda: None
    )


def _timed(run: Callable[[], None], in_moto: list[float]) -> tuple[float, float]:
    """Seconds the run took, and of those the seconds moto spent answering its requests."""
    in_moto[0] = 0.0
    started = time.perf_counter()
    run()
    return time.perf_counter() - started, in_moto[0]


@contextmanager
def _moto_seconds() -> Iterator[list[float]]:
    """Counts the seconds spent in moto answering requests (in-process), into the list's one item."""
    spent = [0.0]
    original = aws.BotocoreStubber.process_request

    def process_request(self: Any, request: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(self, request)
        finally:
            spent[0] += time.perf_counter() - started

    aws.BotocoreStubber.process_request = process_request  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        aws.BotocoreStubber.process_request = original  # type: ignore[method-assign]


@contextmanager
def _moto_server() -> Iterator[None]:
    """moto as an S3 endpoint in a child process, with the bucket filled, for the memory runs."""
    server = MotoProcess("127.0.0.1", free_port()).start()
    saved = dict(os.environ)
    try:
        os.environ.update(AWS_ENDPOINT_URL=server.endpoint, JOBDECK_DATASOURCE_BUCKET=BUCKET)
        clients.reset()
        s3 = clients.s3()  # the action's own: made here, it is part of what the process held before
        s3.create_bucket(Bucket=BUCKET)
        _fill(s3, BUCKET)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        clients.reset()
        server.stop()


def _peak_growth(fmt: str) -> int:
    """The most this process's Python heap grew while the action ran (tracemalloc)."""
    settings = Settings.from_env()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        _compress(settings, fmt, 6)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
