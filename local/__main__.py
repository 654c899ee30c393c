"""`python -m jobdeck_local` (what `make run` starts)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from jobdeck_local.moto_process import MotoNotStarted
from jobdeck_local.stack import LocalStack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jobdeck_local", description="Run Jobdeck against an embedded moto server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566, help="the AWS endpoint (moto)")
    parser.add_argument("--api-port", type=int, default=8000, help="the admin API and console (0: any free port)")
    args = parser.parse_args(argv)

    # Ctrl-C and SIGTERM only set a flag: the stack then stops in order, wherever the signal landed.
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    stack = LocalStack(host=args.host, port=args.port, api_port=args.api_port)
    try:
        stack.start()
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


if __name__ == "__main__":
    sys.exit(main())
