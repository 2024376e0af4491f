"""`monitors PROJECT_ID` (every monitor and its status now) and `monitors pause|resume PROJECT_ID SLUG`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .common import AdminError, DefaultCommandGroup, JsonOption, ProjectId, connect, require_project
from .output import NONE, console, emit_json, from_epoch, table, text, when

if TYPE_CHECKING:
    from .shapes import MonitorState

app = typer.Typer(
    cls=DefaultCommandGroup,
    help="Check-in monitors: `monitors PROJECT_ID` lists them; pause and resume one.",
    no_args_is_help=True,
)

Slug = Annotated[str, typer.Argument(metavar="SLUG", help="The monitor's slug (its check_in_slug).")]
Environment = Annotated[
    str | None,
    typer.Option("--environment", "-e", help="The monitor's environment; needed only when the slug exists in several."),
]
STYLES = {"ok": "green", "error": "red", "missed": "red", "paused": "yellow"}
_RESUME_ATTEMPTS = 3


@app.command("list")
def list_monitors(ctx: typer.Context, project_id: ProjectId, as_json: JsonOption = False) -> None:
    """Every monitor with its status now, its last check-in and when it is due (also: `monitors PROJECT_ID`)."""
    connect(ctx)
    from logister_common.storage.monitors_table import project_monitors

    require_project(project_id)
    now = datetime.now(UTC)
    found = [_monitor(item, now) for item in project_monitors(project_id)]
    found.sort(key=lambda monitor: (monitor.slug, monitor.environment))
    if as_json:
        emit_json(found)
        return
    if not found:
        console.print(f"Project {project_id} has no monitors yet: the first check-in of a slug creates one.")
        return
    grid = table("slug", "environment", "status", "last check-in", "last status", "interval", "due")
    for monitor in found:
        style = STYLES.get(monitor.status, "")
        grid.add_row(
            text(monitor.slug),
            text(monitor.environment),
            f"[{style}]{monitor.status}[/{style}]" if style else text(monitor.status),
            when(monitor.last_check_in_at, now),
            text(monitor.last_status),
            f"{monitor.interval_seconds}s" if monitor.interval_seconds else NONE,
            _due(monitor, now),
        )
    console.print(grid)


@app.command("pause")
def pause(
    ctx: typer.Context, project_id: ProjectId, slug: Slug, environment: Environment = None, as_json: JsonOption = False
) -> None:
    """Pause a monitor: it still records check-ins, but is never flagged missed and alerts nothing."""
    connect(ctx)
    from logister_common.storage import monitors_table

    key = _find(project_id, slug, environment)["monitor_key"]
    updated = monitors_table.pause(project_id, key, datetime.now(UTC))
    if updated is None:
        raise AdminError(f"Monitor {slug} disappeared from project {project_id}.")
    _report(updated, "Paused", as_json)


@app.command("resume")
def resume(
    ctx: typer.Context, project_id: ProjectId, slug: Slug, environment: Environment = None, as_json: JsonOption = False
) -> None:
    """Resume a paused monitor: due again from its last check-in (if overdue, the next sweep flags it missed)."""
    connect(ctx)
    from logister_common.monitors.rules import Monitor
    from logister_common.storage import monitors_table

    monitor = _find(project_id, slug, environment)
    for _ in range(_RESUME_ATTEMPTS):
        if not monitor.get("paused_at"):
            _report(monitor, "Not paused:", as_json)
            return
        updated = monitors_table.resume(
            project_id,
            monitor["monitor_key"],
            monitor.get("last_check_in_us"),
            Monitor.from_item(monitor).resumed_due_at(),
        )
        if updated is not None:
            _report(updated, "Resumed", as_json)
            return
        monitor = _find(project_id, slug, monitor["environment"])  # a check-in arrived meanwhile: read it again
    raise AdminError(f"Monitor {slug} keeps changing (check-ins arriving): try again.")


def _find(project_id: str, slug: str, environment: str | None) -> dict[str, Any]:
    from logister_common.storage.monitors_table import project_monitors

    require_project(project_id)
    matches = [
        item
        for item in project_monitors(project_id)
        if item.get("slug") == slug and (environment is None or item.get("environment") == environment)
    ]
    if not matches:
        where = f" in environment {environment}" if environment else ""
        raise AdminError(f"No monitor {slug}{where} in project {project_id}.")
    if len(matches) > 1:
        environments = ", ".join(sorted(str(item.get("environment")) for item in matches))
        raise AdminError(f"Monitor {slug} exists in several environments ({environments}): pass --environment.")
    return matches[0]


def _monitor(item: dict[str, Any], now: datetime) -> MonitorState:
    from logister_common.monitors.rules import Monitor

    from .shapes import MonitorState

    due = item.get("due_at")
    return MonitorState(
        slug=item["slug"],
        environment=item["environment"],
        status=Monitor.from_item(item).status_at(int(now.timestamp())),
        last_check_in_at=item.get("last_check_in_at"),
        last_status=item.get("last_status"),
        interval_seconds=item.get("interval_seconds"),
        due_at=_iso(due),
        missed_since=_iso(item.get("missed_due_at")),
        paused_at=item.get("paused_at"),
        last_error_at=item.get("last_error_at"),
        last_event_id=item.get("last_event_id"),
    )


def _iso(epoch: Any) -> str | None:
    """A stored epoch as ISO 8601; None when there is none, or it is beyond the years 1..9999."""
    moment = None if epoch is None else from_epoch(int(epoch))
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _due(monitor: MonitorState, now: datetime) -> str:
    if monitor.status == "paused":
        return "paused"
    if monitor.status == "error":
        return NONE + " (error monitors are never missed)"
    if monitor.missed_since and not monitor.due_at:
        return f"missed since {when(monitor.missed_since, now)}"
    return when(monitor.due_at, now)


def _report(item: dict[str, Any], verb: str, as_json: bool) -> None:
    monitor = _monitor(item, datetime.now(UTC))
    if as_json:
        emit_json(monitor)
        return
    console.print(f"{verb} monitor {text(monitor.slug)} ({text(monitor.environment)}): status now {monitor.status}.")
