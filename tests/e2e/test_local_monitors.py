"""`make dev` runs the whole monitor loop: check-in, scheduled sweep, monitors stream, alert on stdout."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from logister import LogisterClient

DEMO_TOKEN = "logister_" + "cd" * 24
ALERT_TIMEOUT = 15

pytestmark = pytest.mark.e2e


def check_in(api, occurred_at: datetime) -> dict:
    """Through the official Python SDK's check_in()."""
    with LogisterClient(api_key=DEMO_TOKEN, base_url=api.url) as client:
        return client.check_in("nightly", "ok", occurred_at=occurred_at, expected_interval_seconds=60)


def alert(kind: str):
    def matches(line: str) -> bool:
        if kind not in line or "nightly" not in line:
            return False
        try:
            record = json.loads(line)
        except ValueError:
            return False
        return record.get("kind") == kind and record.get("slug") == "nightly"

    return matches


def test_an_overdue_monitor_alerts_missed_then_recovered(local_api):
    with local_api(LOGISTER_DEMO_TOKEN=DEMO_TOKEN, LOGISTER_LOCAL_SWEEP_SECONDS="1") as api:
        assert api.state["topics"]["AlertTopic"] in api.banner
        assert "LOGISTER_LOCAL_SWEEP_SECONDS" in api.banner
        assert api.state["schedules"] == {"MonitorSweeperFunction": 1.0}
        assert api.state["streams"] == {
            "MonitorAlertsFunction": "MonitorsTable",
            "EventProjectionsFunction": "EventsTable",
        }
        assert api.state["env"]["ALERT_TOPIC_ARN"] == api.state["topics"]["AlertTopic"]

        late = check_in(api, datetime.now(UTC) - timedelta(minutes=10))
        assert late["status"] == "accepted" and "legacy_id" not in late, (late, api.stderr())
        api.wait_for_line(alert("monitor_missed"), ALERT_TIMEOUT)

        on_time = check_in(api, datetime.now(UTC))
        assert on_time["status"] == "accepted", (on_time, api.stderr())
        api.wait_for_line(alert("monitor_recovered"), ALERT_TIMEOUT)
    assert api.exit_code == 0
