"""`make dev` runs the whole monitor loop: check-in, scheduled sweep, monitors stream, alert on stdout."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from logister import LogisterClient

DEMO_TOKEN = "logister_" + "cd" * 24
AUTH = {"Authorization": f"Bearer {DEMO_TOKEN}"}
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


def test_a_run_past_its_max_runtime_alerts_timeout_and_a_cron_monitor_shows_its_next_time(local_api):
    """The README's walkthrough: a run that never finishes, and a cron monitor in a time zone."""
    from tests.e2e.test_admin_cli import Admin

    with local_api(LOGISTER_DEMO_TOKEN=DEMO_TOKEN, LOGISTER_LOCAL_SWEEP_SECONDS="1") as api:
        started = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
        start = {
            "check_in": {
                "slug": "nightly",
                "status": "in_progress",
                "check_in_id": "run-1",
                "occurred_at": started,
                "monitor_config": {"max_runtime": 5},  # minutes, as Sentry's SDKs send it
            }
        }
        reply = requests.post(f"{api.url}/api/v1/check_ins", json=start, headers=AUTH, timeout=10)
        assert reply.status_code == 201 and reply.json()["check_in_id"] == "run-1", reply.text
        line = api.wait_for_line(alert("monitor_timeout"), ALERT_TIMEOUT)
        assert json.loads(line)["status"] == "error"

        cron = {
            "check_in": {"slug": "backup", "monitor_config": {"schedule": "0 3 * * *", "timezone": "Europe/Berlin"}}
        }
        assert requests.post(f"{api.url}/api/v1/check_ins", json=cron, headers=AUTH, timeout=10).status_code == 201
        shown = Admin(api)("monitors", "show", api.state["project_id"], "backup")
        expected = datetime.fromisoformat(shown["next_expected_at"].replace("Z", "+00:00"))
        berlin = expected.astimezone(ZoneInfo("Europe/Berlin"))
        assert (berlin.hour, berlin.minute) == (3, 0) and expected > datetime.now(UTC)
    assert api.exit_code == 0
