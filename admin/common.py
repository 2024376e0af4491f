"""What every command shares: the target, the arguments and options they have in common, error reporting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from . import targets
from .output import errors, text

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON only (nothing else).")]
ProjectId = Annotated[str, typer.Argument(metavar="PROJECT_ID", help="The project's id (see `projects list`).")]


class AdminError(Exception):
    """A failure the operator can act on: reported as one line on stderr, exit code 1."""


@dataclass
class Session:
    """The root options, resolved into a target when a command first needs one (so --help needs nothing)."""

    local: bool = False
    stack: str | None = None
    region: str | None = None
    target: targets.Target | None = None


def connect(ctx: typer.Context) -> targets.Target:
    """Resolve --local / --stack and point the shared package at that stack."""
    session = ctx.find_root().obj
    if not isinstance(session, Session):  # a command invoked without the root app (never from the CLI)
        session = ctx.find_root().obj = Session()
    if session.target is None:
        target = targets.choose(session.local, session.stack, session.region)
        targets.activate(target)
        session.target = target
    return session.target


def require_project(project_id: str) -> dict[str, Any]:
    from logister_common.operator.provisioning import require_project as lookup

    return lookup(project_id)


class AdminGroup(TyperGroup):
    """The root command group: known failures become one clear line and exit code 1, never a traceback."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except Exception as error:
            message = explain(error, ctx.obj.target if isinstance(ctx.obj, Session) else None)
            if message is None:
                raise
            errors.print(f"[bold red]Error:[/bold red] {text(message)}", soft_wrap=True)
            raise typer.Exit(1) from None


class DefaultCommandGroup(TyperGroup):
    """A group whose `list` command is implied: `monitors PROJECT_ID` means `monitors list PROJECT_ID`."""

    default_command = "list"

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


def explain(error: Exception, target: targets.Target | None) -> str | None:
    """The message for a failure the operator can act on; None for a bug (which keeps its traceback)."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        ProfileNotFound,
    )

    where = target.description if target else "AWS"
    if isinstance(error, AdminError | targets.TargetError | LookupError):
        return str(error).strip("'\"")
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return (
            "No AWS credentials found. logister-admin acts with your own IAM identity: configure one "
            "(aws configure / aws sso login, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)."
        )
    if isinstance(error, ProfileNotFound):
        return f"{error}. Check AWS_PROFILE."
    if isinstance(error, NoRegionError):
        return "No AWS region: pass --region (or set AWS_REGION)."
    if isinstance(error, EndpointConnectionError):
        hint = " Is `make dev` still running?" if target and "local" in target.description else ""
        return f"Cannot reach {where} ({error.kwargs.get('endpoint_url', 'endpoint')}).{hint}"
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code, text = details.get("Code", "Error"), details.get("Message", "")
        if code == "ResourceNotFoundException":
            return f"{where}: a table is missing ({text}). Is the stack fully deployed and up to date?"
        if code in ("ExpiredToken", "ExpiredTokenException", "UnrecognizedClientException", "InvalidClientTokenId"):
            return f"Your AWS credentials were refused ({code}): refresh them (aws sso login) and retry."
        return f"{where} refused the request: {code}: {text}"
    return None
