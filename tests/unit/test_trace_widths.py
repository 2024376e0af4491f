"""`trace` at 80, 100 and 160 columns: one line per span, names and kinds whole up to their caps, the
bars taking what is left (and left out when too little is)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from rich.cells import cell_len
from rich.console import Console

from admin.trace import MIN_BAR, MIN_NAME_CAP, waterfall_table
from admin.waterfall import BAR, TRACK, Waterfall, layout

START = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
LONG_NAME = "POST https://payments.example.com/v2/charges/idempotent/retry-with-backoff"


def span(span_id: str, parent: str | None, start_ms: float, duration_ms: float, name: str, kind: str) -> dict:
    started = START + timedelta(milliseconds=start_ms)
    fields = {"span_id": span_id, "name": name, "kind": kind, "status": "ok", "duration_ms": duration_ms}
    return {**fields, "parent_span_id": parent, "started_at": started.isoformat()}


SPANS = [
    span("root", None, 0, 420, "GET /api/v1/checkout/{id}", "server"),
    span("auth", "root", 5, 30, "auth.verify_session", "internal"),
    span("db", "root", 40, 120, "db.query SELECT orders", "db"),
    span("child", "db", 60, 40, "redis GET cart:{customer_id}", "cache"),
    span("pay", "root", 170, 200, LONG_NAME, "http"),
    span("mail", "root", 380, 35, "send receipt", "queue"),
]


def drawn(waterfall: Waterfall, width: int, widest_bar: int | None = None) -> list[str]:
    printed = io.StringIO()
    out = Console(width=width, file=printed, color_system=None, highlight=False)
    out.print(waterfall_table(waterfall, out, widest_bar))
    return printed.getvalue().splitlines()


def bar_width(line: str) -> int:
    return sum(character in (BAR, TRACK) for character in line)


@pytest.mark.parametrize("width", [80, 100, 160])
def test_every_span_is_one_line_with_its_name_kind_and_times_whole(width):
    waterfall = layout(SPANS)
    lines = drawn(waterfall, width)
    header, _rule, *rows = lines
    assert len(rows) == len(waterfall.rows)  # nothing wrapped onto a line of its own
    assert all(cell_len(line) <= width for line in lines)
    assert header.split() == ["span", "kind", "status", "start", "ms", "dur", "ms", "waterfall"]
    name_cap = max(MIN_NAME_CAP, width // 3)
    for row, line in zip(waterfall.rows, rows, strict=True):
        name = "  " * row.depth + row.span["name"]
        if len(name) <= name_cap:
            assert line.startswith(f" {name} ")
        else:  # cut on its one line, never wrapped
            assert line.startswith(f" {name[: name_cap - 1]}… ")
        assert f" {row.span['kind']} " in line
        assert line.rstrip().split()[-3:-1] == [f"{row.offset_ms:,.1f}", f"{row.duration_ms:,.1f}"]
        assert bar_width(line) >= MIN_BAR
    assert len({bar_width(line) for line in rows}) == 1


def test_wider_terminals_give_wider_bars_and_full_names():
    waterfall = layout(SPANS)
    narrow, wide = (bar_width(drawn(waterfall, width)[2]) for width in (80, 160))
    assert wide > narrow
    assert any(LONG_NAME in line for line in drawn(waterfall, 240))
    assert not any(LONG_NAME in line for line in drawn(waterfall, 80))


def test_width_option_caps_the_bars():
    waterfall = layout(SPANS)
    assert {bar_width(line) for line in drawn(waterfall, 160, widest_bar=20)[2:]} == {20}
    fitted = bar_width(drawn(waterfall, 80)[2])
    assert {bar_width(line) for line in drawn(waterfall, 80, widest_bar=200)[2:]} == {fitted}  # the terminal wins


def test_too_narrow_for_bars_leaves_them_out_and_keeps_times_whole():
    waterfall = layout(SPANS)
    lines = drawn(waterfall, 60)
    assert "waterfall" not in lines[0] and not any(bar_width(line) for line in lines)
    assert all(cell_len(line) <= 60 for line in lines) and len(lines) == 2 + len(waterfall.rows)
    assert [line.split()[-2:] for line in lines[2:]] == [
        [f"{row.offset_ms:,.1f}", f"{row.duration_ms:,.1f}"] for row in waterfall.rows
    ]
    assert lines[3].startswith(" " * 3 + "auth.verify_session ") and " internal " in lines[3]


def test_an_orphan_keeps_its_note_on_the_same_line():
    waterfall = layout([*SPANS, span("lost", "gone", 300, 20, "orphaned.worker", "queue")])
    [line] = [line for line in drawn(waterfall, 100) if "orphaned.worker" in line]
    assert "orphaned.worker (orphan)" in line and bar_width(line) >= MIN_BAR
