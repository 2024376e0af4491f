"""`performance PROJECT_ID`: transactions by name (count, error rate, p50/p95/p99, throughput), slowest
first, from the hourly aggregates the events stream keeps (one Query, never a scan of events); with
--transaction, that one's p95 per hour as a plain-text chart."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from . import timespec
from .common import JsonOption, ProjectId, connect, require_project
from .output import NONE, console, emit_json, printable, table, text, when

if TYPE_CHECKING:
    from .shapes import HourlyP95

CHART_BAR_WIDTH = 40  # with the hour, the value and the count, a line stays within 80 columns


def performance(
    ctx: typer.Context,
    project_id: ProjectId,
    since: Annotated[
        str, typer.Option("--since", "-s", metavar="WHEN", help="How far back: 1h, 24h, 7d or an ISO-8601 time.")
    ] = "24h",
    environment: Annotated[
        str | None,
        typer.Option("--environment", "-e", help="The environment. Default: the stack's default environment."),
    ] = None,
    transaction: Annotated[
        str | None,
        typer.Option("--transaction", "-t", metavar="NAME", help="Only this transaction, with its p95 per hour."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Transactions slowest (p95) first: count, error rate, p50/p95/p99 duration_ms, throughput per minute."""
    connect(ctx)
    from logister_common.operator import performance as stats
    from logister_common.runtime.settings import get_settings

    from .shapes import HourlyP95, Performance, TransactionPerformance

    now = datetime.now(UTC)
    start = timespec.since(since, now)
    if start >= now:
        raise typer.BadParameter("must be in the past", param_hint="--since")
    environment = environment or get_settings().default_environment
    require_project(project_id)
    found = stats.aggregates(project_id, environment, start, now)
    rows = stats.summarize(found, (now - start).total_seconds() / 60)
    if transaction is not None:
        rows = [row for row in rows if row.transaction == transaction]
    report = Performance(
        project_id=project_id,
        environment=environment,
        since=start.isoformat(),
        until=now.isoformat(),
        transactions=[TransactionPerformance(**asdict(row)) for row in rows],
        hourly_p95=None
        if transaction is None
        else [HourlyP95(**asdict(point)) for point in stats.hourly_p95(found, transaction)],
    )
    if as_json:
        emit_json(report)
        return
    if not rows:
        scope = f"transaction {text(transaction)!s} in " if transaction is not None else "transactions in "
        console.print(f"No {scope}{text(environment)} since {when(start.isoformat(), now)}.")
        return
    grid = table("transaction", "count", "error rate", "p50", "p95", "p99", "throughput")
    for row in report.transactions:
        grid.add_row(
            text(row.transaction),
            str(row.count),
            f"{row.error_rate:.1%}",
            _ms(row.p50_ms),
            _ms(row.p95_ms),
            _ms(row.p99_ms),
            f"{row.throughput_per_minute:g}/min",
        )
    console.print(grid)
    if report.hourly_p95:
        console.print(f"p95 per hour (UTC) of {text(transaction)}:")
        for line in chart(report.hourly_p95):
            console.print(line, markup=False)


def chart(points: list[HourlyP95]) -> list[str]:
    """One line per hour: `YYYY-MM-DD HHh |#####     | 245.7 ms  n=12`, bars scaled to the slowest hour."""
    top = max((point.p95_ms or 0.0 for point in points), default=0.0)
    lines = []
    for point in points:
        value = point.p95_ms or 0.0
        filled = round(CHART_BAR_WIDTH * value / top) if top > 0 else 0
        bar = ("#" * filled).ljust(CHART_BAR_WIDTH)
        hour = point.hour.replace("T", " ") + "h"
        lines.append(f"{hour} |{bar}| {_ms(point.p95_ms):>11}  n={point.count}")
    return lines


def _ms(value: float | None) -> str:
    return NONE if value is None else printable(f"{value:g} ms")
