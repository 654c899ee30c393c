"""`python -m bench`: run every benchmark and print its figures, one table each."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from bench import job_list, routing, tick_scaling, writes  # each imports bench.aws (the fake AWS) before jobdeck
from bench.report import Table

BENCHMARKS: list[Callable[[], Table]] = [writes.measure, tick_scaling.measure, job_list.measure, routing.measure]


def main() -> int:
    started = time.perf_counter()
    tables: list[Table] = []
    for measure in BENCHMARKS:
        table = measure()
        tables.append(table)
        print(table.render(), end="\n\n", flush=True)
    missed = sum(1 for table in tables for figure in table.figures if figure.verdict == "MISS")
    passed = sum(1 for table in tables for figure in table.figures if figure.verdict == "PASS")
    print(f"{passed} figures PASS, {missed} MISS, in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
