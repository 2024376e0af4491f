"""`tokens create|list|revoke`. A token is printed once, when it is made; only its SHA-256 digest is stored."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from .common import AdminError, JsonOption, ProjectId, connect, require_project
from .output import NONE, console, emit_json, refused_within, table, text, when

if TYPE_CHECKING:
    from .shapes import Token

app = typer.Typer(help="Create, list and revoke a project's API tokens.", no_args_is_help=True)
DIGEST_PREFIX_LENGTH = 12


@app.command("create")
def create(
    ctx: typer.Context,
    project_id: ProjectId,
    name: Annotated[str, typer.Option("--name", help="A name to tell tokens apart (e.g. the service using it).")] = (
        "default"
    ),
    as_json: JsonOption = False,
) -> None:
    """Issue a new token for an active project; the token is printed this once and never again."""
    connect(ctx)
    from logister_common.admission.tokens import InvalidTokenPrefix
    from logister_common.operator.provisioning import issue_token

    from .shapes import CreatedToken

    require_project(project_id)
    try:
        issued = issue_token(project_id, name=name)
    except InvalidTokenPrefix as error:
        raise AdminError(str(error)) from None
    if as_json:
        emit_json(CreatedToken(project_id=project_id, token_id=issued.token_id, name=name, token=issued.token))
        return
    console.print(f"Created token {issued.token_id} ({name}) for project {project_id}", soft_wrap=True)
    console.print(f"  token: [bold]{issued.token}[/bold]", soft_wrap=True)
    console.print("It is shown only this once (only its SHA-256 digest is stored): keep it now.")


@app.command("list")
def list_tokens(ctx: typer.Context, project_id: ProjectId, as_json: JsonOption = False) -> None:
    """The project's tokens: ids, names, digest prefixes, when created, last used and revoked (never the tokens)."""
    connect(ctx)
    from logister_common.storage.auth_table import project_tokens

    require_project(project_id)
    tokens = [_token(item) for item in project_tokens(project_id)]
    if as_json:
        emit_json(tokens)
        return
    grid = table("token id", "name", "digest", "created", "last used", "revoked", ids=(0,))
    for token in tokens:
        grid.add_row(
            text(token.token_id),
            text(token.name),
            f"sha256:{text(token.digest_prefix)}…",
            when(token.created_at),
            when(token.last_used_at) if token.last_used_at else NONE,
            when(token.revoked_at) if token.revoked_at else "[green]active[/green]",
        )
    console.print(grid if tokens else f"Project {project_id} has no tokens: `tokens create {project_id}` issues one.")


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(metavar="TOKEN_ID", help="The token's id (see `tokens list`).")],
    as_json: JsonOption = False,
) -> None:
    """Revoke a token by its id: requests with it answer 401. Revoking twice keeps the first time."""
    connect(ctx)
    from logister_common.operator.provisioning import revoke_token_id

    token = _token(revoke_token_id(token_id))
    if as_json:
        emit_json(token)
        return
    console.print(
        f"Revoked token {token.token_id} ({text(token.name)}) of project {token.project_id} "
        f"at {token.revoked_at}: requests with it are refused (401) {refused_within()}.",
        soft_wrap=True,
    )


def _token(item: dict[str, Any]) -> Token:
    """What may be shown of a token item: never the digest whole (it is the lookup key), never a token."""
    from .shapes import Token

    return Token(
        token_id=item["token_id"],
        project_id=item["project_id"],
        name=item.get("name"),
        digest_prefix=item["pk"].removeprefix("TOKEN#")[:DIGEST_PREFIX_LENGTH],
        created_at=item.get("created_at"),
        # Not recorded: authentication stays one GetItem with no write. Shown if a future version stores it.
        last_used_at=item.get("last_used_at"),
        revoked_at=item.get("revoked_at"),
    )
