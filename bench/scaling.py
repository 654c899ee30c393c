"""How one operation's time grows with the table: timed repetitions at a small and a large size,
and the figures that compare them, with and without moto's own service time (moto's Query reads
the whole partition behind an index, which DynamoDB does not)."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

from bench.aws import CallLog
from bench.report import Figure, Table


@dataclass
class Sample:
    jobs: int
    seed_seconds: float
    calls: list[CallLog]  # the DynamoDB requests of each timed repetition
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def median_service(self, operation: str | None = None) -> float:
        """moto's time emulating DynamoDB within a repetition (for one operation, or all)."""
        return statistics.median(log.service_seconds(operation) for log in self.calls)

    @property
    def median_outside_service(self) -> float:
        """A repetition less moto's emulation: Jobdeck, botocore, PynamoDB and the other services."""
        return statistics.median(s - log.service_seconds() for s, log in zip(self.seconds, self.calls, strict=True))

    def items_read(self) -> Counter[str]:
        return self.calls[-1].items_read()


def time_figures(
    table: Table, what: str, small: Sample, large: Sample, operations: tuple[str, ...], target: float
) -> None:
    """`what` time at both sizes and the ratio, moto's share by operation, then both again without it."""
    for s in (small, large):
        table.add(Figure(f"{what} time, {s.jobs:,} jobs", s.median * 1000, unit="ms", digits=1))
    table.add(Figure(f"{what} time ratio", large.median / small.median, target=target))
    for s in (small, large):
        table.add(Figure(f"  moto's service time, {s.jobs:,} jobs", s.median_service() * 1000, unit="ms", digits=1))
        for operation in operations:
            table.add(Figure(f"    {operation}", s.median_service(operation) * 1000, unit="ms", digits=1))
    for s in (small, large):
        without = s.median_outside_service * 1000
        table.add(Figure(f"{what} time without moto's, {s.jobs:,} jobs", without, unit="ms", digits=1))
    ratio = large.median_outside_service / small.median_outside_service
    table.add(Figure(f"{what} time ratio without moto's", ratio, target=target))
