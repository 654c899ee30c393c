"""Figures, the plain-text tables they are printed in, and the results file the docs include."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Figure:
    """One measured value; with a target (an upper bound, or a lower one with `at_least`) it passes
    or misses, without one it is shown for context ("info")."""

    name: str
    value: float
    unit: str = ""
    target: float | None = None
    digits: int = 2
    at_least: bool = False
    headline: bool = False  # shown in the summary table even without a target

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "info"
        passed = self.value >= self.target if self.at_least else self.value <= self.target
        return "PASS" if passed else "MISS"

    def shown_value(self) -> str:
        text = f"{self.value:,.{self.digits}f}"
        return f"{text} {self.unit}" if self.unit else text

    def shown_target(self) -> str:
        if self.target is None:
            return "-"
        text = f"{'>=' if self.at_least else '<='} {self.target:g}"
        return f"{text} {self.unit}" if self.unit else text


@dataclass
class Table:
    title: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def render(self) -> str:
        header = ("figure", "value", "target", "result")
        rows = [(f.name, f.shown_value(), f.shown_target(), f.verdict) for f in self.figures]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

        def line(row: tuple[str, str, str, str]) -> str:
            name, value, target, verdict = row
            cells = [
                name.ljust(widths[0]),
                value.rjust(widths[1]),
                target.ljust(widths[2]),
                verdict.ljust(widths[3]),
            ]
            return "  ".join(cells).rstrip()

        out = [self.title, "=" * len(self.title), line(header), "  ".join("-" * w for w in widths)]
        out += [line(row) for row in rows]
        out += [f"  {note}" for note in self.notes]
        return "\n".join(out)


@dataclass(frozen=True)
class Run:
    """What one `make bench` was: when, where, how long, and its figures by benchmark."""

    started_at: datetime
    seconds: float
    machine: str  # "Linux, 2 CPUs, Python 3.12.1"
    tables: dict[str, Table]  # by benchmark (its module's name)

    def summary(self) -> list[tuple[str, Figure]]:
        """Every figure with a target, and each benchmark's headline figures."""
        return [
            (benchmark, f)
            for benchmark, table in self.tables.items()
            for f in table.figures
            if f.target is not None or f.headline
        ]

    def verdicts(self, verdict: str) -> int:
        return sum(1 for table in self.tables.values() for f in table.figures if f.verdict == verdict)

    def markdown(self) -> str:
        """The summary as the Markdown table docs/performance.md includes (bench/results/latest.md)."""
        minutes, seconds = divmod(round(self.seconds), 60)
        out = [
            f"Run of {self.started_at:%Y-%m-%d %H:%M} UTC on {self.machine}, in {minutes} min {seconds} s: "
            f"{self.verdicts('PASS')} PASS, {self.verdicts('MISS')} MISS.",
            "",
            "| benchmark | figure | value | target | result |",
            "|---|---|---|---|---|",
        ]
        for benchmark, f in self.summary():
            cells = [benchmark.replace("_", " "), f.name.strip(), f.shown_value(), f.shown_target(), f.verdict]
            out.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        return "\n".join(out) + "\n"

    def json_line(self) -> str:
        """One line of bench/results/history.jsonl: every figure of every table, for later comparison."""
        return json.dumps(
            {
                "started_at": self.started_at.isoformat(),
                "seconds": round(self.seconds, 1),
                "machine": self.machine,
                "figures": {
                    benchmark: [{**asdict(f), "verdict": f.verdict} for f in table.figures]
                    for benchmark, table in self.tables.items()
                },
            }
        )
