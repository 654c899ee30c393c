"""`jobdeck`: the command line. `jobdeck local` runs the local stack; the other commands talk to
the admin API of a local or deployed stack (`--api` / JOBDECK_API, `--token` / JOBDECK_TOKEN).
Its exit codes are EXIT_CODES (also in --help)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from jobdeck_local import smoke
from jobdeck_local.api_client import Api, ApiError, Unreachable, quoted

DEFAULT_API = "http://127.0.0.1:8000"
EXIT_CODES = (
    "exit codes: 0 done, 1 the task ended badly (or an id was not found), 2 the API refused the request "
    "(4xx) or the command line is wrong, 3 the API could not be reached or failed (5xx)"
)
ENDED_OK = "FINISHED"
ACTIVE = {"QUEUED", "RUNNING", "PAUSED"}
WAIT_POLL_SECONDS = 0.5
FOLLOW_POLL_SECONDS = 1.0
BAR_WIDTH = 20


# ------------------------------------------------------------------ printing


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    lines = [headers, *rows]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines)


def when(value: str | None) -> str:
    """An API timestamp as `2026-11-25 16:22:07Z` (UTC), or `-`."""
    if not value:
        return "-"
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def progress_bar(task: dict[str, Any]) -> str:
    fraction = max(0.0, min(1.0, float(task.get("progress") or 0.0)))
    filled = round(fraction * BAR_WIDTH)
    return f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {fraction:4.0%} {task['status']}"


def log_line(line: dict[str, Any]) -> str:
    return f"{when(line['at'])} {line['level'].upper()} {line['message']}"


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2))


# ------------------------------------------------------------------ commands


def cmd_jobs_list(api: Api, args: argparse.Namespace) -> int:
    page = api.call("GET", "/jobs", limit=args.limit, kind=args.kind)
    items = list(page["items"])
    while args.all_pages and page.get("cursor"):
        page = api.call("GET", "/jobs", limit=args.limit, kind=args.kind, cursor=page["cursor"])
        items += page["items"]
    if args.json:
        print_json({"items": items, "cursor": None if args.all_pages else page.get("cursor")})
        return 0
    rows = []
    for job in items:
        last = job.get("last_task") or {}
        status = "disabled" if not job["enabled"] else last.get("status", "-")
        started = last.get("started_at") or last.get("created_at")
        rows.append([job["id"], job["label"], job["owner"], job["trigger"], when(started), status])
    print(table(["ID", "LABEL", "OWNER", "TRIGGER", "LAST EXECUTION", "STATUS"], rows))
    if page.get("cursor") and not args.all_pages:
        print("(more jobs: --all-pages)", file=sys.stderr)
    return 0


def cmd_jobs_show(api: Api, args: argparse.Namespace) -> int:
    job = api.call("GET", f"/jobs/{quoted(args.job)}")
    preview = api.call("GET", f"/jobs/{quoted(args.job)}/schedule/preview", count=args.count)
    if args.json:
        print_json({"job": job, "preview": preview})
        return 0
    last = job.get("last_task")
    fields = [
        ("id", job["id"]),
        ("label", job["label"]),
        ("description", job["description"] or "-"),
        ("owner", job["owner"]),
        ("kind", job["kind"]),
        ("enabled", "yes" if job["enabled"] else "no"),
        ("trigger", job["trigger"]),
        ("schedule", f"{job['schedule']['expression']} ({job['schedule']['timezone']})" if job["schedule"] else "-"),
        ("version", str(job["version"])),
        ("timeout", duration(job["timeout_seconds"])),
        ("history", f"{job['history_days']} days"),
        ("created", when(job["created_at"])),
        ("updated", when(job["updated_at"])),
        ("next run", when(job["next_run"])),
        ("runs fired", str(job["runs_fired"])),
        ("last task", f"{last['id']} {last['status']} {last.get('message') or ''}".rstrip() if last else "-"),
    ]
    width = max(len(name) for name, _ in fields)
    for name, value in fields:
        print(f"{name.ljust(width)}  {value}")
    print("actions:")
    for number, step in enumerate(job["actions"], 1):
        print(f"  {number}. {step['action']} {json.dumps(step['parameters'])}")
    for parameter in job["parameters"]:
        print(f"parameter: {parameter['name']} ({parameter['type']}) default={json.dumps(parameter['default'])}")
    print(f"next runs ({preview.get('description') or preview['expression']}):")
    for fire in preview["next"]:
        print(f"  {fire['local']}")
    if not preview["next"]:
        print("  none")
    return 0


def parse_parameter(text: str) -> tuple[str, Any]:
    """`k=v`: v as JSON when it parses (42, true, [1]), else as a string."""
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected name=value, got {text!r}")
    try:
        return name, json.loads(raw)
    except ValueError:
        return name, raw


def cmd_run(api: Api, args: argparse.Namespace) -> int:
    job = quoted(args.job)
    task = api.call("POST", f"/jobs/{job}/run", {"parameters": dict(args.param)})
    print(f"{task['id']} {task['status']}")
    if not args.wait:
        return 0
    try:
        while task["status"] in ACTIVE:
            print(f"\r{progress_bar(task)}", end="", file=sys.stderr, flush=True)
            time.sleep(WAIT_POLL_SECONDS)
            task = api.call("GET", f"/jobs/{job}/tasks/{quoted(task['id'])}")
    except KeyboardInterrupt:
        print(f"\nstopped waiting; the task goes on: {task['id']}", file=sys.stderr)
        return 130
    print(f"\r{progress_bar(task)}", file=sys.stderr, flush=True)
    print(f"{task['status']}: {task.get('message') or ''}".rstrip(": "))
    return 0 if task["status"] == ENDED_OK else 1


def _set_enabled(api: Api, ids: list[str], enabled: bool) -> int:
    answer = api.call("POST", "/jobs/enable" if enabled else "/jobs/disable", {"ids": ids})
    for result in answer["results"]:
        print(f"{result['id']}: {result['outcome']}")
    return 1 if any(r["outcome"] == "not found" for r in answer["results"]) else 0


def cmd_enable(api: Api, args: argparse.Namespace) -> int:
    return _set_enabled(api, args.jobs, True)


def cmd_disable(api: Api, args: argparse.Namespace) -> int:
    return _set_enabled(api, args.jobs, False)


def cmd_tasks(api: Api, args: argparse.Namespace) -> int:
    page = api.call("GET", f"/jobs/{quoted(args.job)}/tasks", limit=args.limit, status=args.status)
    if args.json:
        print_json(page)
        return 0
    rows = [
        [
            t["id"],
            t["status"],
            t["trigger"]["type"],
            t["trigger"]["by"],
            when(t["started_at"]),
            duration(t["duration_seconds"]),
        ]
        for t in page["items"]
    ]
    print(table(["ID", "STATUS", "TRIGGER", "BY", "STARTED", "DURATION"], rows))
    return 0


def cmd_logs(api: Api, args: argparse.Namespace) -> int:
    path = f"/jobs/{quoted(args.job)}/tasks/{quoted(args.task)}"
    shown = 0
    while True:
        task = api.call("GET", path)
        for line in task["logs"][shown:]:
            print(log_line(line), flush=True)
        shown = len(task["logs"])
        if not args.follow or task["status"] not in ACTIVE:
            break
        time.sleep(FOLLOW_POLL_SECONDS)
    if args.follow:
        print(f"{task['status']}: {task.get('message') or ''}".rstrip(": "), file=sys.stderr)
    return 0


def cmd_clear(api: Api, args: argparse.Namespace) -> int:
    answer = api.call("DELETE", f"/jobs/{quoted(args.job)}/tasks")
    print(f"{answer['deleted']} finished tasks deleted")
    return 0


def cmd_local(argv: list[str]) -> int:
    from jobdeck_local.__main__ import main as run_local  # moto and friends: only for this command

    return run_local(argv)


# ------------------------------------------------------------------ the command line


def cmd_datasources(api: Api, args: argparse.Namespace) -> int:
    found = api.call("GET", "/datasources")
    if args.json:
        print_json(found)
        return 0
    rows = []
    for ds in found["datasources"]:
        sync = ds.get("last_sync")
        changes = f"+{sync['created']} ~{sync['changed']} -{sync['deleted']}" if sync else "-"
        indexed = "-" if ds["objects_indexed"] is None else str(ds["objects_indexed"])
        rows.append([ds["name"], f"s3://{ds['bucket']}/{ds['prefix']}", indexed, when(sync and sync["at"]), changes])
    print(table(["NAME", "LOCATION", "INDEXED", "LAST SYNC", "CHANGES"], rows))
    return 0


Command = Callable[[Api, argparse.Namespace], int]


def parser() -> argparse.ArgumentParser:
    # --api and --token work before or after the command: the subcommands' copies default to
    # SUPPRESS so that they do not overwrite what was given before.
    connection = argparse.ArgumentParser(add_help=False)
    connection.add_argument("--api", default=argparse.SUPPRESS, help=f"the API's URL (JOBDECK_API, {DEFAULT_API})")
    connection.add_argument("--token", default=argparse.SUPPRESS, help="a bearer token (JOBDECK_TOKEN)")

    top = argparse.ArgumentParser(prog="jobdeck", description="Jobdeck's command line.", epilog=EXIT_CODES)
    top.add_argument("--api", default=None, help=f"the API's URL (JOBDECK_API, {DEFAULT_API})")
    top.add_argument("--token", default=None, help="a bearer token (JOBDECK_TOKEN)")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    # `jobdeck local ...` is handed over before parsing (main); listed here for --help.
    commands.add_parser("local", help="run the local stack (jobdeck local --help)", add_help=False)

    jobs = commands.add_parser("jobs", help="list jobs, show one").add_subparsers(dest="jobs_command", required=True)
    p = jobs.add_parser("list", parents=[connection], help="the admin list")
    p.add_argument("--kind", choices=["system", "user", "custom"])
    p.add_argument("--limit", type=int, default=50, help="jobs per page (at most 200)")
    p.add_argument("--all-pages", action="store_true", help="follow the cursor to the end")
    p.add_argument("--json", action="store_true", help="print the API's JSON")
    p.set_defaults(handler=cmd_jobs_list)
    p = jobs.add_parser("show", parents=[connection], help="a job and its next runs")
    p.add_argument("job")
    p.add_argument("--count", type=int, default=5, help="how many next runs")
    p.add_argument("--json", action="store_true", help="print the API's JSON")
    p.set_defaults(handler=cmd_jobs_show)

    p = commands.add_parser("run", parents=[connection], help="Run Now")
    p.add_argument("job")
    p.add_argument("--param", type=parse_parameter, action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--wait", action="store_true", help="show progress until the task ends; exit 1 unless FINISHED")
    p.set_defaults(handler=cmd_run)

    for name, handler in (("enable", cmd_enable), ("disable", cmd_disable)):
        p = commands.add_parser(name, parents=[connection], help=f"{name} jobs")
        p.add_argument("jobs", nargs="+", metavar="JOB")
        p.set_defaults(handler=handler)

    p = commands.add_parser("tasks", parents=[connection], help="a job's history, newest first")
    p.add_argument("job")
    p.add_argument("--status", choices=["QUEUED", "RUNNING", "PAUSED", "FINISHED", "ERROR", "INTERRUPTED", "SKIPPED"])
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true", help="print the API's JSON")
    p.set_defaults(handler=cmd_tasks)

    p = commands.add_parser("logs", parents=[connection], help="a task's log lines")
    p.add_argument("job")
    p.add_argument("task")
    p.add_argument("--follow", "-f", action="store_true", help="print new lines until the task ends")
    p.set_defaults(handler=cmd_logs)

    p = commands.add_parser("clear", parents=[connection], help="Clear All: delete the finished history")
    p.add_argument("job")
    p.set_defaults(handler=cmd_clear)

    p = commands.add_parser("datasources", parents=[connection], help="the datasources and their node indexes")
    p.add_argument("--json", action="store_true", help="print the API's JSON")
    p.set_defaults(handler=cmd_datasources)

    smoke.add_parser(commands, connection)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["local"]:  # everything after it belongs to the local stack's own options
        return cmd_local(argv[1:])
    args = parser().parse_args(argv)
    if args.command == "local":  # `jobdeck --api URL local`: the API options mean nothing to it
        return cmd_local([])
    api = Api(
        url=args.api or os.environ.get("JOBDECK_API") or DEFAULT_API,
        token=args.token or os.environ.get("JOBDECK_TOKEN") or None,
    )
    handler: Command = args.handler
    try:
        return handler(api, args)
    except ApiError as error:
        print(f"error: {error.message}", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem.get('field')}: {problem.get('problem')}", file=sys.stderr)
        if error.status == 401 and not api.token:
            print("  (no token: pass --token or set JOBDECK_TOKEN)", file=sys.stderr)
        return 2 if 400 <= error.status < 500 else 3
    except Unreachable as error:
        print(f"error: {error}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
