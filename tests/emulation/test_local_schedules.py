"""local.schedules and local.background: EventBridge scheduled events, the local interval, the repeating thread."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from local.background import Repeater
from local.schedules import (
    ScheduleSource,
    interval_seconds,
    rate_seconds,
    schedule_sources,
    scheduled_event,
)
from local.template import parameter_values


def test_schedule_sources_of_the_real_template(template):
    (source,) = schedule_sources(template, parameter_values(template, {}))
    assert source == ScheduleSource(
        function_id="MonitorSweeperFunction",
        event_id="Sweep",
        expression="rate(1 minute)",
        rule_name="logister-local-MonitorSweeperFunctionSweep",
    )


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(2 hours)", 7200),
        ("rate(1 day)", 86400),
        ("cron(0 12 * * ? *)", None),
    ],
)
def test_rate_expressions(expression, seconds):
    assert rate_seconds(expression) == seconds


def test_the_interval_comes_from_the_environment_else_the_rate_else_a_minute():
    sources = [ScheduleSource("Fn", "Tick", "rate(5 minutes)", "rule")]
    assert interval_seconds(sources, {}) == 300
    assert interval_seconds(sources, {"LOGISTER_LOCAL_SWEEP_SECONDS": "1"}) == 1
    assert interval_seconds(sources, {"LOGISTER_LOCAL_SWEEP_SECONDS": "0.25"}) == 0.25
    assert interval_seconds([ScheduleSource("Fn", "Tick", "cron(0 * * * ? *)", "rule")], {}) == 60
    for wrong in ("0", "-1", "soon"):
        with pytest.raises(ValueError, match="LOGISTER_LOCAL_SWEEP_SECONDS"):
            interval_seconds(sources, {"LOGISTER_LOCAL_SWEEP_SECONDS": wrong})


def test_the_scheduled_event_is_eventbridges():
    rule = "arn:aws:events:us-east-1:123456789012:rule/logister-local-MonitorSweeperFunctionSweep"
    event = scheduled_event(rule, "us-east-1", "123456789012", now=datetime(2024, 5, 1, 10, 0, 5, 123, tzinfo=UTC))
    assert event.pop("id")
    assert event == {
        "version": "0",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2024-05-01T10:00:05Z",
        "region": "us-east-1",
        "resources": [rule],
        "detail": {},
    }


def test_a_repeater_survives_exceptions_and_stops(capsys):
    calls: list[int] = []
    third = threading.Event()

    def action() -> None:
        calls.append(len(calls))
        if len(calls) >= 3:
            third.set()
        if len(calls) == 1:
            raise RuntimeError("first call fails")

    repeater = Repeater("test-repeater", 0.01, action).start()
    assert third.wait(5)
    repeater.stop()
    assert not repeater.running
    count = len(calls)
    assert "test-repeater failed" in capsys.readouterr().err
    third.clear()
    assert not third.wait(0.05)
    assert len(calls) == count
    with pytest.raises(ValueError, match="positive"):
        Repeater("never", 0, action)
