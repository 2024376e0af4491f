"""`monitors PROJECT_ID` (every monitor and its status now), `monitors show|set PROJECT_ID SLUG` (one
monitor's configuration, open runs and recent check-ins) and `monitors pause|resume PROJECT_ID SLUG`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from .common import AdminError, DefaultCommandGroup, JsonOption, ProjectId, connect, require_project
from .output import NONE, console, emit_json, from_epoch, parse_time, table, text, when

if TYPE_CHECKING:
    from logister_common.contract.monitor_config import MonitorConfig
    from logister_common.monitors.rules import Monitor

    from .shapes import MonitorDetails, MonitorState

app = typer.Typer(
    cls=DefaultCommandGroup,
    help="Check-in monitors: `monitors PROJECT_ID` lists them; show, configure (set), pause and resume one.",
    no_args_is_help=True,
)

Slug = Annotated[str, typer.Argument(metavar="SLUG", help="The monitor's slug (its check_in_slug).")]
Environment = Annotated[
    str | None,
    typer.Option("--environment", "-e", help="The monitor's environment; needed only when the slug exists in several."),
]
STYLES = {"ok": "green", "error": "red", "missed": "red", "paused": "yellow"}


@app.command("list")
def list_monitors(ctx: typer.Context, project_id: ProjectId, as_json: JsonOption = False) -> None:
    """Every monitor with its status now, schedule, last check-in, next expected time and current run
    (also: `monitors PROJECT_ID`)."""
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
    grid = table(
        "slug", "environment", "status", "schedule", "last check-in", "last status", "next expected", "current run"
    )
    for monitor in found:
        grid.add_row(
            text(monitor.slug),
            text(monitor.environment),
            _styled(monitor.status),
            _schedule(monitor),
            when(monitor.last_check_in_at, now),
            text(monitor.last_status),
            "paused" if monitor.status == "paused" else when(monitor.next_expected_at, now),
            _current_run(monitor, now),
        )
    console.print(grid)


@app.command("show")
def show(
    ctx: typer.Context, project_id: ProjectId, slug: Slug, environment: Environment = None, as_json: JsonOption = False
) -> None:
    """One monitor: its configuration, status, next expected time, open runs and last check-ins."""
    connect(ctx)
    _print_details(_details(_find(project_id, slug, environment), datetime.now(UTC)), None, as_json)


@app.command("set")
def configure(
    ctx: typer.Context,
    project_id: ProjectId,
    slug: Slug,
    environment: Environment = None,
    schedule: Annotated[
        str | None,
        typer.Option(help='Expected on this cron schedule, e.g. "0 3 * * *" or @daily (replaces --interval).'),
    ] = None,
    interval: Annotated[
        int | None, typer.Option(help="Expected every SECONDS (replaces --schedule).", metavar="SECONDS")
    ] = None,
    timezone: Annotated[
        str | None, typer.Option(help="The schedule's IANA time zone, e.g. Europe/Berlin (default UTC).", metavar="TZ")
    ] = None,
    margin: Annotated[
        int | None,
        typer.Option(
            help="How late a check-in may be (default: 60 for a schedule, else half the interval, at least 30).",
            metavar="SECONDS",
        ),
    ] = None,
    max_runtime: Annotated[
        int | None,
        typer.Option(help="A run (in_progress check-in) still open after this long is a timeout.", metavar="SECONDS"),
    ] = None,
    failure_threshold: Annotated[
        int | None, typer.Option(help="Consecutive failures (errors, misses, timeouts) before an alert (default 1).")
    ] = None,
    recovery_threshold: Annotated[
        int | None, typer.Option(help="Consecutive ok check-ins before a down monitor recovers (default 1).")
    ] = None,
    remind_every: Annotated[
        int | None,
        typer.Option(
            help="While missed, alert again this often (default 3600, as Logister; 0: never).", metavar="SECONDS"
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Configure a monitor: the options given replace those set before (by `set` or a check-in's monitor_config)."""
    connect(ctx)
    from logister_common.monitors.rules import Monitor
    from logister_common.operator import monitor_settings

    update = _settings_update(
        {
            "--schedule": ("schedule", schedule),
            "--interval": ("interval_seconds", interval),
            "--timezone": ("timezone", timezone),
            "--margin": ("checkin_margin_seconds", margin),
            "--max-runtime": ("max_runtime_seconds", max_runtime),
            "--failure-threshold": ("failure_threshold", failure_threshold),
            "--recovery-threshold": ("recovery_threshold", recovery_threshold),
            "--remind-every": ("remind_every_seconds", remind_every),
        }
    )
    monitor = _find(project_id, slug, environment)
    if update.timezone and not (update.schedule or Monitor.from_item(monitor).config.schedule):
        raise AdminError(f"--timezone applies to a cron schedule, and monitor {slug} has none: pass --schedule too.")
    updated = monitor_settings.configure(project_id, monitor["monitor_key"], update)
    if updated is None:
        raise AdminError(f"Monitor {slug} disappeared from project {project_id}.")
    _print_details(_details(updated, datetime.now(UTC)), "Configured", as_json)


@app.command("pause")
def pause(
    ctx: typer.Context, project_id: ProjectId, slug: Slug, environment: Environment = None, as_json: JsonOption = False
) -> None:
    """Pause a monitor: it still records check-ins, but is never flagged missed and alerts nothing."""
    connect(ctx)
    from logister_common.operator import monitor_settings

    key = _find(project_id, slug, environment)["monitor_key"]
    updated = monitor_settings.pause(project_id, key, datetime.now(UTC))
    if updated is None:
        raise AdminError(f"Monitor {slug} disappeared from project {project_id}.")
    _report(updated, "Paused", as_json)


@app.command("resume")
def resume(
    ctx: typer.Context, project_id: ProjectId, slug: Slug, environment: Environment = None, as_json: JsonOption = False
) -> None:
    """Resume a paused monitor: due again from its last check-in (if overdue, the next sweep flags it missed)."""
    connect(ctx)
    from logister_common.operator import monitor_settings

    monitor = _find(project_id, slug, environment)
    if not monitor.get("paused_at"):
        _report(monitor, "Not paused:", as_json)
        return
    updated = monitor_settings.resume(project_id, monitor["monitor_key"])
    if updated is None:
        raise AdminError(f"Monitor {slug} disappeared from project {project_id}.")
    _report(updated, "Resumed", as_json)


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


def _settings_update(options: dict[str, tuple[str, Any]]) -> MonitorConfig:
    """The configuration the options given set, each validated as a check-in's monitor_config is (so the
    same bounds apply), and a refusal names the option."""
    from logister_common.contract.errors import Unprocessable
    from logister_common.contract.monitor_config import MonitorConfig, config_from_wire

    given = {flag: wired for flag, wired in options.items() if wired[1] is not None}
    if not given:
        raise AdminError(f"Nothing to set: pass at least one of {', '.join(options)}.")
    if "--schedule" in given and "--interval" in given:
        raise AdminError("--schedule and --interval exclude each other: a monitor follows one or the other.")
    if "--timezone" in given and "--interval" in given:
        raise AdminError("--timezone applies to a cron schedule (--schedule), not to --interval.")
    update = MonitorConfig()
    for flag, (name, value) in given.items():
        try:
            part = config_from_wire({name: value})
        except Unprocessable as error:
            raise AdminError(f"{flag}: {'; '.join(error.body['errors'])}") from None
        if part is None:
            raise AdminError(f"{flag} needs a value.")
        update = update.merged(part)
    return update


def _monitor(item: dict[str, Any], now: datetime) -> MonitorState:
    from logister_common.monitors.rules import Monitor

    from .shapes import MonitorState

    return MonitorState(**_state(item, Monitor.from_item(item), now))


def _state(item: dict[str, Any], monitor: Monitor, now: datetime) -> dict[str, Any]:
    """MonitorState's fields: what `monitors` lists, and `show` begins with."""
    schedule = monitor.config.schedule
    return {
        "slug": item["slug"],
        "environment": item["environment"],
        "status": monitor.status_at(int(now.timestamp())),
        "last_check_in_at": item.get("last_check_in_at"),
        "last_status": item.get("last_status"),
        "interval_seconds": item.get("interval_seconds"),
        "due_at": _iso(item.get("due_at")),
        "missed_since": _iso(item.get("missed_due_at")),
        "paused_at": item.get("paused_at"),
        "last_error_at": item.get("last_error_at"),
        "last_event_id": item.get("last_event_id"),
        "schedule": schedule,
        "timezone": (monitor.config.timezone or "UTC") if schedule else None,
        "every_seconds": None if schedule else monitor.effective_interval(),
        "next_expected_at": _iso(monitor.expected_at()),
        "open_runs": len(monitor.runs),
        "running_since": _iso_us(min((run.started_us for run in monitor.runs), default=None)),
    }


def _details(item: dict[str, Any], now: datetime) -> MonitorDetails:
    from logister_common.monitors.rules import Monitor

    from .shapes import MonitorDetails, MonitorSettings, OpenRun, RecentCheckIn

    monitor = Monitor.from_item(item)
    config = monitor.config
    source = "configured" if config.interval_seconds else "from check-ins"
    expected = (
        f"cron {config.schedule} {config.timezone or 'UTC'}"
        if config.schedule
        else f"every {monitor.effective_interval()}s ({source})"
    )
    return MonitorDetails(
        **_state(item, monitor, now),
        settings=MonitorSettings(**config._asdict()),
        expected=expected,
        margin_seconds=monitor.margin(),
        missed_at=_iso(monitor.missed_deadline()),
        failure_threshold=config.failures_to_alert,
        recovery_threshold=config.oks_to_recover,
        remind_every_seconds=config.remind_every,
        failures=monitor.failures,
        oks=monitor.oks,
        failure_kind=monitor.failure_kind,
        reminders=monitor.reminders,
        runs=[
            OpenRun(
                run_id=run.run_id or None,
                started_at=_iso_us(run.started_us),
                running_seconds=max(int(now.timestamp()) - run.started_us // 1_000_000, 0),
                times_out_at=_iso(run.deadline(config.max_runtime_seconds)),
            )
            for run in sorted(monitor.runs, key=lambda run: run.started_us)
        ],
        recent=[
            RecentCheckIn(
                status=entry.status,
                occurred_at=entry.occurred_at,
                duration_ms=entry.duration_ms,
                run_id=entry.run_id,
                event_id=entry.event_id,
            )
            for entry in monitor.recent
        ],
    )


def _print_details(details: MonitorDetails, verb: str | None, as_json: bool) -> None:
    if as_json:
        emit_json(details)
        return
    now = datetime.now(UTC)
    heading = f"{verb} monitor" if verb else "Monitor"
    console.print(f"{heading} {text(details.slug)} ({text(details.environment)}): {_styled(details.status)}")
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    if details.status == "paused":
        missed = f"never while paused (since {when(details.paused_at, now)})"
    elif details.status == "error":
        missed = NONE + " (error monitors are never missed)"
    else:
        missed = when(details.missed_at, now)
    reminders = f"every {details.remind_every_seconds}s while missed" if details.remind_every_seconds else "never"
    timeout = f"{details.settings.max_runtime_seconds}s" if details.settings.max_runtime_seconds else "none"
    for label, value in (
        ("expected", f"{text(details.expected)}, up to {details.margin_seconds}s late"),
        ("next expected", when(details.next_expected_at, now) + _local(details.next_expected_at, details.timezone)),
        ("missed at", missed),
        ("max runtime", timeout),
        (
            "alerts",
            f"after {details.failure_threshold} consecutive failure(s); "
            f"recovered after {details.recovery_threshold} ok check-in(s)",
        ),
        ("reminders", f"{reminders} ({details.reminders} sent)"),
        ("consecutive", f"{details.failures} failure(s), {details.oks} ok" + _down_for(details.failure_kind)),
        ("last check-in", f"{when(details.last_check_in_at, now)} {text(details.last_status)}"),
    ):
        facts.add_row(label, value)
    console.print(facts)
    if details.runs:
        runs = table("run id", "started", "running for", "times out", title="Open runs")
        for run in details.runs:
            runs.add_row(
                text(run.run_id), when(run.started_at, now), _span(run.running_seconds), when(run.times_out_at, now)
            )
        console.print(runs)
    else:
        console.print("No open run.")
    if details.recent:
        recent = table("occurred at", "status", "duration ms", "run id", title="Last check-ins (newest first)")
        for entry in details.recent:
            duration = NONE if entry.duration_ms is None else f"{entry.duration_ms:.1f}"
            recent.add_row(when(entry.occurred_at, now), _styled(entry.status), duration, text(entry.run_id))
        console.print(recent)


def _local(iso: str | None, zone: str | None) -> str:
    """A cron monitor's time also in its schedule's zone: the zone its crontab is read in."""
    from zoneinfo import ZoneInfo

    moment = parse_time(iso)
    if moment is None or zone is None or zone == "UTC":
        return ""
    return f", {moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {text(zone)}"


def _down_for(failure_kind: str | None) -> str:
    return f"; down for {text(failure_kind)}" if failure_kind else ""


def _styled(status: str) -> str:
    style = STYLES.get(status, "")
    return f"[{style}]{status}[/{style}]" if style else text(status)


def _schedule(monitor: MonitorState) -> str:
    if monitor.schedule:
        return f"cron {text(monitor.schedule)} ({text(monitor.timezone)})"
    return f"every {monitor.every_seconds}s" if monitor.every_seconds else NONE


def _current_run(monitor: MonitorState, now: datetime) -> str:
    started = parse_time(monitor.running_since)
    if started is None:
        return NONE
    running = _span(int((now - started).total_seconds()))
    return f"running {running}" if monitor.open_runs == 1 else f"{monitor.open_runs} running, oldest {running}"


def _span(seconds: int) -> str:
    """`45s`, `2m 5s`, `1h 3m`, `2d 4h`: the two largest units."""
    left = max(seconds, 0)
    parts: list[str] = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        if left >= size or (size == 1 and not parts):
            parts.append(f"{left // size}{unit}")
            left %= size
    return " ".join(parts[:2])


def _iso(epoch: Any) -> str | None:
    """A stored epoch as ISO 8601; None when there is none, or it is beyond the years 1..9999."""
    moment = None if epoch is None else from_epoch(int(epoch))
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _iso_us(epoch_us: int | None) -> str | None:
    moment = None if epoch_us is None else from_epoch(epoch_us / 1_000_000)
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _report(item: dict[str, Any], verb: str, as_json: bool) -> None:
    monitor = _monitor(item, datetime.now(UTC))
    if as_json:
        emit_json(monitor)
        return
    console.print(f"{verb} monitor {text(monitor.slug)} ({text(monitor.environment)}): status now {monitor.status}.")
