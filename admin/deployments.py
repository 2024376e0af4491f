"""`deployments PROJECT_ID`: the releases recorded through the API or indexed from event telemetry."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from .common import JsonOption, ProjectId, connect, require_project
from .output import console, emit_json, printable, table, text, when


def deployments(
    ctx: typer.Context,
    project_id: ProjectId,
    environment: Annotated[str | None, typer.Option("--environment", "-e", help="Only this environment.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Deployments newest first: one per repository, environment and release (a Query, never a Scan)."""
    connect(ctx)
    from logister_common.storage.deployments_table import project_deployments

    from .shapes import Deployment

    require_project(project_id)
    found = [
        Deployment.model_validate(
            {name: printable(item[name]) if name in item else None for name in Deployment.model_fields}
        )
        for item in project_deployments(project_id, environment)
    ]
    if as_json:
        emit_json(found)
        return
    if not found:
        scope = f" in {text(environment)}" if environment else ""
        console.print(f"Project {project_id} has no deployments{scope} yet.")
        return
    now = datetime.now(UTC)
    grid = table("deployed", "release", "environment", "repository", "commit", "source", "PR")
    for deployment in found:
        grid.add_row(
            when(deployment.deployed_at, now),
            text(deployment.release),
            text(deployment.environment),
            text(deployment.repository),
            text(deployment.commit_sha),
            text(deployment.source),
            text(deployment.pull_request_number and f"#{deployment.pull_request_number}"),
        )
    console.print(grid)
