"""Issue 14's monitors end to end: check-ins through the real handlers (with `monitor_config` as
Sentry's SDKs send it, and `check_in_id`), the real sweeper at explicit times, and the real alerts
function fed by the monitors table's stream.

Check-ins carry past occurred_at values (a time more than a day ahead of the receive time would be
taken as the receive time) and each sweep is given its `now`, so nothing waits on the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest

from logister_common.monitors.rules import Monitor
from logister_common.monitors.sweep import SweepResult, sweep
from logister_common.operator import monitor_settings
from logister_common.operator.provisioning import IssuedToken
from logister_common.storage import monitors_table
from tests.support import Reply, drain_queue

# Whole seconds, a day back: every check-in and sweep of a test is placed relative to it.
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
BERLIN = ZoneInfo("Europe/Berlin")

Post = Callable[..., Reply]  # the `check_in` and `ingest` fixtures
Alerts = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def alerts(aws: Any, deliver_streams: Callable[[], int]) -> Alerts:
    """Deliver the pending stream records; return the alerts published since the last call, having
    checked that delivering the streams once more publishes nothing (each alert goes out once)."""
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns").subscribe(
        TopicArn=aws.environment["ALERT_TOPIC_ARN"],
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )

    def deliver() -> list[dict[str, Any]]:
        deliver_streams()
        published = drain_queue(queue_url)
        deliver_streams()
        assert drain_queue(queue_url) == []
        return published

    return deliver


def at(seconds: int, base: datetime = START) -> datetime:
    return base + timedelta(seconds=seconds)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def kinds(messages: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(message["kind"], message["reminder"]) for message in messages]


def send(check_in: Post, project: IssuedToken, slug: str, when: datetime, **fields: Any) -> Reply:
    reply = check_in({"check_in": {"slug": slug, "occurred_at": iso(when), **fields}}, token=project.token)
    assert reply.status == 201, reply.json
    return reply


def echoed_run_id(reply: Reply) -> str:
    assert isinstance(reply.json, dict)
    return str(reply.json["check_in_id"])


def monitor(project: IssuedToken, slug: str, environment: str = "test") -> Monitor:
    item = monitors_table.monitor_item(project.project_id, monitors_table.monitor_key(environment, slug))
    assert item is not None
    return Monitor.from_item(item)


def idle(result: SweepResult) -> bool:
    return (result.items_read, result.missed, result.timed_out, result.reminded) == (0, 0, 0, 0)


def test_a_run_past_its_max_runtime_times_out_once_and_a_later_run_recovers(
    check_in: Post, project: IssuedToken, alerts: Alerts
) -> None:
    started = send(
        check_in, project, "etl", at(0), status="in_progress", check_in_id="run-1", monitor_config={"max_runtime": 5}
    )
    assert echoed_run_id(started) == "run-1"
    running = monitor(project, "etl")
    assert running.config.max_runtime_seconds == 300
    assert [(run.run_id, run.started_us) for run in running.runs] == [("run-1", epoch(at(0)) * 1_000_000)]
    assert alerts() == []

    assert idle(sweep(now=at(300)))  # five minutes exactly: not past them yet
    assert monitor(project, "etl").status == "ok"
    assert sweep(now=at(301)).timed_out == 1
    timed_out = monitor(project, "etl")
    assert (timed_out.status, timed_out.failure_kind, timed_out.runs) == ("error", "timeout", ())
    assert timed_out.due_at is None
    published = alerts()
    assert kinds(published) == [("monitor_timeout", 0)]
    assert (published[0]["slug"], published[0]["status"], published[0]["previous_status"]) == ("etl", "error", "ok")
    assert idle(sweep(now=at(7200)))  # an error monitor is never missed nor reminded
    assert alerts() == []

    send(check_in, project, "etl", at(600), status="in_progress", check_in_id="run-2")
    assert alerts() == []  # a start is neither a success nor a failure
    finished = send(check_in, project, "etl", at(660), status="ok", check_in_id="run-2")
    assert echoed_run_id(finished) == "run-2"
    recovered = monitor(project, "etl")
    assert (recovered.status, recovered.runs, recovered.last_duration_ms) == ("ok", (), 60_000)
    assert kinds(alerts()) == [("monitor_recovered", 0)]


def test_overlapping_runs_pair_by_check_in_id(check_in: Post, project: IssuedToken, alerts: Alerts) -> None:
    replies = [
        send(check_in, project, "sync", at(0), status="in_progress", check_in_id="run-a"),
        send(check_in, project, "sync", at(10), status="in_progress", check_in_id="run-b"),
    ]
    assert {run.run_id for run in monitor(project, "sync").runs} == {"run-a", "run-b"}
    replies.append(send(check_in, project, "sync", at(70), status="ok", check_in_id="run-b"))
    assert [run.run_id for run in monitor(project, "sync").runs] == ["run-a"]
    assert alerts() == []
    replies.append(send(check_in, project, "sync", at(100), status="error", check_in_id="run-a"))
    assert [echoed_run_id(reply) for reply in replies] == ["run-a", "run-b", "run-b", "run-a"]

    finished = monitor(project, "sync")
    assert finished.runs == ()
    durations = {(entry.run_id, entry.status): entry.duration_ms for entry in finished.recent}
    # Each from its own run's start: run-b 10 s -> 70 s, run-a 0 s -> 100 s.
    assert durations == {
        ("run-a", "in_progress"): None,
        ("run-b", "in_progress"): None,
        ("run-b", "ok"): 60_000,
        ("run-a", "error"): 100_000,
    }
    assert (finished.status, finished.last_duration_ms) == ("error", 100_000)
    assert kinds(alerts()) == [("monitor_error", 0)]


@pytest.mark.parametrize(
    ("checked_in", "expected", "then"),
    [
        # Clocks skip 02:00-03:00 on March 29: the 02:30 run is expected at 03:00 CEST.
        ("2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"),
        # 02:00-03:00 happens twice on October 25: expected at the first 02:30 (CEST), and only then.
        ("2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_a_cron_monitor_in_berlin_is_missed_at_the_right_second_across_dst(
    check_in: Post, project: IssuedToken, alerts: Alerts, checked_in: str, expected: str, then: str
) -> None:
    config = {"schedule": "30 2 * * *", "timezone": "Europe/Berlin", "checkin_margin": 5}
    send(check_in, project, "nightly", datetime.fromisoformat(checked_in), monitor_config=config)
    nightly = monitor(project, "nightly")
    assert (nightly.config.schedule, nightly.config.timezone, nightly.config.margin_seconds) == (
        "30 2 * * *",
        "Europe/Berlin",
        300,
    )
    expected_epoch = epoch(datetime.fromisoformat(expected))
    assert nightly.expected_at() == expected_epoch
    deadline = expected_epoch + 300 + 1
    assert nightly.due_at == deadline
    assert alerts() == []

    assert idle(sweep(now=datetime.fromtimestamp(deadline - 1, UTC)))
    assert monitor(project, "nightly").status == "ok"
    assert sweep(now=datetime.fromtimestamp(deadline, UTC)).missed == 1
    missed = monitor(project, "nightly")
    assert (missed.status, missed.missed_due_at) == ("missed", deadline)
    # The next expectation: the next night's 02:30, in that night's offset (never the repeated 02:30).
    assert datetime.fromtimestamp(missed.expected_at() or 0, BERLIN).isoformat() == then
    published = alerts()
    assert kinds(published) == [("monitor_missed", 0)]
    assert published[0]["previous_status"] == "ok"


def test_failure_and_recovery_thresholds_count_consecutive_check_ins(
    check_in: Post, project: IssuedToken, alerts: Alerts
) -> None:
    config = {"failure_issue_threshold": 2, "recovery_threshold": 2}
    send(check_in, project, "backup", at(0), status="error", monitor_config=config)
    assert (monitor(project, "backup").status, monitor(project, "backup").failures) == ("ok", 1)
    assert alerts() == []
    send(check_in, project, "backup", at(60), status="error")
    assert monitor(project, "backup").status == "error"
    assert kinds(alerts()) == [("monitor_error", 0)]

    send(check_in, project, "backup", at(120), status="ok")
    assert (monitor(project, "backup").status, monitor(project, "backup").oks) == ("error", 1)
    assert alerts() == []
    send(check_in, project, "backup", at(180), status="ok")
    assert monitor(project, "backup").status == "ok"
    assert kinds(alerts()) == [("monitor_recovered", 0)]


def test_misses_count_toward_the_failure_threshold(check_in: Post, project: IssuedToken, alerts: Alerts) -> None:
    send(check_in, project, "ping", at(0), expected_interval_seconds=60, monitor_config={"failure_issue_threshold": 2})
    # Expected at +60 s, missed 30 s (the grace) later; the second expectation counts from the first.
    assert idle(sweep(now=at(90)))
    sweep(now=at(91))
    first_miss = monitor(project, "ping")
    assert (first_miss.status, first_miss.failures, first_miss.due_at) == ("ok", 1, epoch(at(151)))
    assert alerts() == []
    assert idle(sweep(now=at(150)))
    assert sweep(now=at(151)).missed == 1
    second_miss = monitor(project, "ping")
    assert (second_miss.status, second_miss.failures, second_miss.missed_due_at) == ("missed", 2, epoch(at(151)))
    assert kinds(alerts()) == [("monitor_missed", 0)]


def go_missed(check_in: Post, project: IssuedToken, alerts: Alerts, slug: str, **fields: Any) -> datetime:
    """A 60 s monitor checked in at START and swept when missed; returns the moment it went missed."""
    send(check_in, project, slug, at(0), expected_interval_seconds=60, **fields)
    went_missed = at(91)
    assert sweep(now=went_missed).missed == 1
    assert kinds(alerts()) == [("monitor_missed", 0)]
    return went_missed


def test_reminders_at_the_configured_pace(check_in: Post, project: IssuedToken, alerts: Alerts) -> None:
    went_missed = go_missed(check_in, project, alerts, "ping", monitor_config={"remind_every_seconds": 600})
    assert idle(sweep(now=at(599, went_missed)))
    assert alerts() == []
    assert sweep(now=at(600, went_missed)).reminded == 1
    assert kinds(alerts()) == [("monitor_missed", 1)]
    assert idle(sweep(now=at(1199, went_missed)))
    assert sweep(now=at(1200, went_missed)).reminded == 1
    reminded = alerts()
    assert kinds(reminded) == [("monitor_missed", 2)]
    assert (reminded[0]["status"], reminded[0]["previous_status"]) == ("missed", "missed")
    assert monitor(project, "ping").reminders == 2


def test_reminders_are_hourly_by_default(check_in: Post, project: IssuedToken, alerts: Alerts) -> None:
    went_missed = go_missed(check_in, project, alerts, "ping")
    assert idle(sweep(now=at(3599, went_missed)))
    assert alerts() == []
    assert sweep(now=at(3600, went_missed)).reminded == 1
    assert kinds(alerts()) == [("monitor_missed", 1)]


def test_a_paused_monitor_gets_no_reminders(check_in: Post, project: IssuedToken, alerts: Alerts) -> None:
    went_missed = go_missed(check_in, project, alerts, "ping", monitor_config={"remind_every_seconds": 600})
    key = monitors_table.monitor_key("test", "ping")
    assert monitor_settings.pause(project.project_id, key, at(10, went_missed)) is not None
    for hours in (1, 2, 24):
        assert idle(sweep(now=at(hours * 3600, went_missed)))
    paused = monitor(project, "ping")
    assert (paused.status, paused.reminders, paused.due_at) == ("missed", 0, None)
    assert alerts() == []


def test_a_check_in_event_through_ingest_events_opens_a_run_and_stores_its_config(
    ingest: Post, project: IssuedToken, alerts: Alerts
) -> None:
    def event(status: str, when: datetime) -> dict[str, Any]:
        context = {
            "check_in_slug": "etl",
            "check_in_status": status,
            "check_in_id": "run-7",
            "monitor_config": {"schedule": {"type": "interval", "value": 30, "unit": "minute"}, "max_runtime": 10},
        }
        return {"event": {"event_type": "check_in", "message": "etl", "occurred_at": iso(when), "context": context}}

    assert ingest(event("in_progress", at(0)), token=project.token).status == 201
    running = monitor(project, "etl")
    assert (running.config.interval_seconds, running.config.max_runtime_seconds) == (1800, 600)
    assert [(run.run_id, run.started_us) for run in running.runs] == [("run-7", epoch(at(0)) * 1_000_000)]
    assert running.due_at == epoch(at(601))
    assert alerts() == []

    assert ingest(event("ok", at(45)), token=project.token).status == 201
    finished = monitor(project, "etl")
    assert (finished.status, finished.runs, finished.last_duration_ms) == ("ok", (), 45_000)
    # With the run closed, the configured interval governs: expected 30 min on, missed 15 min later.
    assert finished.due_at == epoch(at(45 + 1800 + 900 + 1))
    assert alerts() == []


def test_a_run_opened_through_ingest_events_times_out_like_one_from_check_ins(
    ingest: Post, project: IssuedToken, alerts: Alerts
) -> None:
    context = {
        "check_in_slug": "etl",
        "check_in_status": "in_progress",
        "check_in_id": "run-8",
        "monitor_config": {"max_runtime": 10},
    }
    body = {"event": {"event_type": "check_in", "message": "etl", "occurred_at": iso(at(0)), "context": context}}
    assert ingest(body, token=project.token).status == 201
    assert idle(sweep(now=at(600)))
    assert sweep(now=at(601)).timed_out == 1
    assert monitor(project, "etl").status == "error"
    assert kinds(alerts()) == [("monitor_timeout", 0)]
