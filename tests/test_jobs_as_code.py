"""Jobs kept as code: the files of jobs/ are valid (this is the CI check), a deploy installs them,
and a changed file replaces its job in place while an unchanged one leaves it alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jobdeck import calendars, jobs, jobs_as_code, store, tasks
from jobdeck.access import SYSTEM
from jobdeck.domain import Calendar, CalendarRule
from jobdeck.jobs_as_code import InvalidDefinition
from jobdeck_local.template import ROOT
from tests.support import at

REPO_JOBS = ROOT / "jobs"


def test_every_job_file_of_the_repository_is_valid(aws):
    loaded = jobs_as_code.load(REPO_JOBS)
    assert loaded, "jobs/ holds no job file"
    assert all(d.job.origin and d.job.origin.startswith(d.path.name + "@") for d in loaded)


def test_the_setup_function_ships_the_same_files():
    shipped = ROOT / "functions" / "setup" / "jobs"
    assert sorted(p.name for p in shipped.glob("*.y*ml")) == sorted(p.name for p in REPO_JOBS.glob("*.y*ml"))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(REPO_JOBS / "clean-scratch.yaml", tmp_path)
    return tmp_path


def test_a_deploy_installs_new_jobs_and_leaves_unchanged_ones_alone(aws, folder):
    assert jobs_as_code.install(folder, at("2026-11-25T10:00:00Z")) == ["clean-scratch"]
    job = store.get_job("clean-scratch")
    assert (job.version, job.kind.value, job.overlap.value, job.retry.max_attempts) == (1, "custom", "skip", 3)
    assert job.next_fire_at == at("2026-11-26T02:30:00Z")  # 03:30 in Paris
    assert [e.actor for e in store.list_audit(job_id="clean-scratch").items] == ["jobs-as-code"]

    jobs.set_enabled("clean-scratch", False)  # an operator disables it in the console
    assert jobs_as_code.install(folder) == []  # the file did not change: the job is left alone
    assert not store.get_job("clean-scratch").enabled


def test_a_changed_file_replaces_its_job_in_place_keeping_its_history(aws, run_queue, folder):
    jobs_as_code.install(folder)
    task = tasks.run_now("clean-scratch")
    path = folder / "clean-scratch.yaml"
    path.write_text(path.read_text().replace('"30 3 * * *"', '"0 4 * * *"'))

    assert jobs_as_code.install(folder, at("2026-11-25T10:00:00Z")) == ["clean-scratch"]
    job = store.get_job("clean-scratch")
    assert (job.version, job.schedule.expression) == (2, "0 4 * * *")
    assert job.next_fire_at == at("2026-11-26T03:00:00Z")
    assert [t.id for t in store.list_tasks("clean-scratch")] == [task.id]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("label: no id\nactions: []\n", "bad.yaml: id: required in a job file"),
        ("id: x\nlabel: X\nschedule: {expression: '61 * * * *'}\n", "bad.yaml: invalid schedule '61 * * * *'"),
        ("id: x\nlabel: X\nactions: [{action: no.such}]\n", "bad.yaml: actions[0].action: unknown action 'no.such'"),
        ("id: x\nlabel: X\nretry: {max_attempts: 99}\n", "bad.yaml: retry.max_attempts: Input should be less"),
        ("id: x\nlabel: X\ncolour: blue\n", "bad.yaml: colour: Extra inputs are not permitted"),
        # The bounds of what DynamoDB holds apply to files as to the API: job_schema has them.
        (
            "id: x\nlabel: X\nactions: [{action: tree.delete, parameters: {days: 1.0e+200}}]\n",
            "bad.yaml: actions.0.parameters: days: out of range",
        ),
        ("id: [unclosed\n", "bad.yaml: not YAML"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_and_the_field_and_nothing_is_installed(aws, folder, text, problem):
    (folder / "bad.yaml").write_text(text)
    with pytest.raises(InvalidDefinition) as refused:
        jobs_as_code.install(folder)
    assert str(refused.value).startswith(problem), str(refused.value)
    assert store.get_job("clean-scratch") is None  # checked before anything is written


def test_two_files_may_not_declare_the_same_job(aws, folder):
    shutil.copy(folder / "clean-scratch.yaml", folder / "again.yaml")
    with pytest.raises(InvalidDefinition, match="id 'clean-scratch' is declared by another file too"):
        jobs_as_code.load(folder)


def test_a_file_that_drops_a_trigger_removes_its_subscription(aws, folder):
    path = folder / "clean-scratch.yaml"
    path.write_text(path.read_text() + "hooks:\n  - slug: tidy\n")
    jobs_as_code.install(folder)
    assert store.subscribers("hook:tidy") == [("clean-scratch", {"slug": "tidy", "admins_only": False})]

    path.write_text(path.read_text().replace("hooks:\n  - slug: tidy\n", ""))
    assert jobs_as_code.install(folder) == ["clean-scratch"]
    assert store.subscribers("hook:tidy") == []  # a hook the file no longer declares starts nothing


def test_a_file_may_list_only_calendars_that_exist(aws, folder):
    """Calendars are made through the API, not kept as code: a deploy that installs a file naming a
    missing one fails naming it and writes nothing; once an admin made it, the same file installs."""
    path = folder / "clean-scratch.yaml"
    path.write_text(
        path.read_text().replace("  timezone: Europe/Paris\n", "  timezone: Europe/Paris\n  calendars: [holidays]\n")
    )
    with pytest.raises(InvalidDefinition) as refused:
        jobs_as_code.install(folder)
    assert str(refused.value).startswith("clean-scratch.yaml: schedule.calendars: no calendar 'holidays'"), (
        refused.value
    )
    assert store.get_job("clean-scratch") is None

    calendars.create(Calendar("holidays", rules=[CalendarRule(yearly=["12-25"])]), SYSTEM)
    assert jobs_as_code.install(folder) == ["clean-scratch"]
    job = store.get_job("clean-scratch")
    assert job.schedule is not None and job.schedule.calendars == ["holidays"]
