"""mypy sees into our own packages. Before, it resolved neither `jobdeck` nor `jobdeck_local` and
took every import of them as Any: a module renamed but still imported passed `make lint`. Here
mypy, with the project's configuration, checks a file that imports what neither package has, and
must fail naming each one."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parent.parent

PROBE = """\
from jobdeck.errors import NoSuchError
from jobdeck_local.state_dir import NoSuchDir
import jobdeck.no_such_module
import jobdeck_local.no_such_module
"""


def test_mypy_fails_on_what_our_packages_lack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    monkeypatch.chdir(ROOT)  # pyproject's mypy_path is relative to the work tree
    # The imported modules are read but their own errors left to `make lint`: only the probe's count.
    # A cache of its own: nothing another run left can stand in for what mypy finds now.
    options = ["--follow-imports=silent", "--no-error-summary", "--cache-dir", str(tmp_path / "cache")]
    out, err, status = api.run(["--config-file", str(ROOT / "pyproject.toml"), *options, str(probe)])
    assert status == 1, out + err
    assert 'Module "jobdeck.errors" has no attribute "NoSuchError"' in out
    assert 'Module "jobdeck_local.state_dir" has no attribute "NoSuchDir"' in out
    for module in ("jobdeck.no_such_module", "jobdeck_local.no_such_module"):
        assert f'Cannot find implementation or library stub for module named "{module}"' in out
    assert len([line for line in out.splitlines() if ": error:" in line]) == 4, out
