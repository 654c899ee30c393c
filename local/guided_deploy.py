"""`make deploy`: Jobdeck from nothing to a working console, guided.

1. Who and where: the AWS account the credentials belong to (STS) and the region.
2. The stack's name (samconfig.toml's by default) and, on a first deploy, the first admin's email
   (the stack invites them: the AdminEmail parameter) and the buckets to attach as datasources
   (Datasources), and whether the stack may turn on their EventBridge notifications
   (EnableDatasourceEvents).
3. `sam validate --lint`, `sam build`, `sam deploy` with samconfig.toml's settings (the changeset is
   shown and confirmed, unless --yes).
4. The console's URL and how to sign in, from the stack's outputs.
5. `jobdeck smoke --stack <name>`, signed in as a temporary admin (deleted after).

Exit status: 0 deployed and the smoke test passed (or could not run: it says why), 1 the smoke test
failed, 2 something to set first (credentials, region, admin email), or sam's own status when a sam
step failed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from jobdeck.datasources import InvalidDatasources, parse
from jobdeck_local import cli, template
from jobdeck_local.deployed_stack import DeployedStack
from jobdeck_local.temporary_admin import can_make

SAMCONFIG = template.ROOT / "samconfig.toml"
EMAIL = re.compile(template.load()["Parameters"]["AdminEmail"]["AllowedPattern"])
# A stack CloudFormation will not update: it has to be deleted first (what it retained stays).
STUCK = {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED", "UPDATE_ROLLBACK_FAILED"}

Ask = Callable[[str], str]


class Stop(Exception):
    """Something the operator must set or fix first; the message says what. Exit status 2."""


class SamFailed(Exception):
    """A sam step ended badly (it said why); make deploy ends with its status."""

    def __init__(self, step: str, status: int) -> None:
        super().__init__(f"sam {step} failed (exit status {status}); nothing after it was done")
        self.status = status


def main(argv: Sequence[str] | None = None, ask: Ask | None = None) -> int:
    args = parser().parse_args(argv)
    if ask is None and sys.stdin.isatty() and not args.yes:
        ask = input
    try:
        return Guide(args, ask).run()
    except Stop as stop:
        print(f"make deploy: {stop}", file=sys.stderr)
        return 2
    except SamFailed as failed:
        print(f"make deploy: {failed}", file=sys.stderr)
        return failed.status


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="make deploy", description=__doc__.split("\n\n")[0] if __doc__ else None, epilog=_exit_codes()
    )
    p.add_argument("--stack-name", help="the CloudFormation stack (samconfig.toml's stack_name, else jobdeck)")
    p.add_argument("--region", help="the AWS region (else the profile's, AWS_REGION or samconfig.toml's)")
    p.add_argument("--profile", help="the AWS profile (else the usual credential chain)")
    p.add_argument("--admin-email", help="the first admin's email: their username, and where Cognito sends a password")
    p.add_argument(
        "--datasources",
        metavar="NAME=BUCKET[/PREFIX],...",
        help="buckets you have, attached as datasources (the Datasources parameter; '' none); else the stack's",
    )
    p.add_argument(
        "--datasource-events",
        choices=["true", "false"],
        help="whether the stack turns on the datasources' EventBridge notifications (EnableDatasourceEvents)",
    )
    p.add_argument("--yes", action="store_true", help="ask nothing: deploy without confirming the changeset")
    p.add_argument("--no-smoke", action="store_true", help="deploy only; no jobdeck smoke at the end")
    p.add_argument("--sam", default=os.environ.get("SAM") or shutil.which("sam") or "sam", help="the sam command")
    return p


def _exit_codes() -> str:
    return (__doc__ or "").rsplit("\n\n", 1)[-1].strip()


class Guide:
    def __init__(self, args: argparse.Namespace, ask: Ask | None) -> None:
        self.args, self.ask = args, ask
        self.config = samconfig()

    def run(self) -> int:
        session = self._session()
        name = self.args.stack_name or self._answer("Stack name", self.config.get("stack_name") or "jobdeck")
        existing = DeployedStack.describe(session, name)
        if existing is not None and existing.status in STUCK:
            raise Stop(
                f"stack {name} is {existing.status}: CloudFormation cannot update it. Delete it "
                f"(aws cloudformation delete-stack --stack-name {name} --region {session.region_name}), then run "
                "make deploy again; its tables, bucket and user pool are retained."
            )
        print(f"{'Updating' if existing else 'Creating'} stack {name}.", flush=True)
        email = self._admin_email(existing)
        attached = self._datasources(existing)
        deploy = self._deploy_args(name, session.region_name, email, attached)
        for step in (["validate", "--lint"], ["build"], deploy):
            self._sam(step)
        deployed = DeployedStack.describe(session, name)
        if deployed is None or "ApiUrl" not in deployed.outputs:
            status = deployed.status if deployed else "absent"
            raise Stop(f"stack {name} is {status}: nothing was deployed (was the changeset declined?)")
        print(console_text(deployed, self.args.profile), flush=True)
        if self.args.no_smoke:
            return 0
        return self._smoke(deployed)

    # ------------------------------------------------------------------ who, where, what

    def _session(self) -> boto3.Session:
        try:
            session = boto3.Session(profile_name=self.args.profile, region_name=self.args.region)
            region = session.region_name or self.config.get("region") or self._answer("AWS region", "")
            if not region:
                raise Stop("which region? pass --region, or set AWS_REGION or the profile's region")
            session = boto3.Session(profile_name=self.args.profile, region_name=region)
            who = session.client("sts").get_caller_identity()
        except (BotoCoreError, ClientError) as error:
            raise Stop(f"no usable AWS credentials ({error}): set AWS_PROFILE, pass --profile, or sign in") from None
        print(f"Deploying Jobdeck with {who['Arn']} (account {who['Account']}) in {region}.", flush=True)
        return session

    def _admin_email(self, existing: DeployedStack | None) -> str | None:
        """The AdminEmail to pass, or None to keep what the stack has (sam deploy passes a parameter
        it is not given as its previous value)."""
        if self.args.admin_email is not None:
            if not EMAIL.fullmatch(self.args.admin_email):
                raise Stop(f"--admin-email {self.args.admin_email!r} is not an email address")
            return str(self.args.admin_email)
        previous = existing.parameters if existing else {}
        if previous.get("AdminEmail") or self._oidc(previous):
            return None
        if self.ask is None:
            raise Stop("a first deploy needs the first admin's email: --admin-email you@example.com")
        while True:
            email = self._answer("Email of the first admin (their username; Cognito mails them a password)", "")
            if EMAIL.fullmatch(email):
                return email
            print(f"  {email!r} is not an email address", flush=True)

    def _datasources(self, existing: DeployedStack | None) -> dict[str, str]:
        """Datasources and EnableDatasourceEvents to pass: those given, else asked on a first deploy;
        none passed keeps what the stack has (as sam deploy does)."""
        found = {}
        spec = self.args.datasources
        if spec is None and existing is None and self.ask is not None:
            while True:
                spec = self._answer("Buckets to attach as datasources (name=bucket[/prefix], comma-separated)", "")
                try:
                    parse(spec)
                    break
                except InvalidDatasources as e:
                    print(f"  {e}", flush=True)
            spec = spec or None  # none: the template's default, nothing to pass
        if spec is not None:
            try:
                parse(spec)
            except InvalidDatasources as e:
                raise Stop(f"--datasources {e}") from None
            found["Datasources"] = spec
        events = self.args.datasource_events
        if events is None and spec and existing is None and self.ask is not None:
            allowed = self._answer("May the stack turn on their EventBridge notifications (others kept)? y/N", "n")
            events = "true" if allowed.lower().startswith("y") else "false"
        if events is not None:
            found["EnableDatasourceEvents"] = events
        return found

    def _oidc(self, previous: dict[str, str]) -> bool:
        """Whether the stack signs in with another OIDC issuer (then there is no pool to invite into)."""
        given = " ".join(self.config.get("parameter_overrides", []))
        return bool(previous.get("OidcIssuerUrl") or re.search(r"OidcIssuerUrl=\"?https://", given))

    def _answer(self, question: str, default: str) -> str:
        if self.ask is None:
            return default
        answer = self.ask(f"{question}{f' [{default}]' if default else ''}: ").strip()
        return answer or default

    # ------------------------------------------------------------------ sam

    def _deploy_args(
        self, name: str, region: str, email: str | None, datasources: dict[str, str] | None = None
    ) -> list[str]:
        deploy = ["deploy", "--stack-name", name, "--region", region, "--no-fail-on-empty-changeset"]
        if self.args.profile:
            deploy += ["--profile", self.args.profile]
        # Given on the command line, --parameter-overrides replaces samconfig.toml's: both are passed
        # (a later pair wins in sam). Values in quotes: sam splits the overrides at spaces and reads
        # a comma list as one value only quoted.
        overrides = [*self.config.get("parameter_overrides", []), *([f"AdminEmail={email}"] if email else [])]
        overrides += [f'{key}="{value}"' for key, value in (datasources or {}).items()]
        if overrides:
            deploy += ["--parameter-overrides", *overrides]
        if self.args.yes:
            deploy.append("--no-confirm-changeset")
        return deploy

    def _sam(self, step: list[str]) -> None:
        print(f"$ sam {' '.join(step)}", flush=True)
        try:
            done = subprocess.run(
                [self.args.sam, *step], cwd=template.ROOT, env={**os.environ, "SAM_CLI_TELEMETRY": "0"}, check=False
            )
        except FileNotFoundError:
            raise Stop(f"no sam command at {self.args.sam!r}: make deploy installs one in .venv-sam") from None
        if done.returncode != 0:
            raise SamFailed(step[0], done.returncode)

    # ------------------------------------------------------------------ proof

    def _smoke(self, deployed: DeployedStack) -> int:
        if not can_make(deployed) and not os.environ.get("JOBDECK_TOKEN"):
            print(
                "No smoke test: the stack signs in with another OIDC issuer, and JOBDECK_TOKEN is not set. "
                f"Run it with an admin's token: {smoke_command(deployed, self.args.profile)} --token ...",
                flush=True,
            )
            return 0
        print(f"$ {smoke_command(deployed, self.args.profile)}", flush=True)
        argv = ["smoke", "--stack", deployed.name, "--region", deployed.region]
        status = cli.main([*argv, *(["--profile", self.args.profile] if self.args.profile else [])])
        if status != 0:
            print("The stack is deployed, but the smoke test failed: see above.", file=sys.stderr)
        return status


def samconfig(path: Path = SAMCONFIG) -> dict[str, Any]:
    """samconfig.toml's default environment as `sam deploy` reads it: global, then deploy parameters;
    parameter_overrides as a list of the strings it holds."""
    if not path.is_file():
        return {}
    document = tomllib.loads(path.read_text()).get("default", {})
    merged = {**document.get("global", {}).get("parameters", {}), **document.get("deploy", {}).get("parameters", {})}
    overrides = merged.get("parameter_overrides", [])
    merged["parameter_overrides"] = [overrides] if isinstance(overrides, str) else list(overrides)
    return merged


def smoke_command(stack: DeployedStack, profile: str | None) -> str:
    return f"jobdeck smoke --stack {stack.name} --region {stack.region}" + (f" --profile {profile}" if profile else "")


def console_text(stack: DeployedStack, profile: str | None) -> str:
    url = stack.output("ApiUrl")
    lines = [f"Jobdeck is deployed: stack {stack.name} in {stack.region}.", f"  console:     {url}"]
    email, group = stack.parameters.get("AdminEmail"), stack.parameters.get("AdminGroup") or "admins"
    if not can_make(stack):
        claim = stack.parameters.get("GroupsClaim") or "cognito:groups"
        lines.append(f"  sign in:     with your OIDC provider; admins are in group {group} of the {claim!r} claim")
    elif email:
        lines += [
            f"  sign in:     as {email}, with the temporary password Cognito emailed to that address at the first",
            "               deploy (valid 7 days); the console then asks you for a password of your own.",
            "               Another invitation: aws cognito-idp admin-create-user --message-action RESEND "
            f"--user-pool-id {stack.output('UserPoolId')} --username {email}",
        ]
    else:
        invite = "make deploy DEPLOY_ARGS='--admin-email you@example.com'"
        lines.append(f"  sign in:     no admin yet: {invite} (group {group})")
    lines.append(f"  API docs:    {url.rstrip('/')}/docs")
    lines += _datasource_lines(stack)
    if "DashboardUrl" in stack.outputs:
        lines.append(f"  dashboard:   {stack.outputs['DashboardUrl']}")
    lines.append(f"  smoke test:  {smoke_command(stack, profile)}")
    return "\n".join(lines)


def _datasource_lines(stack: DeployedStack) -> list[str]:
    """The attached buckets, and, when the stack was not allowed to, how to turn on their EventBridge
    notifications (docs/deploying.md shows how to keep a bucket's other notifications)."""
    try:
        attached = parse(stack.parameters.get("Datasources") or "")
    except InvalidDatasources:
        return []
    if not attached:
        return []
    lines = ["  datasources: " + ", ".join(f"{ds.name}=s3://{ds.bucket}/{ds.prefix}" for ds in attached)]
    if stack.parameters.get("EnableDatasourceEvents") != "true":
        lines.append(
            "               their uploads start jobs once EventBridge is on for each bucket (if it is not yet;"
        )
        lines.append("               this replaces the bucket's other notifications: see docs/deploying.md to merge):")
        for bucket in dict.fromkeys(ds.bucket for ds in attached):
            lines.append(
                f"               aws s3api put-bucket-notification-configuration --bucket {bucket} "
                """--notification-configuration '{"EventBridgeConfiguration": {}}'"""
            )
    return lines


if __name__ == "__main__":
    sys.exit(main())
