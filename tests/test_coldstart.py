"""The functions import with the garbage collector paused, and leave it as they found it."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobdeck import coldstart

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def collector_on() -> Iterator[None]:
    was_on = gc.isenabled()
    gc.enable()
    yield
    gc.unfreeze()  # what coldstart.imports froze: the process's heap, left frozen, would leak into later tests
    if not was_on:
        gc.disable()


def test_the_collector_is_paused_during_the_imports_and_runs_again_after(collector_on: None) -> None:
    with coldstart.imports():
        assert not gc.isenabled()
        made = [[n] for n in range(1_000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(made)
    gc.unfreeze()


def test_a_failed_import_leaves_the_collector_running(collector_on: None) -> None:
    with pytest.raises(ModuleNotFoundError), coldstart.imports():
        import jobdeck.no_such_module  # type: ignore[import-not-found]  # noqa: F401
    assert gc.isenabled()


def test_a_collector_someone_turned_off_stays_off(collector_on: None) -> None:
    gc.disable()
    with coldstart.imports():
        pass
    assert not gc.isenabled()
    gc.enable()


@pytest.mark.parametrize("function", ["api", "events", "runner", "setup", "tick"])
def test_each_function_imports_without_collecting_and_leaves_the_collector_on(function: str) -> None:
    """Counted in a fresh interpreter, as a cold start: without the pause some 80 to 120 collections
    run during the imports; with it, at most the one that entering the pause may set off. The first
    collection after them walks none of what they made (frozen)."""
    code = (
        "import gc, sys\n"
        f"sys.path[:0] = [{str(ROOT / 'layers' / 'jobdeck')!r}, {str(ROOT / 'functions' / function)!r}]\n"
        "before = sum(s['collections'] for s in gc.get_stats())\n"
        "import app\n"
        "during = sum(s['collections'] for s in gc.get_stats()) - before\n"
        "young = gc.get_count()[0]\n"
        "print(during, gc.isenabled(), gc.get_freeze_count() > 20_000, young < 1_000)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    during, *flags = done.stdout.split()
    assert int(during) <= 1
    assert flags == ["True", "True", "True"]


def test_loading_a_function_locally_leaves_nothing_frozen() -> None:
    """Lambda loads a handler once; the local stack and the tests load them again and again in one
    process, where a freeze at each load would keep whatever garbage existed then, for good."""
    from jobdeck_local.lambda_runtime import load_handler

    load_handler("TickFunction")
    assert gc.get_freeze_count() == 0


def test_loading_a_function_while_a_stack_runs_keeps_the_stacks_freeze() -> None:
    """A running local stack has frozen what it holds (LocalStack.start); a function loaded then
    (the pipeline benchmark loads the tick) must not thaw it, or its full collections come back."""
    from jobdeck_local.lambda_runtime import load_handler

    gc.collect()
    gc.freeze()  # as LocalStack.start leaves the process
    try:
        load_handler("TickFunction")
        assert gc.get_freeze_count() > 20_000
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("function", ["api", "events", "runner", "setup", "tick"])
def test_no_function_imports_boto3_or_its_transfer_manager(function: str) -> None:
    """The clients come from botocore (jobdeck.clients): boto3's resources, s3transfer and the
    multiprocessing it brings would be ~16 ms of every cold start. s3transfer is for the copy that
    needs it (jobdeck.actions.objects), loaded with the action."""
    code = (
        "import sys\n"
        f"sys.path[:0] = [{str(ROOT / 'layers' / 'jobdeck')!r}, {str(ROOT / 'functions' / function)!r}]\n"
        "import app\n"
        "print(sorted({name.split('.')[0] for name in sys.modules} & {'boto3', 's3transfer', 'multiprocessing'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.split() == ["[]"]
