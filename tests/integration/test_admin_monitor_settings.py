"""`logister-admin monitors set|show|list` against moto, with check-ins posted through the real handler."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from typer.testing import CliRunner

from admin.cli import app
from tests.integration import test_admin_commands as commands
from tests.integration.test_admin_commands import TERMINAL_CONTROL, created, monitor_item

# The CLI driven against a moto stack, as test_admin_commands.py drives it.
stack, admin = commands.stack, commands.admin

BERLIN = ZoneInfo("Europe/Berlin")


def parsed(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def next_three_in_berlin(after: datetime) -> datetime:
    """03:00 Europe/Berlin strictly after `after`, computed here without cron (03:00 exists every day there)."""
    local = after.astimezone(BERLIN)
    candidate = local.replace(hour=3, minute=0, second=0, microsecond=0)
    if candidate <= local:
        candidate = (local + timedelta(days=1)).replace(hour=3, minute=0, second=0, microsecond=0)
    return candidate.astimezone(UTC)


def test_a_cron_schedule_set_is_shown_and_listed(admin, check_in):
    project = created(admin)
    project_id = project["project_id"]
    assert check_in({"check_in": {"slug": "nightly"}}, token=project["token"]).status == 201
    configured = admin(
        "monitors",
        "set",
        project_id,
        "nightly",
        "--schedule",
        "0  3 * * *",
        "--timezone",
        "Europe/Berlin",
        "--margin",
        "600",
        "--failure-threshold",
        "2",
        as_json=True,
    )
    assert configured["settings"] == {
        "interval_seconds": None,
        "schedule": "0 3 * * *",
        "timezone": "Europe/Berlin",
        "margin_seconds": 600,
        "max_runtime_seconds": None,
        "failure_threshold": 2,
        "recovery_threshold": None,
        "remind_every_seconds": None,
    }
    expected = next_three_in_berlin(parsed(configured["last_check_in_at"]))
    assert parsed(configured["next_expected_at"]) == expected
    assert parsed(configured["missed_at"]) == expected + timedelta(seconds=601)
    assert configured["expected"] == "cron 0 3 * * * Europe/Berlin"
    assert (configured["failure_threshold"], configured["recovery_threshold"]) == (2, 1)
    assert configured["remind_every_seconds"] == 3600  # Logister's hourly reminders, by default
    assert monitor_item(project_id, "nightly")["config"]["M"]["schedule"] == {"S": "0 3 * * *"}

    shown = admin("monitors", "show", project_id, "nightly", as_json=True)
    assert shown["next_expected_at"] == configured["next_expected_at"] and shown["status"] == "ok"
    page = admin("monitors", "show", project_id, "nightly").stdout
    assert "cron 0 3 * * * Europe/Berlin, up to 600s late" in page and "No open run" in page
    assert f"{expected.astimezone(BERLIN):%Y-%m-%d} 03:00 Europe/Berlin" in page

    [listed] = admin("monitors", project_id, as_json=True)
    assert (listed["schedule"], listed["timezone"], listed["every_seconds"]) == ("0 3 * * *", "Europe/Berlin", None)
    assert listed["next_expected_at"] == configured["next_expected_at"] and listed["open_runs"] == 0
    assert "cron 0 3 * * * (Europe/Berlin)" in admin("monitors", "list", project_id).stdout

    # An interval replaces the schedule (and its zone); the other settings stay.
    switched = admin("monitors", "set", project_id, "nightly", "--interval", "120", as_json=True)
    assert (switched["schedule"], switched["timezone"], switched["every_seconds"]) == (None, None, 120)
    assert switched["expected"] == "every 120s (configured)" and switched["settings"]["margin_seconds"] == 600
    assert parsed(switched["next_expected_at"]) == parsed(switched["last_check_in_at"]).replace(
        microsecond=0
    ) + timedelta(seconds=120)
    refused = admin("monitors", "set", project_id, "nightly", "--timezone", "UTC", code=1)
    assert "--timezone applies to a cron schedule" in refused.output


def test_an_open_run_is_shown_and_its_finish_is_in_the_history(admin, check_in):
    project = created(admin)
    project_id, token = project["project_id"], project["token"]
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=90)
    start = {"slug": "nightly", "status": "in_progress", "check_in_id": "run-1", "occurred_at": started.isoformat()}
    answer = check_in({"check_in": start}, token=token)
    assert answer.status == 201 and answer.json["check_in_id"] == "run-1"
    admin("monitors", "set", project_id, "nightly", "--max-runtime", "600")

    shown = admin("monitors", "show", project_id, "nightly", as_json=True)
    [run] = shown["runs"]
    assert run["run_id"] == "run-1" and parsed(run["started_at"]) == started
    assert 90 <= run["running_seconds"] < 150
    assert parsed(run["times_out_at"]) == started + timedelta(seconds=601)
    assert shown["open_runs"] == 1 and shown["running_since"] == run["started_at"]
    assert "run-1" in admin("monitors", "show", project_id, "nightly").stdout
    [listed] = admin("monitors", project_id, as_json=True)
    assert listed["open_runs"] == 1 and listed["running_since"] == run["started_at"]
    assert "running 1m" in admin("monitors", project_id).stdout

    finished = (started + timedelta(seconds=90, milliseconds=250)).isoformat()
    finish = {"slug": "nightly", "status": "ok", "check_in_id": "run-1", "occurred_at": finished}
    assert check_in({"check_in": finish}, token=token).status in (200, 201)
    shown = admin("monitors", "show", project_id, "nightly", as_json=True)
    assert shown["runs"] == [] and shown["open_runs"] == 0 and shown["running_since"] is None
    last, first = shown["recent"]
    assert (last["status"], last["run_id"], first["status"], first["run_id"]) == ("ok", "run-1", "in_progress", "run-1")
    assert last["duration_ms"] == 90_250 and first["duration_ms"] is None  # measured from the start
    assert "90250.0" in admin("monitors", "show", project_id, "nightly").stdout
    [listed] = admin("monitors", project_id, as_json=True)
    assert listed["open_runs"] == 0 and listed["last_status"] == "ok"


def test_invalid_settings_are_one_clear_line_and_change_nothing(admin, check_in):
    project = created(admin)
    project_id = project["project_id"]
    assert check_in({"check_in": {"slug": "nightly"}}, token=project["token"]).status == 201
    refusals = {
        ("--schedule", "61 * * * *"): "--schedule: Monitor schedule is not a valid crontab expression",
        ("--schedule", "0 3 * * *", "--timezone", "Mars/Olympus"): "not a known IANA time zone: Mars/Olympus",
        ("--failure-threshold", "0"): "--failure-threshold: Monitor failure_threshold must be a whole number from 1",
        ("--margin", "-5"): "--margin: Monitor checkin_margin_seconds must be a whole number from 0",
        ("--schedule", "@daily", "--interval", "60"): "--schedule and --interval exclude each other",
        ("--schedule", " "): "--schedule needs a value",
        (): "Nothing to set: pass at least one of --schedule",
    }
    for options, message in refusals.items():
        result = admin("monitors", "set", project_id, "nightly", *options, code=1)
        assert message in result.output, (options, result.output)
        assert "Traceback" not in result.output
    assert "config" not in monitor_item(project_id, "nightly")
    assert "No monitor nope" in admin("monitors", "set", project_id, "nope", "--interval", "60", code=1).output
    assert "No monitor nope" in admin("monitors", "show", project_id, "nope", code=1).output


def test_show_reads_keys_and_queries_never_scans(admin, check_in, record_calls):
    calls = record_calls()
    project = created(admin)
    assert check_in({"check_in": {"slug": "nightly"}}, token=project["token"]).status == 201
    calls.clear()
    admin("monitors", "show", project["project_id"], "nightly")
    assert set(calls.operations) <= {"DescribeStacks", "GetItem", "Query"}, calls.operations


def test_show_and_set_have_help():
    for command in (("monitors", "show"), ("monitors", "set")):
        result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0 and "Usage:" in result.output, result.output
    assert "--max-runtime" in CliRunner().invoke(app, ["monitors", "set", "--help"], env={"COLUMNS": "200"}).output


def test_tenant_text_in_runs_and_history_cannot_drive_the_terminal(admin, check_in):
    project = created(admin)
    body = {"slug": "nightly", "status": "in_progress", "check_in_id": "run" + TERMINAL_CONTROL}
    assert check_in({"check_in": body}, token=project["token"]).status == 201
    body = {"slug": "nightly", "status": "fine" + TERMINAL_CONTROL}
    assert check_in({"check_in": body}, token=project["token"]).status == 201
    assert check_in({"check_in": {**body, "status": "in_progress"}}, token=project["token"]).status == 201
    page = admin("monitors", "show", project["project_id"], "nightly").stdout
    assert "fine" in page and "run" in page
    assert not any(character in page for character in "\x1b\x07\x9b\r\x00"), page
    assert "owned" not in page
