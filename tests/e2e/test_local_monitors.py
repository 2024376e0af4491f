"""`make dev` runs the whole monitor loop: check-in, scheduled sweep, monitors stream, alert on stdout."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests

DEMO_TOKEN = "logister_" + "cd" * 24
ALERT_TIMEOUT = 15

pytestmark = pytest.mark.e2e


def check_in(api, occurred_at: datetime) -> requests.Response:
    body = {
        "check_in": {
            "slug": "nightly",
            "status": "ok",
            "expected_interval_seconds": 60,
            "occurred_at": occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    }
    headers = {"Authorization": f"Bearer {DEMO_TOKEN}"}
    return requests.post(f"{api.url}/api/v1/check_ins", json=body, headers=headers, timeout=10)


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
        assert api.state["streams"] == {"MonitorAlertsFunction": "MonitorsTable"}
        assert api.state["env"]["ALERT_TOPIC_ARN"] == api.state["topics"]["AlertTopic"]

        late = check_in(api, datetime.now(UTC) - timedelta(minutes=10))
        assert late.status_code == 201, (late.text, api.stderr())
        api.wait_for_line(alert("monitor_missed"), ALERT_TIMEOUT)

        on_time = check_in(api, datetime.now(UTC))
        assert on_time.status_code == 201, (on_time.text, api.stderr())
        api.wait_for_line(alert("monitor_recovered"), ALERT_TIMEOUT)
    assert api.exit_code == 0
