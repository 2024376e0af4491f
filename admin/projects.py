"""`projects create|list|archive|restore`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from .common import AdminError, JsonOption, ProjectId, connect, require_project
from .limits import LABELS, overrides
from .output import console, emit_json, refused_within, table, text, when

if TYPE_CHECKING:
    from .shapes import Project

app = typer.Typer(help="Create, list, archive and restore projects.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A name for people (need not be unique).")],
    token_name: Annotated[str, typer.Option("--token-name", help="The name of the first token.")] = "default",
    as_json: JsonOption = False,
) -> None:
    """Create a project and its first token; prints the project id and the token, which is shown only once."""
    connect(ctx)
    from logister_common.admission.tokens import InvalidTokenPrefix
    from logister_common.operator.provisioning import create_project_with_token

    from .shapes import CreatedProject

    if not name.strip():
        raise typer.BadParameter("must not be blank", param_hint="NAME")
    name = name.strip()
    try:
        issued = create_project_with_token(name, token_name=token_name)
    except InvalidTokenPrefix as error:
        raise AdminError(str(error)) from None
    if as_json:
        emit_json(CreatedProject(project_id=issued.project_id, name=name, token_id=issued.token_id, token=issued.token))
        return
    console.print(f"Created project [bold]{escape(name)}[/bold]")
    console.print(f"  project id: {issued.project_id}", soft_wrap=True)
    console.print(f"  token id:   {issued.token_id}", soft_wrap=True)
    console.print(f"  token:      [bold]{issued.token}[/bold]", soft_wrap=True)
    console.print("The token is shown only this once (only its SHA-256 digest is stored): keep it now.")


@app.command("list")
def list_projects(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every project, oldest first, with its rate-limit overrides (this one command reads the whole auth table)."""
    connect(ctx)
    from logister_common.storage.auth_table import list_projects as projects

    found = [_project(project) for project in projects()]
    if as_json:
        emit_json(found)
        return
    grid = table(
        "project id", "name", "created", "status", *(f"{label} override" for label in LABELS.values()), ids=(0,)
    )
    for project in found:
        grid.add_row(
            text(project.project_id),
            text(project.name),
            when(project.created_at),
            f"archived {when(project.archived_at)}" if project.archived_at else "active",
            *(text(getattr(project.rate_limit_overrides, name)) for name in LABELS),
        )
    console.print(grid if found else "No projects yet: create one with `projects create NAME`.")


@app.command("archive")
def archive(ctx: typer.Context, project_id: ProjectId, as_json: JsonOption = False) -> None:
    """Archive a project and revoke every active token it has, as Logister does (they answer 401)."""
    connect(ctx)
    from logister_common.operator.provisioning import archive_project
    from logister_common.storage.auth_table import project_tokens

    from .shapes import ArchivedProject

    require_project(project_id)
    active = [token["token_id"] for token in project_tokens(project_id) if not token.get("revoked_at")]
    archive_project(project_id)
    if as_json:
        emit_json(ArchivedProject(project_id=project_id, revoked_token_ids=active))
        return
    console.print(
        f"Archived project {project_id}: revoked {len(active)} active token(s), refused (401) {refused_within()}.",
        soft_wrap=True,
    )


@app.command("restore")
def restore(ctx: typer.Context, project_id: ProjectId, as_json: JsonOption = False) -> None:
    """Restore an archived project. Its tokens stay revoked: create a new one with `tokens create`."""
    connect(ctx)
    from logister_common.operator.provisioning import restore_project

    from .shapes import RestoredProject

    restore_project(project_id)
    if as_json:
        emit_json(RestoredProject(project_id=project_id))
        return
    console.print(
        f"Restored project {project_id}. Its old tokens stay revoked: `tokens create {project_id}` issues a new one.",
        soft_wrap=True,
    )


def _project(project: dict[str, Any]) -> Project:
    from .shapes import Project, RateLimitOverrides

    return Project(
        project_id=project["project_id"],
        name=project.get("name"),
        created_at=project.get("created_at"),
        archived_at=project.get("archived_at"),
        rate_limit_overrides=RateLimitOverrides(**overrides(project)),
    )
