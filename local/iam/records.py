"""What the check saw: each attributed request's needs and how the role answered, counted.

A process keeps its records in memory; a pytest run (each pytest-xdist worker) writes them to the
folder `JOBDECK_IAM_RECORDS` names, one JSON file per process, for the report to read together.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

UNMAPPED = "(unmapped)"  # the action of a record whose operation OPERATIONS does not know


@dataclass(frozen=True)
class Record:
    function: str | None  # None: a request no function made (a test's set-up, the stack's provisioning)
    operation: str  # "<service>:<Operation>", botocore's names
    action: str = ""  # what IAM checks, "dynamodb:PutItem"
    resource: str = ""
    allowed: bool = True  # by the role the process checked with (the report evaluates again)
    reason: str = ""  # why it was denied
    caller: str = ""  # where in Jobdeck's code the request was made (file:line), to name it if denied
    context: tuple[tuple[str, str], ...] = ()  # the request's condition keys (authorization.Need.context)
    datasources: str = ""  # the Datasources the roles were resolved with (JOBDECK_DATASOURCES then)


class Ledger:
    def __init__(self) -> None:
        self._counts: Counter[Record] = Counter()
        self._lock = threading.Lock()

    def add(self, record: Record) -> None:
        with self._lock:
            self._counts[record] += 1

    def counts(self) -> Counter[Record]:
        with self._lock:
            return Counter(self._counts)

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()

    def dump(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = [{**asdict(record), "count": count} for record, count in self.counts().items()]
        path.write_text(json.dumps(rows, indent=0))


def load(folder: Path) -> Counter[Record]:
    """Every record the processes of one run wrote into `folder`, counted together."""
    total: Counter[Record] = Counter()
    for path in sorted(folder.glob("*.json")):
        for row in json.loads(path.read_text()):
            count = row.pop("count")
            row["context"] = tuple(tuple(pair) for pair in row.get("context", ()))  # JSON made them lists
            total[Record(**row)] += count
    return total
