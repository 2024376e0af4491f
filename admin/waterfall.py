"""A trace as a waterfall: spans in tree order with their depth, offset and duration. Pure.

Children follow their parent, ordered by start. A span whose parent is not stored (not arrived yet,
or dropped by its sender) is shown as a root. Offsets are from the start of the earliest root; the
scale is the root's duration (the whole trace's extent when there are several roots).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .output import parse_time

BAR = "█"
TRACK = "·"


@dataclass(frozen=True, slots=True)
class Row:
    span: dict[str, Any]
    depth: int
    offset_ms: float
    duration_ms: float
    orphan: bool  # has a parent id that is not among the spans


@dataclass(frozen=True, slots=True)
class Waterfall:
    rows: list[Row]
    started_at: datetime
    total_ms: float


# Where a span whose start cannot be read is drawn when no span's start can be.
_NO_START = datetime(1970, 1, 1, tzinfo=UTC)


def _duration(span: dict[str, Any], started_at: datetime) -> float:
    duration = span.get("duration_ms")
    if isinstance(duration, int | float) and duration > 0:
        return float(duration)
    ended_at = parse_time(span.get("ended_at"))
    if ended_at is not None:
        return max((ended_at - started_at).total_seconds() * 1000, 0.0)
    return 0.0


def layout(spans: list[dict[str, Any]]) -> Waterfall:
    """Stored data is read as it is: a start that cannot be read (missing, malformed) is drawn at the
    trace's earliest readable start, an end that cannot be read gives no duration."""
    if not spans:
        raise ValueError("a trace has at least one span")
    readable = [moment for moment in (parse_time(span.get("started_at")) for span in spans) if moment is not None]
    earliest = min(readable, default=_NO_START)

    def start(span: dict[str, Any]) -> datetime:
        return parse_time(span.get("started_at")) or earliest

    ordered = sorted(spans, key=lambda span: (start(span), span["span_id"]))
    ids = {span["span_id"] for span in ordered}
    children: dict[str, list[dict[str, Any]]] = {}
    roots = []
    for span in ordered:
        parent = span.get("parent_span_id")
        if parent and parent in ids and parent != span["span_id"]:
            children.setdefault(parent, []).append(span)
        else:
            roots.append(span)
    origin = start(roots[0]) if roots else start(ordered[0])
    rows: list[Row] = []
    seen: set[str] = set()

    def visit(span: dict[str, Any], depth: int) -> None:
        if span["span_id"] in seen:  # a parent cycle in client data must not loop forever
            return
        seen.add(span["span_id"])
        started_at = start(span)
        offset = (started_at - origin).total_seconds() * 1000
        orphan = bool(span.get("parent_span_id")) and span.get("parent_span_id") not in ids
        rows.append(Row(span, depth, offset, _duration(span, started_at), orphan))
        for child in children.get(span["span_id"], []):
            visit(child, depth + 1)

    for root in roots:
        visit(root, 0)
    for span in ordered:  # spans only reachable through a cycle
        visit(span, 0)
    if len(roots) == 1 and rows[0].duration_ms > 0:
        total = rows[0].duration_ms
    else:
        total = max((row.offset_ms + row.duration_ms for row in rows), default=0.0)
    return Waterfall(rows, origin, total)


def bar(row: Row, total_ms: float, width: int) -> str:
    """`··███····`: where the span sits within the root's duration, at least one cell wide."""
    if total_ms <= 0:
        return BAR + TRACK * (width - 1)
    start = min(max(int(row.offset_ms / total_ms * width), 0), width - 1)
    length = max(1, round(row.duration_ms / total_ms * width))
    length = min(length, width - start)
    return TRACK * start + BAR * length + TRACK * (width - start - length)
