"""`python -m bench`: run every benchmark and print its figures, one table each, then the summary table."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

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
from bench.report import Table

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


def main() -> int:
    started = time.perf_counter()
    tables: list[Table] = []
    for measure in BENCHMARKS:
        table = measure()
        tables.append(table)
        print(table.render(), end="\n\n", flush=True)
    # The one table of the report (the README's): every figure with a target, and each benchmark's headline.
    summary = Table("Summary: every figure with a target, and the headline figures")
    summary.figures = [f for table in tables for f in table.figures if f.target is not None or f.headline]
    print(summary.render(), end="\n\n", flush=True)
    missed = sum(1 for table in tables for figure in table.figures if figure.verdict == "MISS")
    passed = sum(1 for table in tables for figure in table.figures if figure.verdict == "PASS")
    print(f"{passed} figures PASS, {missed} MISS, in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
