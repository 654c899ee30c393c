"""Cold import time of each function (what a Lambda cold start pays before the first event, on top
of the runtime's own start), against a bare `import boto3` measured in the same run.

Each import runs in a fresh interpreter, with the layer and the function's directory first on
sys.path and the environment template.yaml gives that function (POWERTOOLS_TRACE_DISABLED=true,
as deployed by default), and times `import app` (or `import boto3`) alone: the interpreter's own
start is left out of both. The runs are interleaved (boto3, tick, runner, ... then again) so that
the load of a shared machine hits all of them alike; the medians are compared.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench import aws
from bench.report import Figure, Table

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / "layers" / "jobdeck"
RUNS = int(os.environ.get("JOBDECK_BENCH_IMPORT_RUNS", "7"))  # timed imports of each (the median is reported)
BASELINE = "boto3"
# function directory -> (template logical id, target: import time over boto3's; None: shown only)
FUNCTIONS: dict[str, tuple[str, float | None]] = {
    "tick": ("TickFunction", 1.5),
    "runner": ("RunnerFunction", 1.5),
    "events": ("EventsFunction", 1.5),
    # No target on the whole: the libraries it must use take 1.6-1.7 of boto3's time before any of
    # Jobdeck's code runs. Its target is on Jobdeck's own share, below (OWN_SHARE_TARGET).
    "api": ("ApiFunction", None),
    "setup": ("SetupFunction", None),  # once per deploy, as a custom resource
}
# The API's libraries alone (bench/floor/api): how much of the API's target they take before any of
# Jobdeck's code, timed with the API's environment.
FLOOR = "api libraries"
FLOOR_DIR = ROOT / "bench" / "floor" / "api"
# What Jobdeck's own code adds to the API's import (the API's time less its libraries' floor), over
# boto3's: the part of the API's cold start that is ours to keep down.
OWN_SHARE_TARGET = 0.35
_TIMER = (
    "import sys, time\n"
    "sys.path[:0] = {paths!r}\n"
    "cpu, wall = time.process_time(), time.perf_counter()\n"
    "import {module}\n"
    "print(time.process_time() - cpu, time.perf_counter() - wall)\n"
)


def environments() -> dict[str, dict[str, str]]:
    """What each function gets: the fake AWS of the benchmarks (credentials, region, Powertools'
    defaults) and its own variables from template.yaml, resolved against a provisioned stack."""
    base = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ}
    with aws.stack() as resources:  # sets the fake AWS and the runner's variables; taken back after
        fake = {name: value for name, value in os.environ.items() if name.startswith(("AWS_", "POWERTOOLS_"))}
        out = {name: {**base, **fake, **resources.environment(fid)} for name, (fid, _) in FUNCTIONS.items()}
    out[BASELINE] = {**base, **fake}
    out[FLOOR] = out["api"]
    return out


@dataclass(frozen=True)
class Timing:
    cpu: float  # seconds of CPU the import took (other processes' load on the machine left out)
    wall: float


def import_time(name: str, env: dict[str, str]) -> Timing:
    """One cold import in a fresh interpreter."""
    if name == BASELINE:
        paths, module = [], "boto3"
    elif name == FLOOR:
        paths, module = [str(LAYER), str(FLOOR_DIR)], "app"
    else:
        paths, module = [str(LAYER), str(ROOT / "functions" / name)], "app"
    code = _TIMER.format(paths=paths, module=module)
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"importing {name} failed:\n{done.stderr}")
    cpu, wall = done.stdout.strip().splitlines()[-1].split()
    return Timing(float(cpu), float(wall))


def sample(runs: int = RUNS) -> dict[str, list[Timing]]:
    """Each import `runs` times, interleaved; one untimed round first (bytecode caches)."""
    envs = environments()
    names = [BASELINE, *FUNCTIONS, FLOOR]
    timings: dict[str, list[Timing]] = {name: [] for name in names}
    for round_ in range(runs + 1):
        # Rotate the order each round: no import always follows the same one.
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        for name in order:
            timing = import_time(name, envs[name])
            if round_:
                timings[name].append(timing)
    return timings


def measure(runs: int = RUNS) -> Table:
    timings = sample(runs)
    cpu = {name: statistics.median(t.cpu for t in values) for name, values in timings.items()}
    wall = {name: statistics.median(t.wall for t in values) for name, values in timings.items()}
    table = Table(f"Cold import of each function over a bare `import boto3` (fresh interpreters, median of {runs})")
    table.add(Figure("import boto3, CPU time", cpu[BASELINE] * 1000, unit="ms", digits=0, headline=True))
    table.add(Figure("import boto3, wall-clock time", wall[BASELINE] * 1000, unit="ms", digits=0))
    for name, (_, target) in FUNCTIONS.items():
        ratio = cpu[name] / cpu[BASELINE]
        table.add(Figure(f"import {name} over boto3 (CPU time)", ratio, target=target, headline=name == "api"))
        table.add(Figure(f"  import {name}, CPU time", cpu[name] * 1000, unit="ms", digits=0))
        table.add(Figure("  over boto3 in wall-clock time", wall[name] / wall[BASELINE]))
    table.add(Figure("the API's libraries alone over boto3 (CPU time)", cpu[FLOOR] / cpu[BASELINE], headline=True))
    own = cpu["api"] - cpu[FLOOR]
    share = own / cpu[BASELINE]
    table.add(Figure("Jobdeck's own share of the API over boto3 (CPU time)", share, target=OWN_SHARE_TARGET))
    table.add(Figure("  what Jobdeck's code adds to the API, CPU time", own * 1000, unit="ms", digits=0))
    table.notes += [
        "each `import app` in a fresh interpreter (its own start not counted) with the layer and the function on",
        "  sys.path and the function's environment from template.yaml (POWERTOOLS_TRACE_DISABLED=true, the default);",
        "  imports interleaved; the targets are on CPU time, which the other processes on these 2 shared cores",
        "  do not inflate (wall-clock time does, unevenly: shown for reference)",
        "the API's libraries alone: bench/floor/api, Powertools' Logger and HTTP resolver with validation,",
        "  pydantic and PynamoDB, each used once, and none of Jobdeck's code; Jobdeck's own share is the API's",
        "  time less that floor, over boto3's (the API's whole ratio has no target: the floor alone is 1.6-1.7)",
    ]
    return table


if __name__ == "__main__":
    print(measure().render())
