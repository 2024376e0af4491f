"""`logister-admin trace` against `make dev`'s stack, drawn in 80 columns: a span tree sent over the HTTP API
reads one line per span, names and kinds whole (a long name cut with …), the bars fitted into what is left
(wider at 160)."""

from __future__ import annotations

import json
import time

import pytest
from rich.cells import cell_len

from admin.trace import MIN_BAR, MIN_NAME_CAP
from admin.waterfall import BAR, TRACK
from tests.e2e.test_admin_cli import Admin, post

pytestmark = pytest.mark.e2e

TRACE = "0af7651916cd43dd8448eb211c80319c"
# (span id, parent, start ms, duration ms, name, kind: one the contract keeps), in the waterfall's order.
TREE = [
    ("root", None, 0, 420, "GET /api/v1/checkout/{id}", "server"),
    ("auth", "root", 5, 30, "auth.verify_session", "internal"),
    ("db", "root", 40, 120, "db.query SELECT orders", "db"),
    ("child", "db", 60, 40, "redis GET cart", "cache"),
    ("mail", "root", 380, 35, "POST https://mail.example.com/v3/send", "http"),
]
DEPTHS = {"root": 0, "auth": 1, "db": 1, "child": 2, "mail": 1}


def body(span_id: str, parent: str | None, start_ms: int, duration_ms: int, name: str, kind: str) -> dict:
    fields = {
        "event_type": "span",
        "name": name,
        "kind": kind,
        "status": "ok",
        "trace_id": TRACE,
        "span_id": span_id,
        "started_at": f"2026-11-27T12:00:00.{start_ms:03d}Z",
        "duration_ms": duration_ms,
    }
    return {"event": {**fields, "parent_span_id": parent} if parent else fields}


def readable_spans(admin: Admin, project_id: str) -> int:
    """How many of the trace's spans `trace --json` reads so far (it exits 1 before the first)."""
    result = admin.run("trace", project_id, TRACE, "--json")
    return len(json.loads(result.stdout)["spans"]) if result.returncode == 0 else 0


def drawn(admin: Admin, project_id: str, columns: int) -> list[str]:
    admin.env["COLUMNS"] = str(columns)
    result = admin.run("trace", project_id, TRACE)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def bar_width(line: str) -> int:
    return sum(character in (BAR, TRACK) for character in line)


def test_trace_is_legible_at_80_columns(local_api):
    with local_api() as api:
        admin = Admin(api)
        project_id = api.state["project_id"]
        assert [post(api, "/api/v1/ingest_events", api.token, body(*span)) for span in TREE] == [201] * len(TREE)

        deadline = time.monotonic() + 15
        while readable_spans(admin, project_id) < len(TREE) and time.monotonic() < deadline:
            time.sleep(0.3)

        title, header, _rule, *rows = drawn(admin, project_id, 80)
        assert title == f"Trace {TRACE}: {len(TREE)} spans, 420.0 ms"
        assert "waterfall" in header
        assert len(rows) == len(TREE)  # one line per span: nothing wrapped
        for (span_id, _parent, start_ms, duration_ms, name, kind), line in zip(TREE, rows, strict=True):
            assert cell_len(line) <= 80
            indented = "  " * DEPTHS[span_id] + name
            shown = indented if len(indented) <= MIN_NAME_CAP else indented[: MIN_NAME_CAP - 1] + "…"
            assert line.startswith(f" {shown} ") and f" {kind} " in line
            assert f" {start_ms:.1f} " in line and f" {duration_ms:.1f} " in line
            assert bar_width(line) >= MIN_BAR
        assert BAR * bar_width(rows[0]) in rows[0]  # the root spans the whole bar

        wide = drawn(admin, project_id, 160)[3:]
        assert bar_width(wide[0]) > bar_width(rows[0])
    assert api.exit_code == 0
