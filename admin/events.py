"""`events` (what arrived, newest first) and `errors` (the error inbox)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from . import timespec
from .common import JsonOption, ProjectId, connect, require_project
from .output import console, emit_json, table, text, when


def events(
    ctx: typer.Context,
    project_id: ProjectId,
    event_type: Annotated[
        str | None,
        typer.Option("--type", "-t", help="Only this type: error, log, metric, transaction, check_in, span, …"),
    ] = None,
    environment: Annotated[str | None, typer.Option("--environment", "-e", help="Only this environment.")] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            "-s",
            metavar="WHEN",
            help="How far back: 90s, 15m, 1h, 2d, 1w or an ISO-8601 time. Default: the retention period.",
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1_000, help="At most this many.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """What arrived (events, check-ins and spans), newest first: read from the listing items (Queries, never a Scan)."""
    connect(ctx)
    from logister_common.operator.recent_events import recent_events
    from logister_common.runtime.settings import get_settings

    from .shapes import Arrival

    now = datetime.now(UTC)
    start = timespec.since(since, now) if since else now - timedelta(days=get_settings().event_retention_days)
    require_project(project_id)
    listed = recent_events(
        project_id, since=start, now=now, limit=limit, event_type=event_type, environment=environment
    )
    found = [Arrival.model_validate(event) for event in listed]
    if as_json:
        emit_json(found)
        return
    if not found:
        console.print(f"Nothing arrived since {when(start.isoformat(), now)} for these filters.")
        return
    grid = table("received", "type", "level", "environment", "title", "id", ids=(5,))
    for event in found:
        title = text(event.title)
        if event.trace_id:
            title += f" [dim](trace {text(event.trace_id)})[/dim]"
        grid.add_row(
            when(event.received_at, now),
            text(event.type),
            text(event.level),
            text(event.environment),
            title,
            text(event.id),
        )
    console.print(grid)


def errors(
    ctx: typer.Context,
    project_id: ProjectId,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many groups.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """The error inbox: error groups by when they were last seen, with how often they occurred."""
    connect(ctx)
    from logister_common.storage.error_groups_table import project_groups

    from .shapes import ErrorGroup

    require_project(project_id)
    groups = [
        ErrorGroup(
            group_id=group["group_id"],
            title=group.get("title"),
            occurrences=group.get("occurrences", 0),
            first_seen=group.get("first_seen"),
            last_seen=group.get("last_seen"),
            severity=group.get("severity"),
            stage=group.get("stage"),
            fingerprint=group.get("fingerprint"),
            last_event_id=group.get("last_event_id"),
        )
        for group in project_groups(project_id)[:limit]
    ]
    if as_json:
        emit_json(groups)
        return
    if not groups:
        console.print(f"No errors in project {project_id}.")
        return
    now = datetime.now(UTC)
    grid = table("last seen", "count", "severity", "title", "first seen", "last event", ids=(5,))
    grid.columns[1].justify = "right"
    for group in groups:
        grid.add_row(
            when(group.last_seen, now),
            str(group.occurrences),
            text(group.severity),
            text(group.title),
            when(group.first_seen, now),
            text(group.last_event_id),
        )
    console.print(grid)
