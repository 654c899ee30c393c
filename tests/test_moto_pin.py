"""moto pinned to the version the quirks were written for (local/moto_pin.py): another one, or one
lacking what a quirk reaches, stops the quirks' import and `python -m jobdeck_local` (`make run`)
at start, naming each quirk, the version found and the one pinned."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import moto
import pytest
from moto.sqs.models import Queue

from jobdeck_local import moto_pin, moto_quirks, reaches
from jobdeck_local.moto_pin import MOTO_VERSION, QUIRKS, MotoMismatch
from jobdeck_local.stack import free_port
from locks import pins

ROOT = pins.ROOT


def test_the_installed_moto_is_the_pinned_one_with_all_the_quirks_reach() -> None:
    assert moto.__version__ == MOTO_VERSION
    assert moto_pin.problems() == {}


def test_pyproject_and_the_lock_pin_the_version_the_quirks_were_written_for() -> None:
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    assert f"moto[server]=={MOTO_VERSION}" in dev
    assert [pin.version for pin in pins.pins((ROOT / "locks/dev.txt").read_text())["moto"]] == [MOTO_VERSION]


def test_every_quirk_is_listed_with_what_it_replaces(monkeypatch: pytest.MonkeyPatch) -> None:
    """What install_all installs is QUIRKS, and each replacement a quirk makes is among its reaches."""
    called: list[str] = []
    quirks = {name: getattr(moto_quirks, name) for name in QUIRKS}
    with monkeypatch.context() as patched:
        for name in quirks:
            patched.setattr(moto_quirks, name, lambda name=name: called.append(name))
        moto_quirks.install_all()
    assert sorted(called) == sorted(QUIRKS)

    for name, quirk in quirks.items():
        replaced: list[str] = []

        def record(owner: Any, attribute: str, _: Callable[..., Any], replaced: list[str] = replaced) -> None:
            module = isinstance(owner, types.ModuleType)
            where = owner.__name__ if module else f"{owner.__module__}.{owner.__qualname__}"
            replaced.append(f"{where}.{attribute}")

        with monkeypatch.context() as patched:
            patched.setattr(reaches, "install", record)
            quirk()
        declared = {reach.path for reach in QUIRKS[name] if reach.params is not None}
        assert set(replaced) <= declared, name


def test_a_method_a_quirk_replaces_gone_or_changed_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(Queue, "wait_for_messages")
    monkeypatch.setattr(Queue, "delete_message", lambda self, receipt_handle, now: None)
    wrong = moto_pin.problems()
    assert wrong == {
        "quirk prompt_sqs_long_polls": ["moto.sqs.models.Queue.wait_for_messages: missing"],
        "quirk safe_sqs_deletes": [
            "moto.sqs.models.Queue.delete_message: takes (self, receipt_handle, now), Jobdeck (self, receipt_handle)"
        ],
    }
    with pytest.raises(MotoMismatch, match=rf"moto {MOTO_VERSION}, the pinned version, lacks what these reach"):
        moto_pin.require()


def test_an_attribute_no_longer_set_per_instance_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    def __init__(self: Queue, name: str, region: str, account_id: str, **kwargs: Any) -> None:
        self.name = name  # and no lock of its messages

    monkeypatch.setattr(Queue, "__init__", __init__)
    wrong = moto_pin.problems()
    assert set(wrong) == {"quirk prompt_sqs_long_polls", "quirk safe_sqs_deletes"}
    assert "moto.sqs.models.Queue._messages_lock: no longer set by Queue.__init__" in wrong["quirk safe_sqs_deletes"]


def another_moto(tmp_path: Path, version: str = "5.1.0") -> dict[str, str]:
    """An environment whose processes find moto saying it is another version (sitecustomize runs at
    every start, before any of ours)."""
    (tmp_path / "sitecustomize.py").write_text(f"import moto\nmoto.__version__ = {version!r}\n")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}


def test_another_moto_stops_the_quirks_import_naming_each_quirk_and_both_versions(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import jobdeck_local.moto_quirks"],
        env=another_moto(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "MotoMismatch: moto 5.1.0 is installed, but the local stack's moto quirks" in done.stderr
    for quirk in QUIRKS:
        assert f"  quirk {quirk}: written for moto {MOTO_VERSION}, found 5.1.0" in done.stderr


@pytest.mark.slow
def test_make_run_with_another_moto_stops_at_start_saying_why(tmp_path: Path) -> None:
    """`make run` is `python -m jobdeck_local`: with another moto, moto's process says why it will
    not serve, and the stack prints that and ends with status 1, without a traceback."""
    port, api_port = free_port(), free_port()
    done = subprocess.run(
        [sys.executable, "-m", "jobdeck_local", "--port", str(port), "--api-port", str(api_port)],
        env=another_moto(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.startswith(f"moto's server did not start on http://127.0.0.1:{port}: it said:\n")
    assert "  quirk prompt_sqs_long_polls: written for moto 5.2.6, found 5.1.0" in done.stderr
    assert "  server: written for moto 5.2.6, found 5.1.0" in done.stderr
    assert "Traceback" not in done.stderr
    assert "Jobdeck is running locally" not in done.stdout


def test_the_pin_check_imports_nothing_but_moto_itself() -> None:
    """moto_pin is imported before any other module of moto's: it must import whatever moto is there."""
    source = (ROOT / "local" / "moto_pin.py").read_text()
    imports = [line for line in source.splitlines() if line.lstrip().startswith(("import ", "from "))]
    assert all("moto." not in line for line in imports)


def test_a_name_gone_from_a_library_stops_what_reaches_into_it_naming_both() -> None:
    """The same check guards bench's request counters (botocore's and moto's private methods)."""
    gone = reaches.Reach("botocore.client.BaseClient._make_api_call_gone", params=("self",))
    renamed = reaches.Reach("botocore.client.BaseClient._make_api_call", params=("self", "operation", "params"))
    with pytest.raises(reaches.ReachMissing) as caught:
        reaches.require("bench (its request counters)", (gone, renamed), "botocore as locks/dev.txt pins it")
    assert str(caught.value).splitlines() == [
        "bench (its request counters) reaches into names the installed libraries lack "
        "(botocore as locks/dev.txt pins it):",
        "botocore.client.BaseClient._make_api_call_gone: missing",
        "botocore.client.BaseClient._make_api_call: takes (self, operation_name, api_params), "
        "Jobdeck (self, operation, params)",
    ]
