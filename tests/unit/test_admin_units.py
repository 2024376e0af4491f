"""logister-admin's pure parts: the waterfall layout, --since, resuming a monitor, reading the local state file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import typer

from admin import targets, timespec
from admin.waterfall import bar, layout
from logister_common.monitors.rules import Monitor, due_at

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def span(span_id: str, parent: str | None, start_ms: float, duration_ms: float) -> dict:
    started = NOW + timedelta(milliseconds=start_ms)
    return {"span_id": span_id, "parent_span_id": parent, "started_at": started.isoformat(), "duration_ms": duration_ms}


def test_waterfall_orders_children_under_parents_by_start():
    spans = [span("c2", "root", 50, 10), span("root", None, 0, 100), span("c1", "root", 10, 20), span("g", "c1", 12, 5)]
    waterfall = layout(spans)
    assert [(row.span["span_id"], row.depth, row.offset_ms) for row in waterfall.rows] == [
        ("root", 0, 0),
        ("c1", 1, 10),
        ("g", 2, 12),
        ("c2", 1, 50),
    ]
    assert waterfall.total_ms == 100
    assert [bar(row, waterfall.total_ms, 10) for row in waterfall.rows] == [
        "██████████",
        "·██·······",
        "·█········",
        "·····█····",
    ]


def test_waterfall_shows_orphans_as_roots_and_scales_to_the_extent():
    spans = [span("a", None, 0, 10), span("b", "missing", 20, 20)]
    waterfall = layout(spans)
    assert [(row.span["span_id"], row.depth, row.orphan) for row in waterfall.rows] == [("a", 0, False), ("b", 0, True)]
    assert waterfall.total_ms == 40


def test_waterfall_survives_parent_cycles_and_zero_durations():
    spans = [span("a", "b", 0, 0), span("b", "a", 5, 0)]
    waterfall = layout(spans)
    assert sorted(row.span["span_id"] for row in waterfall.rows) == ["a", "b"]
    assert all(len(bar(row, waterfall.total_ms, 8)) == 8 for row in waterfall.rows)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("90s", NOW - timedelta(seconds=90)),
        ("15m", NOW - timedelta(minutes=15)),
        ("1h", NOW - timedelta(hours=1)),
        ("2d", NOW - timedelta(days=2)),
        ("1W", NOW - timedelta(weeks=1)),
        ("2026-11-26T08:00:00Z", datetime(2026, 11, 26, 8, tzinfo=UTC)),
        ("2026-11-26", datetime(2026, 11, 26, tzinfo=UTC)),
    ],
)
def test_since(value, expected):
    assert timespec.since(value, NOW) == expected


def test_since_refuses_what_it_cannot_read():
    with pytest.raises(typer.BadParameter):
        timespec.since("last tuesday", NOW)


def test_a_resumed_monitor_is_due_from_its_last_check_in():
    last = int(NOW.timestamp())
    monitor = {"status": "ok", "last_check_in_us": last * 1_000_000 + 123, "interval_seconds": 60}
    assert Monitor.from_item(monitor).next_due() == due_at(last, 60) == last + 60 + 30 + 1
    assert Monitor.from_item({**monitor, "paused_at": "x"}).next_due() is None  # paused: never due
    assert Monitor.from_item({**monitor, "status": "error"}).next_due() is None  # never missed
    assert Monitor.from_item({**monitor, "status": "missed", "remind_every": 0}).next_due() is None  # missed
    assert Monitor.from_item({"status": "ok"}).next_due() is None


def test_the_local_target_comes_from_the_state_file(tmp_path):
    state = {
        "dynamodb_endpoint": "http://127.0.0.1:8123",
        "region": "eu-west-1",
        "env": {"AUTH_TABLE": "auth", "EVENTS_TABLE": "events", "LOGISTER_EVENT_RETENTION_DAYS": "90"},
    }
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state))
    target = targets.choose(local=True, stack=None, region=None, environ={"LOGISTER_LOCAL_STATE_FILE": str(path)})
    assert target.environment["AUTH_TABLE"] == "auth"
    assert target.environment["AWS_ENDPOINT_URL_DYNAMODB"] == "http://127.0.0.1:8123"
    assert target.environment["AWS_REGION"] == "eu-west-1"
    assert target.environment["AWS_ACCESS_KEY_ID"] == "testing" and "AWS_PROFILE" in target.remove
    environ = {"AWS_PROFILE": "prod", "AWS_SESSION_TOKEN": "secret"}
    targets.activate(target, environ)
    assert "AWS_PROFILE" not in environ and "AWS_SESSION_TOKEN" not in environ and environ["EVENTS_TABLE"] == "events"


def test_a_missing_or_broken_state_file_is_a_clear_error(tmp_path):
    with pytest.raises(targets.TargetError, match="No local stack is running"):
        targets.local_target(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(targets.TargetError, match="Cannot read"):
        targets.local_target(tmp_path / "bad.json")
    with pytest.raises(targets.TargetError, match="--region applies to --stack only"):
        targets.choose(local=True, stack=None, region="eu-west-1")
