"""`limits show|set|clear`: a project's rate-limit overrides (bounded as in contract §6)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .common import AdminError, JsonOption, ProjectId, connect, require_project
from .output import console, emit_json, table, text

app = typer.Typer(
    help="Show, set or clear a project's rate-limit overrides (they apply to its tokens at once).",
    no_args_is_help=True,
)

# provisioning.RATE_LIMIT_OVERRIDES's names, in this order, as people read them.
LABELS = {"requests": "requests", "period_seconds": "period (s)", "auth_failures": "auth failures"}
# Where the stack's default for each comes from (the functions' variables; `limits show` reads them).
_DEFAULTS = {
    "requests": "rate_limit_requests",
    "period_seconds": "rate_limit_period_seconds",
    "auth_failures": "auth_failure_rate_limit_requests",
}


def overrides(project: dict[str, Any]) -> dict[str, int | None]:
    from logister_common.operator.provisioning import RATE_LIMIT_OVERRIDES

    return {name: project.get(RATE_LIMIT_OVERRIDES[name][0]) for name in LABELS}


@app.command("show")
def show(ctx: typer.Context, project_id: ProjectId, as_json: JsonOption = False) -> None:
    """The project's overrides and the limits in force (an override, else the stack's default)."""
    connect(ctx)
    _print(project_id, as_json)


@app.command("set")
def set_limits(
    ctx: typer.Context,
    project_id: ProjectId,
    requests: Annotated[
        int | None,
        typer.Option("--requests", min=1, max=10_000_000, help="Accepted requests per token per endpoint per window."),
    ] = None,
    period: Annotated[int | None, typer.Option("--period", min=1, max=86_400, help="Window length in seconds.")] = None,
    auth_failures: Annotated[
        int | None,
        typer.Option("--auth-failures", min=1, max=10_000_000, help="Failed authentications per IP per window."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Set one or more overrides (bounds: requests and auth failures 1..10,000,000, period 1..86,400 s)."""
    changes = {"requests": requests, "period_seconds": period, "auth_failures": auth_failures}
    changes = {name: value for name, value in changes.items() if value is not None}
    if not changes:
        raise typer.BadParameter("give at least one of --requests, --period, --auth-failures")
    _change(ctx, project_id, changes, as_json)


@app.command("clear")
def clear(
    ctx: typer.Context,
    project_id: ProjectId,
    requests: Annotated[bool, typer.Option("--requests", help="Clear the requests override.")] = False,
    period: Annotated[bool, typer.Option("--period", help="Clear the period override.")] = False,
    auth_failures: Annotated[bool, typer.Option("--auth-failures", help="Clear the auth-failures override.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Clear the named overrides (all of them when none is named): the stack's defaults apply again."""
    named = {"requests": requests, "period_seconds": period, "auth_failures": auth_failures}
    cleared = [name for name, chosen in named.items() if chosen] or list(named)
    _change(ctx, project_id, dict.fromkeys(cleared), as_json)


def _change(ctx: typer.Context, project_id: str, changes: dict[str, int | None], as_json: bool) -> None:
    connect(ctx)
    from logister_common.operator.provisioning import set_rate_limits

    require_project(project_id)
    try:
        set_rate_limits(project_id, changes)
    except ValueError as error:  # the bounds, checked again where they are enforced
        raise AdminError(str(error)) from None
    _print(project_id, as_json)


def _print(project_id: str, as_json: bool) -> None:
    from logister_common.runtime.settings import get_settings

    from .shapes import ProjectLimits, RateLimitOverrides, RateLimits

    project = require_project(project_id)
    settings = get_settings()
    override = overrides(project)
    defaults = {name: getattr(settings, attribute) for name, attribute in _DEFAULTS.items()}
    effective = {name: value if (value := override[name]) is not None else defaults[name] for name in LABELS}
    if as_json:
        emit_json(
            ProjectLimits(
                project_id=project_id,
                overrides=RateLimitOverrides(**override),
                defaults=RateLimits(**defaults),
                effective=RateLimits(**effective),
            )
        )
        return
    grid = table("limit", "override", "stack default", "in force")
    for name, label in LABELS.items():
        grid.add_row(label, text(override[name]), str(defaults[name]), str(effective[name]))
    console.print(f"Rate limits of project {project_id}:", soft_wrap=True)
    console.print(grid)
