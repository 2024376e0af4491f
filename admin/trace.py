"""`trace PROJECT_ID TRACE_ID`: the span tree as a waterfall in the terminal."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from .common import AdminError, JsonOption, ProjectId, connect, require_project
from .output import console, emit_json, printable, table, text
from .waterfall import bar, layout


def trace(
    ctx: typer.Context,
    project_id: ProjectId,
    trace_id: Annotated[str, typer.Argument(metavar="TRACE_ID", help="The trace id the spans were sent with.")],
    width: Annotated[int, typer.Option("--width", min=10, max=200, help="Width of the waterfall bars.")] = 40,
    as_json: JsonOption = False,
) -> None:
    """The trace's spans as a tree (indented by parent), each with a bar scaled to the root's duration, in ms."""
    connect(ctx)
    from logister_common.storage.traces_index import trace_spans

    require_project(project_id)
    spans = trace_spans(project_id, trace_id)
    if not spans:
        raise AdminError(f"No spans of trace {trace_id} in project {project_id}.")
    waterfall = layout(spans)
    if as_json:
        from .shapes import Trace, TraceSpan

        emit_json(
            Trace(
                trace_id=trace_id,
                started_at=waterfall.started_at.isoformat().replace("+00:00", "Z"),
                duration_ms=waterfall.total_ms,
                spans=[
                    TraceSpan(
                        span_id=row.span["span_id"],
                        parent_span_id=row.span.get("parent_span_id"),
                        name=row.span.get("name"),
                        kind=row.span.get("kind"),
                        status=row.span.get("status"),
                        started_at=row.span.get("started_at"),
                        depth=row.depth,
                        offset_ms=round(row.offset_ms, 3),
                        duration_ms=row.duration_ms,
                        orphan=row.orphan,
                        id=row.span.get("uuid"),
                    )
                    for row in waterfall.rows
                ],
            )
        )
        return
    grid = table(
        "span",
        "kind",
        "status",
        "start ms",
        "duration ms",
        "waterfall",
        title=f"Trace {text(trace_id)}: {len(waterfall.rows)} spans, {waterfall.total_ms:,.1f} ms",
    )
    for column in grid.columns[3:5]:
        column.justify = "right"
    grid.columns[5].no_wrap = True
    for row in waterfall.rows:
        name = Text("  " * row.depth + printable(row.span.get("name") or row.span["span_id"]))
        if row.orphan:
            name.append(" (parent not stored)", style="dim")
        failed = str(row.span.get("status") or "").lower() in ("error", "failed", "failure")
        grid.add_row(
            name,
            Text(printable(row.span.get("kind") or "")),
            Text(printable(row.span.get("status") or ""), style="red" if failed else ""),
            f"{row.offset_ms:,.1f}",
            f"{row.duration_ms:,.1f}",
            Text(bar(row, waterfall.total_ms, width), style="red" if failed else "cyan"),
        )
    console.print(grid)
