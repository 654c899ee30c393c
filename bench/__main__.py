"""`python -m bench`: run every benchmark and print its figures, one table each, then the summary
table; write the summary to bench/results/latest.md (which docs/performance.md includes) and every
figure to bench/results/history.jsonl (one line a run)."""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench import (  # each imports bench.aws (the fake AWS) before jobdeck
    api_load,
    compress,
    cost,
    imports,
    job_list,
    pipeline,
    routing,
    start_lag,
    state_saves,
    sync,
    tick_scaling,
    writes,
)
from bench.report import Run, Table

BENCHMARKS: list[Callable[[], Table]] = [
    writes.measure,
    tick_scaling.measure,
    job_list.measure,
    routing.measure,
    sync.measure,
    imports.measure,
    pipeline.measure,
    start_lag.measure,
    cost.measure,
    compress.measure,
    api_load.measure,
    state_saves.measure,
]
RESULTS = Path(__file__).resolve().parent / "results"


def main() -> int:
    started_at, started = datetime.now(UTC), time.perf_counter()
    tables: dict[str, Table] = {}
    for measure in BENCHMARKS:
        table = measure()
        tables[measure.__module__.rsplit(".", 1)[-1]] = table
        print(table.render(), end="\n\n", flush=True)
    machine = f"{platform.system()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    run = Run(started_at, time.perf_counter() - started, machine, tables)
    summary = Table("Summary: every figure with a target, and the headline figures")
    summary.figures = [figure for _, figure in run.summary()]
    print(summary.render(), end="\n\n", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text(run.markdown())
    with (RESULTS / "history.jsonl").open("a") as history:
        history.write(run.json_line() + "\n")
    print(f"{run.verdicts('PASS')} figures PASS, {run.verdicts('MISS')} MISS, in {run.seconds:.0f} s")
    print(f"written: {RESULTS / 'latest.md'} (the docs' table), a line of {RESULTS / 'history.jsonl'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
