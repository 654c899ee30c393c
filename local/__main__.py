"""`python -m jobdeck_local` (what `make run` starts)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from jobdeck.datasources import InvalidDatasources, parse
from jobdeck_local.moto_process import LOCK_WAIT, MotoNotStarted, StateNotLoaded
from jobdeck_local.stack import LocalStack
from jobdeck_local.state_dir import DEFAULT, StateDir, StateRefused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jobdeck_local", description="Run Jobdeck against an embedded moto server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566, help="the AWS endpoint (moto)")
    parser.add_argument("--api-port", type=int, default=8000, help="the admin API and console (0: any free port)")
    parser.add_argument(
        "--state",
        type=Path,
        default=DEFAULT,
        help=f"the folder that keeps tables, objects, queues, rules and schedules across restarts (default {DEFAULT})",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="start empty: the state there was is moved aside, not deleted"
    )
    parser.add_argument(
        "--datasource",
        action="append",
        metavar="NAME=BUCKET[/PREFIX]",
        help="attach a bucket (made at the endpoint if missing) as a datasource; repeat it, or give a comma list. "
        "Kept with the state: a later start without it attaches the same ones; --datasource '' none",
    )
    args = parser.parse_args(argv)
    try:
        datasources = given_datasources(args.datasource)
    except InvalidDatasources as e:
        parser.error(f"--datasource {e}")

    try:
        if args.fresh:
            aside = StateDir(args.state).move_aside(LOCK_WAIT)
            moved = f"the previous state was moved to {aside}" if aside else f"there was no state in {args.state}"
            print(f"--fresh: starting with an empty state ({moved}).", flush=True)
    except StateRefused as e:
        print(f"jobdeck_local: {e}", file=sys.stderr)
        return 2

    # Ctrl-C and SIGTERM only set a flag: the stack then stops in order, wherever the signal landed.
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    stack = LocalStack(
        host=args.host, port=args.port, api_port=args.api_port, state=args.state, datasources=datasources
    )
    try:
        stack.start()
    except StateNotLoaded as exc:
        stack.stop()
        print(f"jobdeck_local: {exc}", file=sys.stderr, flush=True)
        return 2
    except MotoNotStarted as exc:  # what moto's process said is the whole story: no traceback
        stack.stop()
        print(exc, file=sys.stderr, flush=True)
        return 1
    try:
        print(stack.banner(), flush=True)
        while not stopped.wait(0.5):
            pass
    finally:
        print("\nstopping…", flush=True)
        stack.stop()
        print("stopped.", flush=True)
    return 0


def given_datasources(values: list[str] | None) -> str | None:
    """The Datasources value of the --datasource options (each an entry or a comma list), checked;
    None when none was given (the state's are used), "" when only empty ones were (none at all)."""
    if values is None:
        return None
    spec = ",".join(entry.strip() for value in values for entry in value.split(",") if entry.strip())
    parse(spec)
    return spec


if __name__ == "__main__":
    sys.exit(main())
