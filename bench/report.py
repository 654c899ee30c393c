"""Figures and the plain-text tables they are printed in."""

from __future__ import annotations

from dataclasses import dataclass, field


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
