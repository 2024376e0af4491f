"""logister-admin against moto: every command, through a (moto) CloudFormation stack whose outputs name the tables."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from admin.cli import app
from logister_common.container import reset_container_state
from logister_common.contract.normalization import normalize
from logister_common.endpoints.ingest_events import store
from logister_common.monitors.sweep import sweep
from logister_common.runtime.settings import get_settings
from logister_common.storage import clients
from tests.support import cloudformation_stack, span_items

STACK = "logister-test"
UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def stack(aws) -> Iterator[str]:
    """A CloudFormation stack named STACK whose outputs and parameters are those of the emulated tables."""
    parameters = {
        "EventRetentionDays": {"Type": "Number", "Default": 30},
        "PublicApiRateLimitRequests": {"Type": "Number", "Default": 1200},
        "DefaultEnvironment": {"Type": "String", "Default": "test"},
    }
    with cloudformation_stack(STACK, aws.names, parameters) as name:
        yield name


@pytest.fixture
def admin(stack) -> Callable[..., Any]:
    """`admin("projects", "list")` runs the CLI against the stack; `as_json=True` parses its output."""

    def run(*args: str, as_json: bool = False, code: int = 0) -> Any:
        arguments = ["--stack", stack, *args, *(["--json"] if as_json else [])]
        result = CliRunner().invoke(app, arguments, env={"COLUMNS": "240"}, catch_exceptions=False)
        assert result.exit_code == code, (arguments, result.output)
        reset_container_state()  # as the next process would start
        return json.loads(result.stdout) if as_json and code == 0 else result

    return run


def created(admin, name: str = "shop") -> dict:
    return admin("projects", "create", name, as_json=True)


def event(message: str, event_type: str = "log", **fields: Any) -> dict:
    return {"event": {"event_type": event_type, "message": message, **fields}}


def span(trace: str, span_id: str, parent: str | None, start_ms: int, duration_ms: float, name: str) -> dict:
    started = datetime(2026, 11, 27, 12, 0, tzinfo=UTC) + timedelta(milliseconds=start_ms)
    fields = {"trace_id": trace, "span_id": span_id, "duration_ms": duration_ms, "started_at": started.isoformat()}
    if parent:
        fields["parent_span_id"] = parent
    return {"event": {"event_type": "span", "name": name, "kind": "internal", **fields}}


# Projects and tokens


def test_projects_create_prints_the_id_and_a_token_shown_once(admin, ingest):
    result = admin("projects", "create", "shop")
    text = result.stdout
    project_id = UUID_PATTERN.search(text).group(0)
    token = re.search(r"logister_[0-9a-f]{48}", text).group(0)
    assert "shown only this once" in text
    assert ingest(event("hello"), token=token).status == 201
    listed = admin("projects", "list", as_json=True)
    assert [(project["project_id"], project["name"]) for project in listed] == [(project_id, "shop")]
    assert token not in json.dumps(admin("tokens", "list", project_id, as_json=True))


def test_projects_list_shows_status_and_overrides(admin):
    first, second = created(admin, "one"), created(admin, "two")
    admin("limits", "set", first["project_id"], "--requests", "50")
    admin("projects", "archive", second["project_id"])
    listed = {project["name"]: project for project in admin("projects", "list", as_json=True)}
    assert listed["one"]["archived_at"] is None and listed["one"]["rate_limit_overrides"]["requests"] == 50
    assert listed["two"]["archived_at"] is not None
    table = admin("projects", "list").stdout
    assert first["project_id"] in table and "archived" in table and "active" in table


def test_archive_revokes_every_token_and_restore_needs_a_fresh_one(admin, ingest):
    project = created(admin)
    second = admin("tokens", "create", project["project_id"], "--name", "ci", as_json=True)
    tokens = [project["token"], second["token"]]
    assert [ingest(event("x"), token=token).status for token in tokens] == [201, 201]

    archived = admin("projects", "archive", project["project_id"], as_json=True)
    assert sorted(archived["revoked_token_ids"]) == sorted([project["token_id"], second["token_id"]])
    assert [ingest(event("x"), token=token).status for token in tokens] == [401, 401]
    refused = admin("tokens", "create", project["project_id"], code=1)
    assert "archived" in refused.output and "Traceback" not in refused.output

    admin("projects", "restore", project["project_id"])
    assert [ingest(event("x"), token=token).status for token in tokens] == [401, 401]
    fresh = admin("tokens", "create", project["project_id"], as_json=True)
    assert ingest(event("x"), token=fresh["token"]).status == 201


def test_tokens_list_shows_ids_names_digest_prefixes_and_revocations_never_tokens(admin):
    project = created(admin)
    second = admin("tokens", "create", project["project_id"], "--name", "worker", as_json=True)
    revoked = admin("tokens", "revoke", project["token_id"], as_json=True)
    assert revoked["revoked_at"] and revoked["project_id"] == project["project_id"]

    listed = admin("tokens", "list", project["project_id"], as_json=True)
    assert [(token["token_id"], token["name"]) for token in listed] == [
        (project["token_id"], "default"),
        (second["token_id"], "worker"),
    ]
    assert listed[0]["revoked_at"] == revoked["revoked_at"] and listed[1]["revoked_at"] is None
    assert all(len(token["digest_prefix"]) == 12 and token["last_used_at"] is None for token in listed)
    table = admin("tokens", "list", project["project_id"]).stdout
    assert second["token_id"] in table and "worker" in table and "active" in table and "sha256:" in table
    for token in (project["token"], second["token"]):
        assert token not in table and token.split("_")[1] not in table


def test_tokens_revoke_answers_401_at_once(admin, ingest):
    project = created(admin)
    assert ingest(event("x"), token=project["token"]).status == 201
    result = admin("tokens", "revoke", project["token_id"])
    assert "Revoked token" in result.stdout
    assert ingest(event("x"), token=project["token"]).status == 401
    again = admin("tokens", "revoke", project["token_id"], as_json=True)  # idempotent, keeps the first time
    assert again["revoked_at"] == admin("tokens", "list", project["project_id"], as_json=True)[0]["revoked_at"]


def test_unknown_ids_are_one_clear_line_and_exit_1(admin):
    for args in (
        ("tokens", "revoke", "no-such-token"),
        ("tokens", "list", "no-such-project"),
        ("projects", "archive", "no-such-project"),
        ("projects", "restore", "no-such-project"),
        ("events", "no-such-project"),
        ("errors", "no-such-project"),
        ("monitors", "no-such-project"),
        ("trace", "no-such-project", "t"),
        ("limits", "show", "no-such-project"),
    ):
        result = admin(*args, code=1)
        assert result.output.startswith("Error: Unknown "), result.output
        assert "Traceback" not in result.output


# Limits


def test_limits_set_show_clear_and_bounds(admin, ingest):
    project = created(admin)
    project_id = project["project_id"]
    shown = admin("limits", "show", project_id, as_json=True)
    assert shown["overrides"] == {"requests": None, "period_seconds": None, "auth_failures": None}
    assert shown["effective"]["requests"] == 1200 and shown["defaults"]["period_seconds"] == 60

    changed = admin("limits", "set", project_id, "--requests", "1", "--period", "3600", as_json=True)
    assert changed["overrides"] == {"requests": 1, "period_seconds": 3600, "auth_failures": None}
    assert changed["effective"] == {"requests": 1, "period_seconds": 3600, "auth_failures": 120}
    assert [ingest(event("x"), token=project["token"]).status for _ in "12"] == [201, 429]
    assert "3600" in admin("limits", "show", project_id).stdout

    cleared = admin("limits", "clear", project_id, "--period", as_json=True)
    assert cleared["overrides"] == {"requests": 1, "period_seconds": None, "auth_failures": None}
    assert admin("limits", "clear", project_id, as_json=True)["overrides"]["requests"] is None

    for option, value, bound in (
        ("--requests", "0", "greater than or equal to 1"),
        ("--requests", "10000001", "less than or equal to 10000000"),
        ("--period", "86401", "less than or equal to 86400"),
    ):
        refused = admin("limits", "set", project_id, option, value, code=2).output
        assert f"Invalid value for '{option}'" in refused and bound in refused
    assert "at least one" in admin("limits", "set", project_id, code=2).output
    assert admin("limits", "set", project_id, "--period", "86400", as_json=True)["overrides"]["period_seconds"] == 86400


# What arrived


def test_events_newest_first_with_filters(admin, ingest, check_in, deliver_streams):
    project = created(admin)
    token = project["token"]
    sent = [
        ingest(event("first log"), token=token),
        ingest(event("boom [not markup]", "error", level="error", context={"environment": "staging"}), token=token),
        ingest(span("trace-1", "root", None, 0, 10, "GET /"), token=token),
        check_in({"check_in": {"slug": "nightly", "status": "ok"}}, token=token),
        ingest(event("last metric", "metric"), token=token),
    ]
    ids = [reply.json["id"] for reply in sent]
    deliver_streams()  # listings are written from the events stream
    listed = admin("events", project["project_id"], as_json=True)
    assert [item["id"] for item in listed] == ids[::-1]
    assert [item["type"] for item in listed] == ["metric", "check_in", "span", "error", "log"]
    by_type = {item["type"]: item for item in listed}
    assert by_type["error"]["title"] == "boom [not markup]" and by_type["error"]["environment"] == "staging"
    assert by_type["error"]["level"] == "error"
    assert by_type["span"]["title"] == "GET /" and by_type["span"]["trace_id"] == "trace-1"
    assert by_type["check_in"]["title"] == "nightly" and by_type["check_in"]["environment"] == "test"

    def ids_of(*options: str) -> list[str]:
        return [item["id"] for item in admin("events", project["project_id"], "--since", "1h", *options, as_json=True)]

    assert ids_of("--type", "error") == [ids[1]]
    assert ids_of("--type", "span") == [ids[2]]
    assert ids_of("--environment", "staging") == [ids[1]]
    assert ids_of("--environment", "test", "--type", "check_in") == [ids[3]]
    assert ids_of("--limit", "2") == ids[:-3:-1]
    assert ids_of("--since", "2m") == ids[::-1]
    table = admin("events", project["project_id"], "--since", "1h").stdout
    assert "boom [not markup]" in table and "trace-1" in table and ids[0] in table


def test_events_walk_back_over_days_to_since_and_limit(admin, ingest, deliver_streams):
    project = created(admin)
    project_id = project["project_id"]
    now = datetime.now(UTC)
    settings = get_settings()
    stored = {}
    for days in (0, 1, 3, 40):
        received = now - timedelta(days=days, minutes=5)
        record = normalize(
            {"event_type": "log", "message": f"{days} days ago"},
            project_id=project_id,
            default_environment=settings.default_environment,
            now=received,
        )
        stored[days] = store(project_id, record, received).uuid
    deliver_streams()
    newest_first = [stored[days] for days in (0, 1, 3)]
    assert [item["id"] for item in admin("events", project_id, as_json=True)] == newest_first  # 30-day retention
    assert [item["id"] for item in admin("events", project_id, "--since", "2d", as_json=True)] == newest_first[:2]
    assert [item["id"] for item in admin("events", project_id, "--since", "60d", as_json=True)][-1] == stored[40]
    assert [item["id"] for item in admin("events", project_id, "-n", "2", as_json=True)] == newest_first[:2]
    since = (now - timedelta(days=2)).isoformat()
    assert len(admin("events", project_id, "--since", since, as_json=True)) == 2
    assert "neither a duration" in admin("events", project_id, "--since", "yesterday", code=2).output


def test_errors_is_the_inbox_by_last_seen_with_counts(admin, ingest, deliver_streams):
    project = created(admin)
    token = project["token"]
    for message in ("Disk full", "Timeout talking to db", "Disk full"):
        assert ingest(event(message, "error", level="error"), token=token).status == 201
    deliver_streams()  # groups are counted from the events stream
    groups = admin("errors", project["project_id"], as_json=True)
    assert [(group["title"], group["occurrences"]) for group in groups] == [
        ("Disk full", 2),
        ("Timeout talking to db", 1),
    ]
    assert groups[0]["last_seen"] > groups[1]["last_seen"] > groups[0]["first_seen"]
    table = admin("errors", project["project_id"]).stdout
    assert "Disk full" in table and "Timeout talking to db" in table
    assert admin("errors", project["project_id"], "--limit", "1", as_json=True)[0]["title"] == "Disk full"


def test_monitors_status_pause_and_resume(admin, check_in):
    project = created(admin)
    project_id, token = project["project_id"], project["token"]
    late = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert check_in({"check_in": {"slug": "nightly", "expected_interval_seconds": 60}}, token=token).status == 201
    assert check_in({"check_in": {"slug": "hourly", "occurred_at": late}}, token=token).status == 201
    monitors = {monitor["slug"]: monitor for monitor in admin("monitors", project_id, as_json=True)}
    nightly = monitors["nightly"]
    assert nightly["status"] == "ok" and nightly["due_at"] > nightly["last_check_in_at"]
    assert monitors["hourly"]["status"] == "missed"  # overdue now, before any sweep
    table = admin("monitors", project_id).stdout
    assert "nightly" in table and "missed" in table and "60s" in table

    paused = admin("monitors", "pause", project_id, "nightly", as_json=True)
    assert paused["status"] == "paused" and paused["due_at"] is None
    stored = monitor_item(project_id, "nightly")
    assert "paused_at" in stored and "due_at" not in stored and "due_shard" not in stored
    assert admin("monitors", "list", project_id, as_json=True)[1]["status"] == "paused"

    resumed = admin("monitors", "resume", project_id, "nightly", "--environment", "test", as_json=True)
    assert resumed["status"] == "ok" and resumed["due_at"] == monitors["nightly"]["due_at"]
    assert "due_shard" in monitor_item(project_id, "nightly")
    assert "Not paused" in admin("monitors", "resume", project_id, "nightly").stdout

    admin("monitors", "pause", project_id, "hourly")
    assert sweep().missed == 0  # paused: out of the due index
    admin("monitors", "resume", project_id, "hourly")
    assert sweep().missed == 1  # overdue on resume: the next sweep flags it
    assert monitor_item(project_id, "hourly")["status"]["S"] == "missed"


def test_monitor_commands_need_the_environment_only_when_the_slug_is_ambiguous(admin, check_in):
    project = created(admin)
    for environment in ("prod", "staging"):
        body = {"check_in": {"slug": "backup", "environment": environment}}
        assert check_in(body, token=project["token"]).status == 201
    ambiguous = admin("monitors", "pause", project["project_id"], "backup", code=1)
    assert "prod, staging" in ambiguous.output and "--environment" in ambiguous.output
    assert admin("monitors", "pause", project["project_id"], "backup", "-e", "prod", as_json=True)["status"] == "paused"
    assert "No monitor nope" in admin("monitors", "pause", project["project_id"], "nope", code=1).output


def monitor_item(project_id: str, slug: str) -> dict:
    items = clients.dynamodb().query(
        TableName=get_settings().monitors_table,
        KeyConditionExpression="project_id = :p",
        ExpressionAttributeValues={":p": {"S": project_id}},
    )["Items"]
    return next(item for item in items if item["slug"]["S"] == slug)


def test_trace_is_a_waterfall_of_the_span_tree(admin, ingest):
    project = created(admin)
    spans = [
        span("t-1", "root", None, 0, 200, "GET /checkout"),
        span("t-1", "db", "root", 20, 50, "SELECT cart"),
        span("t-1", "render", "root", 100, 90, "render page"),
        span("t-1", "cache", "db", 30, 5, "cache get"),
    ]
    for body in spans:
        assert ingest(body, token=project["token"]).status == 201
    tree = admin("trace", project["project_id"], "t-1", as_json=True)
    assert tree["duration_ms"] == 200
    assert [(item["span_id"], item["depth"], item["offset_ms"]) for item in tree["spans"]] == [
        ("root", 0, 0),
        ("db", 1, 20),
        ("cache", 2, 30),
        ("render", 1, 100),
    ]
    lines = admin("trace", project["project_id"], "t-1", "--width", "20").stdout.splitlines()
    rows = {name: line for line in lines for name in ("GET /checkout", "SELECT cart", "cache get") if name in line}
    assert "  SELECT cart" in rows["SELECT cart"] and "    cache get" in rows["cache get"]
    assert "█" * 20 in rows["GET /checkout"]  # the root spans the whole bar
    assert "··█████" in rows["SELECT cart"]  # 20 ms in, 50 of 200 ms: 5 cells from cell 2
    assert "200.0" in rows["GET /checkout"] and "50.0" in rows["SELECT cart"]
    assert "No spans of trace t-2" in admin("trace", project["project_id"], "t-2", code=1).output


def test_reads_are_queries_on_keys_or_indexes_never_scans(admin, ingest, check_in, record_calls):
    calls = record_calls()
    project = created(admin)
    project_id = project["project_id"]
    ingest(event("x", "error"), token=project["token"])
    ingest(span("t", "s", None, 0, 1, "s"), token=project["token"])
    check_in({"check_in": {"slug": "nightly"}}, token=project["token"])
    for args in (
        ("events", project_id),
        ("errors", project_id),
        ("monitors", project_id),
        ("trace", project_id, "t"),
        ("tokens", "list", project_id),
        ("limits", "show", project_id),
        ("tokens", "revoke", project["token_id"]),
    ):
        calls.clear()
        admin(*args)
        operations = calls.operations
        assert "Scan" not in operations, (args, operations)
        assert set(operations) <= {"DescribeStacks", "GetItem", "Query", "BatchGetItem", "UpdateItem"}, operations
    calls.clear()
    admin("projects", "list")
    assert "Scan" in calls.operations


# Targets and failures


def test_every_command_has_help(admin):
    commands = [
        (),
        ("projects",),
        ("projects", "create"),
        ("projects", "list"),
        ("projects", "archive"),
        ("projects", "restore"),
        ("tokens", "create"),
        ("tokens", "list"),
        ("tokens", "revoke"),
        ("limits", "show"),
        ("limits", "set"),
        ("limits", "clear"),
        ("events",),
        ("errors",),
        ("monitors",),
        ("monitors", "list"),
        ("monitors", "pause"),
        ("monitors", "resume"),
        ("trace",),
    ]
    for command in commands:
        result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (command, result.output)
        assert "Usage:" in result.output and "Show this message" in result.output
    assert "--json" in CliRunner().invoke(app, ["events", "--help"], env={"COLUMNS": "200"}).output


def run_raw(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **(env or {})}, catch_exceptions=False)


def test_a_target_is_required_and_only_one(stack):
    assert "Choose a target" in run_raw("projects", "list").output
    assert run_raw("projects", "list").exit_code == 1
    both = run_raw("--local", "--stack", stack, "projects", "list")
    assert both.exit_code == 1 and "not both" in both.output


def test_an_unknown_stack_is_reported_without_a_traceback(stack):
    result = run_raw("--stack", "nope", "projects", "list")
    assert result.exit_code == 1
    assert "Stack nope not found in us-east-1" in result.output and "Traceback" not in result.output


def test_missing_credentials_are_reported_without_a_traceback(monkeypatch, tmp_path):
    """No moto here (it supplies credentials): botocore refuses to sign before anything is sent."""
    saved = dict(os.environ)  # restored below: the CLI points this process at its target
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    reset_container_state()  # a fresh CLI process: no session holding credentials an earlier test resolved
    try:
        result = run_raw("--stack", STACK, "projects", "list")
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_container_state()
    assert result.exit_code == 1
    assert "No AWS credentials found" in result.output and "Traceback" not in result.output


def test_local_without_a_running_stack_says_how_to_start_one(stack, tmp_path):
    result = run_raw("--local", "projects", "list", env={"LOGISTER_LOCAL_STATE_FILE": str(tmp_path / "state.json")})
    assert result.exit_code == 1 and "No local stack is running" in result.output and "make dev" in result.output


# Stored tenant data, however odd, is shown inert and never crashes a command (issue 13)

TERMINAL_CONTROL = "\x1b]0;owned\x07\x1b[2J\x1b[1A\x9b2K\r\x00"


def test_tenant_text_cannot_drive_the_operators_terminal(admin, ingest, check_in, deliver_streams):
    project = created(admin)
    token = project["token"]
    fields = {"trace_id": "t" + TERMINAL_CONTROL, "environment": "prod" + TERMINAL_CONTROL}
    assert ingest(event("boom" + TERMINAL_CONTROL + "end", "error", **fields), token=token).status == 201
    assert ingest(span("t-1", "s" + TERMINAL_CONTROL, None, 0, 5, "GET" + TERMINAL_CONTROL), token=token).status == 201
    slug = "nightly" + TERMINAL_CONTROL
    assert check_in({"check_in": {"slug": slug, "status": "ok" + TERMINAL_CONTROL}}, token=token).status == 201
    deliver_streams()
    shown = [
        admin("events", project["project_id"]).stdout,
        admin("errors", project["project_id"]).stdout,
        admin("monitors", project["project_id"]).stdout,
        admin("trace", project["project_id"], "t-1").stdout,
        admin("monitors", "pause", project["project_id"], slug).stdout,
    ]
    assert "boom" in shown[0] and "GET" in shown[3] and "nightly" in shown[2]
    for output in shown:
        assert not any(character in output for character in "\x1b\x07\x9b\r\x00"), output
        assert "owned" not in output


def test_odd_stored_times_are_shown_not_crashed_on(admin, ingest, check_in):
    project = created(admin)
    project_id, token = project["project_id"], project["token"]
    for body in (span("t-1", "root", None, 0, 10, "GET /"), span("t-1", "child", "root", 2, 3, "SELECT")):
        assert ingest(body, token=token).status == 201
    spans = span_items()
    root = next(item for item in spans if item["span_id"]["S"] == "root")
    child = next(item for item in spans if item["span_id"]["S"] == "child")
    # As iso_utc wrote years before 1000 until they were padded, and a span that lost its start.
    root.update(started_at={"S": "1-01-01T00:00:00.000000Z"}, ended_at={"S": "not a time"})
    del child["started_at"]
    for item in (root, child):
        clients.dynamodb().put_item(TableName=get_settings().events_table, Item=item)
    tree = admin("trace", project_id, "t-1", as_json=True)
    assert [item["span_id"] for item in tree["spans"]] == ["root", "child"]
    assert "SELECT" in admin("trace", project_id, "t-1").stdout

    assert check_in({"check_in": {"slug": "nightly"}}, token=token).status == 201
    monitor = monitor_item(project_id, "nightly")
    monitor.update(last_check_in_at={"S": "1-01-01T00:00:00.000000Z"}, due_at={"N": str(10**20)})
    clients.dynamodb().put_item(TableName=get_settings().monitors_table, Item=monitor)
    [shown] = admin("monitors", project_id, as_json=True)
    assert shown["due_at"] is None  # beyond the years 1..9999
    assert "0001-01-01 00:00:00" in admin("monitors", project_id).stdout
