"""`trace PROJECT_ID TRACE_ID`: the span tree as a waterfall in the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from .common import AdminError, JsonOption, ProjectId, connect, require_project
from .output import console, emit_json, printable
from .waterfall import bar, layout

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult

    from .waterfall import Row, Waterfall

# At most a third of the terminal for names (never less than this), so the bars keep the rest.
MIN_NAME_CAP = 28
KIND_CAP = 12
STATUS_CAP = 10
# Narrower bars say nothing: the column is left out instead.
MIN_BAR = 10
ORPHAN_NOTE = " (orphan)"  # short, as a long note would cut the name; --json calls it `orphan` too
# Wide enough that measuring a table never squeezes it.
_UNBOUNDED = 10_000


class _Bar:
    """A span's bar, drawn as wide as its column is once the other columns have their widths."""

    def __init__(self, row: Row, total_ms: float, style: str) -> None:
        self.row, self.total_ms, self.style = row, total_ms, style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text(bar(self.row, self.total_ms, options.max_width), style=self.style, no_wrap=True)


def _cell(value: str, cap: int, style: str = "") -> Text:
    """One line, cut with an ellipsis at `cap` cells: a table squeezed by rich truncates it, never wraps it."""
    cell = Text(value, style=style, no_wrap=True, overflow="ellipsis")
    cell.truncate(cap, overflow="ellipsis")
    return cell


def _name(row: Row, cap: int) -> Text:
    """The span's name indented by depth; the orphan note is kept whole, the name cut to leave it room."""
    note = ORPHAN_NOTE if row.orphan else ""
    name = _cell("  " * row.depth + printable(row.span.get("name") or row.span["span_id"]), cap - len(note))
    name.append(note, style="dim")
    return name


def waterfall_table(waterfall: Waterfall, out: Console, widest_bar: int | None = None) -> Table:
    """Name, kind, status and times keep their width (up to their caps); the bars take what `out` has left,
    up to `widest_bar`, and are left out when that is under MIN_BAR cells."""
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, collapse_padding=True, header_style="bold")
    # Name and kind may be squeezed (never wrapped: their cells are one line), times and status never.
    grid.add_column("span", overflow="ellipsis")
    grid.add_column("kind", overflow="ellipsis")
    grid.add_column("status", no_wrap=True)
    grid.add_column("start ms", justify="right", no_wrap=True)
    grid.add_column("dur ms", justify="right", no_wrap=True)
    grid.add_column("waterfall", width=1, no_wrap=True)
    name_cap = max(MIN_NAME_CAP, out.width // 3)
    for row in waterfall.rows:
        failed = str(row.span.get("status") or "").lower() in ("error", "failed", "failure")
        grid.add_row(
            _name(row, name_cap),
            _cell(printable(row.span.get("kind") or ""), KIND_CAP),
            _cell(printable(row.span.get("status") or ""), STATUS_CAP, style="red" if failed else ""),
            f"{row.offset_ms:,.1f}",
            f"{row.duration_ms:,.1f}",
            _Bar(row, waterfall.total_ms, "red" if failed else "cyan"),
        )
    natural = out.measure(grid, options=out.options.update_width(_UNBOUNDED)).maximum
    bar_width = out.width - (natural - 1)  # the bar column is 1 cell wide in `natural`
    if widest_bar is not None:
        bar_width = min(bar_width, widest_bar)
    if bar_width < MIN_BAR:
        grid.columns.pop()
    else:
        grid.columns[-1].width = bar_width
    return grid


def trace(
    ctx: typer.Context,
    project_id: ProjectId,
    trace_id: Annotated[str, typer.Argument(metavar="TRACE_ID", help="The trace id the spans were sent with.")],
    width: Annotated[
        int | None,
        typer.Option(
            "--width",
            min=MIN_BAR,
            max=200,
            help="Widest the waterfall bars get (default: what the terminal leaves after the other columns).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The trace's spans as a tree (indented by parent), each with a bar scaled to the root's duration, in ms.

    A span whose parent is not stored is shown as a root marked (orphan)."""
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
    # Above the table rather than its title, which rich would wrap to the table's width.
    title = f"Trace {printable(trace_id)}: {len(waterfall.rows)} spans, {waterfall.total_ms:,.1f} ms"
    console.print(Text(title, style="table.title"))
    console.print(waterfall_table(waterfall, console, width))
