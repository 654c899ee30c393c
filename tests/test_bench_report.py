"""What `make bench` writes for the docs: the summary table (bench/results/latest.md, included by
docs/performance.md) and a line of history per run."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bench.report import Figure, Run, Table


def _run() -> Run:
    writes = Table("Writes", [Figure("write requests per run", 3.0, target=3.0), Figure("  PutItem", 1.0)])
    lag = Table(
        "Start lag",
        [
            Figure("start lag p50", 0.06, unit="s", headline=True),
            Figure("start lag p99", 1.4, unit="s", target=1.0),
            Figure("ratio | with a bar", 0.4, target=0.5, at_least=True),
        ],
    )
    return Run(
        datetime(2026, 12, 1, 2, 15, tzinfo=UTC),
        294.4,
        "Linux, 2 CPUs, Python 3.12.1",
        {
            "writes": writes,
            "start_lag": lag,
        },
    )


def test_the_summary_holds_the_figures_with_a_target_and_the_headlines_only():
    lines = _run().markdown().splitlines()
    assert lines[0] == "Run of 2026-12-01 02:15 UTC on Linux, 2 CPUs, Python 3.12.1, in 4 min 54 s: 1 PASS, 2 MISS."
    assert lines[2:] == [
        "| benchmark | figure | value | target | result |",
        "|---|---|---|---|---|",
        "| writes | write requests per run | 3.00 | <= 3 | PASS |",
        "| start lag | start lag p50 | 0.06 s | - | info |",
        "| start lag | start lag p99 | 1.40 s | <= 1 s | MISS |",
        "| start lag | ratio \\| with a bar | 0.40 | >= 0.5 | MISS |",
    ]


def test_the_history_line_keeps_every_figure_of_every_table():
    line = json.loads(_run().json_line())
    assert line["started_at"] == "2026-12-01T02:15:00+00:00" and line["seconds"] == 294.4
    assert [f["name"] for f in line["figures"]["writes"]] == ["write requests per run", "  PutItem"]
    assert [f["verdict"] for f in line["figures"]["start_lag"]] == ["info", "MISS", "MISS"]
