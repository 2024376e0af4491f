"""logister-admin: the operator CLI for projects, tokens, limits, and seeing what arrived.

It talks to DynamoDB directly with the caller's AWS credentials (IAM is the admin boundary; the
public API has no admin routes), through the same shared package the functions use.
"""

from __future__ import annotations

from typing import Annotated

import typer

from . import deployments, events, limits, monitors, performance, projects, tokens, trace
from .common import AdminGroup, Session

app = typer.Typer(
    name="logister-admin",
    cls=AdminGroup,
    help=(
        "Operate a logister-serverless stack: projects, tokens, rate limits, and what arrived.\n\n"
        "Choose the stack before the command: [bold]--local[/bold] (the one `make dev` runs) or "
        "[bold]--stack NAME [--region R][/bold] (a deployed one; uses your AWS credentials).\n\n"
        "Example: logister-admin --local projects create shop"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    ctx: typer.Context,
    local: Annotated[
        bool,
        typer.Option(
            "--local",
            help="The stack `make dev` runs (read from .logister-local.json, or LOGISTER_LOCAL_STATE_FILE).",
        ),
    ] = False,
    stack: Annotated[
        str | None,
        typer.Option(
            "--stack",
            metavar="NAME",
            envvar="LOGISTER_STACK",
            help="A deployed CloudFormation stack (its outputs name the tables).",
        ),
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", metavar="REGION", help="The deployed stack's region.")
    ] = None,
) -> None:
    ctx.obj = Session(local=local, stack=stack, region=region)


app.add_typer(projects.app, name="projects")
app.add_typer(tokens.app, name="tokens")
app.add_typer(limits.app, name="limits")
app.command("events")(events.events)
app.command("errors")(events.errors)
app.add_typer(monitors.app, name="monitors")
app.command("trace")(trace.trace)
app.command("deployments")(deployments.deployments)
app.command("performance")(performance.performance)


def main() -> None:
    app(prog_name="logister-admin")
