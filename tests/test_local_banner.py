"""What the local stack's banner tells a new user to type works from a shell of their own."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from jobdeck_local import stack as stack_module
from tests.browser import local_stack


@pytest.mark.slow
def test_the_banners_aws_commands_carry_credentials_and_a_region(tmp_path, monkeypatch):
    with local_stack() as running:
        lines = [line.strip() for line in running.banner().splitlines()]
        endpoint, table = running.endpoint, running.resources.tables["JobsTable"]
        start = lines.index("try:")
        exports = next(line for line in lines[start:] if line.startswith("export AWS_"))
        aws_line = next(line for line in lines[start:] if line.startswith("aws "))
        assert lines.index(exports) < lines.index(aws_line)  # set before the commands that need them
        given = dict(word.split("=", 1) for word in shlex.split(exports)[1:])
        # Undone before the stack stops and puts the environment back: undone after, it would set
        # the stopped stack's endpoint again for every later test of this worker.
        with monkeypatch.context() as shell:
            # a shell of someone with no AWS profile at all: nothing but what the banner exports
            for name in [name for name in os.environ if name.startswith("AWS_")]:
                shell.delenv(name)
            shell.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
            shell.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
            for name, value in given.items():
                shell.setenv(name, value)
            client = boto3.session.Session().client("dynamodb", endpoint_url=endpoint)
            assert client.scan(TableName=table, Select="COUNT")["Count"] > 0  # the system jobs
    assert not os.environ.get("AWS_ENDPOINT_URL", "").endswith(f":{endpoint.rsplit(':', 1)[1]}")


def test_the_banners_cli_is_one_this_shell_finds(tmp_path, monkeypatch):
    # make run starts the stack with .venv/bin/python, its bin folder not on PATH
    monkeypatch.setenv("PATH", str(tmp_path))
    command = stack_module.cli_command()
    assert Path(command).resolve() == (Path(sys.executable).parent / "jobdeck").resolve()
    assert subprocess.run([command, "--help"], capture_output=True, check=False).returncode == 0


def test_the_banner_says_jobdeck_when_path_finds_this_one(monkeypatch):
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    assert stack_module.cli_command() == "jobdeck"
