from datetime import UTC, datetime

from logister_common.contract.check_in_fields import CheckIn, check_in_from_context, interval_from
from logister_common.monitors.rules import Monitor, apply_check_in, grace_seconds, new_monitor
from logister_common.monitors.rules import transition as monitor_transition
from logister_common.storage.monitors_table import monitor_key, shard_for

T = datetime(2026, 6, 20, 12, 0, tzinfo=UTC)
EPOCH = int(T.timestamp())


def test_grace_is_half_the_interval_but_at_least_30_seconds():
    assert [grace_seconds(i) for i in (1, 60, 61, 300, 900)] == [30, 30, 30, 150, 450]


def test_interval_60_with_last_check_in_two_minutes_ago_is_missed():
    monitor = {"status": "ok", "last_check_in_us": EPOCH * 1_000_000, "interval_seconds": 60}
    assert Monitor.from_item(monitor).status_at(EPOCH + 90) == "ok"
    assert Monitor.from_item(monitor).status_at(EPOCH + 91) == "missed"
    assert Monitor.from_item(monitor).status_at(EPOCH + 120) == "missed"


def test_error_is_never_missed_and_paused_wins():
    assert Monitor.from_item({"status": "error"}).status_at(EPOCH + 10**6) == "error"
    assert Monitor.from_item({"status": "ok", "due_at": EPOCH, "paused_at": "x"}).status_at(EPOCH + 10**6) == "paused"
    assert Monitor.from_item({"status": "missed"}).status_at(EPOCH) == "missed"


def test_interval_casting_like_logister():
    assert [interval_from(v) for v in ("600", "abc", 0, -5, 90.9, None)] == [600, 300, 300, 300, 90, 300]


def test_only_exactly_error_is_error():
    def status_after(status: str) -> str | None:
        check_in = CheckIn("s", "production", status, T, 60, "e")
        return apply_check_in(new_monitor("p", "production#s", check_in), check_in, T).status

    assert [status_after(status) for status in ("ERROR", "error", "in_progress", "ok")] == ["ok", "error", "ok", "ok"]


def test_monitor_keys_do_not_collide_and_shards_are_stable():
    assert monitor_key("a#b", "c") != monitor_key("a", "b#c")
    assert shard_for("p", "k") == shard_for("p", "k")
    assert {shard_for("p", f"k{i}") for i in range(200)} == {str(i) for i in range(16)}


def test_check_in_from_an_ingested_event_context():
    context = {"check_in_slug": "nightly", "check_in_status": "error", "expected_interval_seconds": "900"}
    check_in = check_in_from_context("msg", context, T, "e1", T)
    assert (check_in.slug, check_in.environment, check_in.status, check_in.interval_seconds) == (
        "nightly",
        "production",
        "error",
        900,
    )
    fallback = check_in_from_context("from-message", {"status": "ok", "environment": "staging"}, T, "e2", T)
    assert (fallback.slug, fallback.environment, fallback.status) == ("from-message", "staging", "ok")
    assert check_in_from_context("  ", {}, T, "e3", T) is None


def transition(old: dict | None, new: dict):
    """The rules' transition between two stored monitors, given as their items' plain values."""
    return monitor_transition(Monitor.from_item(old) if old is not None else None, Monitor.from_item(new))


MONITOR = {"project_id": "p", "monitor_key": "production#nightly", "slug": "nightly", "environment": "production"}


def test_transitions():
    ok = {**MONITOR, "status": "ok", "last_event_id": "e1", "due_at": EPOCH}
    error = {**MONITOR, "status": "error", "last_event_id": "e2"}
    missed = {**MONITOR, "status": "missed", "missed_due_at": EPOCH}
    assert transition(None, ok) is None
    assert transition(None, error).kind == "monitor_error"
    assert transition(ok, error).kind == "monitor_error"
    assert transition(ok, missed).kind == "monitor_missed"
    assert transition(error, ok).kind == "monitor_recovered"
    recovered = transition(missed, ok)
    assert (recovered.kind, recovered.previous_status, recovered.status) == ("monitor_recovered", "missed", "ok")
    assert transition(ok, {**ok, "last_event_id": "e9"}) is None
    assert transition(error, {**error, "last_event_id": "e3"}) is None
    assert transition(ok, {**missed, "paused_at": "x"}) is None


def test_transition_ids_are_stable_for_a_redelivered_change_and_new_per_cycle():
    ok = {**MONITOR, "status": "ok", "last_event_id": "e1"}
    missed = {**MONITOR, "status": "missed", "missed_due_at": EPOCH}
    assert transition(ok, missed).transition_id == transition(ok, missed).transition_id
    later = {**missed, "missed_due_at": EPOCH + 600}
    assert transition(ok, missed).transition_id != transition(ok, later).transition_id
    reminding = {**missed, "due_at": EPOCH + 3600}  # due again for its first reminder
    message = transition(ok, reminding).message()
    assert message["kind"] == "monitor_missed" and message["slug"] == "nightly"
    assert message["due_at"] == "2026-06-20T12:00:00.000000Z"  # the deadline missed, not the reminder
