"""Lower layers do not import upper ones (docs/developing.md has the levels): read from the imports
of each module of the jobdeck package, as written."""

from __future__ import annotations

import ast
from pathlib import Path

import jobdeck

PACKAGE = Path(jobdeck.__file__).parent
OPERATIONS = {
    "routing",
    "runner",
    "tick",
    "tasks",
    "jobs",
    "user_jobs",
    "jobs_as_code",
    "system_jobs",
    "calendars",
    "slots",
    "timeline",
}


def _modules() -> dict[str, set[str]]:
    """Module name (jobdeck.x.y) -> every module it imports (absolute, as written)."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
        found[name] = imported
    return found


def _importers(prefix: str) -> set[str]:
    return {
        name
        for name, imported in _modules().items()
        if any(i == prefix or i.startswith(f"{prefix}.") for i in imported)
    }


def test_only_the_api_imports_the_api():
    assert {name for name in _importers("jobdeck.api") if not name.startswith("jobdeck.api")} == set()


def test_only_the_store_imports_pynamodb():
    assert {name for name in _importers("pynamodb") if not name.startswith("jobdeck.store")} == set()


def test_the_store_imports_only_the_words_below_it():
    # The domain's words, some in leaf modules of their own (datasources, after, deadline).
    words = ("jobdeck.domain", "jobdeck.errors", "jobdeck.config", "jobdeck.datasources", "jobdeck.after")
    allowed = ("jobdeck.store", *words, "jobdeck.deadline", "jobdeck.calendar_model")
    for name, imported in _modules().items():
        if name.startswith("jobdeck.store"):
            ours = {i for i in imported if i.startswith("jobdeck")}
            assert all(i.startswith(allowed) for i in ours), (name, sorted(ours))


def test_actions_import_no_operation_above_them():
    upper = {f"jobdeck.{module}" for module in OPERATIONS}
    for name, imported in _modules().items():
        if name.startswith("jobdeck.actions"):
            assert not {i for i in imported if i in upper or i.rpartition(".")[0] in upper}, name


def test_only_the_lifecycle_sends_to_run_queue():
    assert _importers("jobdeck.run_queue") == {"jobdeck.lifecycle"}


def test_only_settings_read_the_environment():
    readers = [
        path.name for path in PACKAGE.rglob("*.py") if "os.environ" in path.read_text() or "getenv" in path.read_text()
    ]
    assert readers == ["config.py"]
