"""The locks (locks/, made by `make lock`): each made from what pyproject.toml asks now, within its
ranges, hashed; the layer's requirements.txt is its lock; the environment the tests run in is the
development lock, version for version."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from locks import pins

ROOT = pins.ROOT
LAYER_EXCLUDES = {"boto3"}  # Lambda's runtime has it, and the layer's code does not use it (Makefile: lock)


def lock_pins(path: str) -> dict[str, list[pins.Pin]]:
    return pins.pins((ROOT / path).read_text())


def applies_here(pin: pins.Pin) -> bool:
    return not pin.marker or Marker(pin.marker).evaluate()


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The locks, their sources and the layer's requirements.txt, in a root of their own."""
    for path in ["pyproject.toml", pins.LAYER_REQUIREMENTS, *(lock.path for lock in pins.LOCKS)]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, tmp_path / path)
    for source in (ROOT / "locks").glob("*.in"):
        shutil.copy(source, tmp_path / "locks" / source.name)
    shutil.copy(ROOT / "locks" / "pins.py", tmp_path / "locks" / "pins.py")
    return tmp_path


def add_requirement(root: Path, where: str, requirement: str) -> None:
    """`requirement` appended to pyproject's `where` list ("dependencies" or "dev")."""
    pyproject = root / "pyproject.toml"
    opening = "dependencies = [\n" if where == "dependencies" else f"{where} = [\n"
    text = pyproject.read_text()
    assert opening in text
    pyproject.write_text(text.replace(opening, f'{opening}    "{requirement}",\n', 1))


def test_every_lock_is_made_from_what_it_would_be_made_from_now() -> None:
    assert pins.problems() == []


def test_a_dependency_added_without_a_new_lock_makes_the_locks_stale_naming_it(copy: Path) -> None:
    add_requirement(copy, "dev", "mkdocs-material>=9")
    [problem] = pins.problems(copy)
    assert problem.startswith("locks/dev.txt is stale: pyproject.toml has changed since the lock was made:")
    assert "  + mkdocs-material>=9" in problem
    assert "run `make lock`" in problem

    add_requirement(copy, "dependencies", "waitress>=3")
    stale = pins.problems(copy)
    assert [p.split(" ", 1)[0] for p in stale] == ["locks/dev.txt", "locks/layer.txt"]
    assert all("  + waitress>=3" in p for p in stale)


def test_make_refuses_a_stale_lock_before_installing(copy: Path) -> None:
    """What the Makefile runs before it installs .venv: exit status 1, saying what changed."""
    check = [sys.executable, str(copy / "locks" / "pins.py"), "check"]
    assert subprocess.run(check, capture_output=True, text=True).returncode == 0
    add_requirement(copy, "dependencies", "pynamodb==6.2.0")
    done = subprocess.run(check, capture_output=True, text=True)
    assert done.returncode == 1
    assert "locks/layer.txt is stale" in done.stderr and "  + pynamodb==6.2.0" in done.stderr


def test_the_layers_requirements_edited_by_hand_are_refused(copy: Path) -> None:
    requirements = copy / pins.LAYER_REQUIREMENTS
    requirements.write_text(requirements.read_text().replace("pillow==", "pillow>="))
    assert pins.problems(copy) == [f"{pins.LAYER_REQUIREMENTS} is not what locks/layer.txt makes: {pins.RERUN}"]


def test_the_layers_requirements_are_its_lock_versions_markers_and_hashes() -> None:
    requirements = (ROOT / pins.LAYER_REQUIREMENTS).read_text()
    assert requirements.startswith(pins.LAYER_HEADER[0])
    assert pins.pins(requirements) == lock_pins(pins.LAYER_LOCK)
    assert "pynamodb" in pins.pins(requirements)


def test_every_pin_is_exact_and_hashed() -> None:
    for lock in pins.LOCKS:
        for name, found in lock_pins(lock.path).items():
            assert all(pin.hashes for pin in found), f"{lock.path}: {name} has no hash"
            assert all(h.startswith("sha256:") for pin in found for h in pin.hashes)


def test_the_locks_satisfy_pyprojects_ranges() -> None:
    dependencies = [Requirement(r) for r in project()["dependencies"]]
    dev = [Requirement(r) for r in project()["optional-dependencies"]["dev"]]
    for path, requirements in [("locks/dev.txt", dependencies + dev), (pins.LAYER_LOCK, dependencies)]:
        locked = lock_pins(path)
        for requirement in requirements:
            name = canonicalize_name(requirement.name)
            if path == pins.LAYER_LOCK and name in LAYER_EXCLUDES:
                assert name not in locked
                continue
            assert name in locked, f"{path} lacks {requirement}"
            for pin in locked[name]:
                assert requirement.specifier.contains(pin.version, prereleases=True), f"{path}: {pin} for {requirement}"


def test_the_layer_ships_the_versions_the_tests_run() -> None:
    dev = {name: {pin.version for pin in found} for name, found in lock_pins("locks/dev.txt").items()}
    for name, found in lock_pins(pins.LAYER_LOCK).items():
        assert {pin.version for pin in found} <= dev.get(name, set()), name


def test_this_environment_is_the_development_lock() -> None:
    """What `make` installed (a fresh clone included) is what the lock says, version for version."""
    wrong = {}
    for name, found in lock_pins("locks/dev.txt").items():
        for pin in filter(applies_here, found):
            try:
                installed: str | None = metadata.version(name)
            except metadata.PackageNotFoundError:
                installed = None
            if installed != pin.version:
                wrong[name] = (pin.version, installed)
    assert wrong == {}
