"""POST /api/v1/check_ins and monitors, through the real handlers against emulated DynamoDB."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from logister_common.runtime.settings import get_settings
from tests.support import all_items, event_item, stored_document

UUID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def monitors() -> dict[str, dict]:
    return {item["slug"]["S"]: item for item in all_items(get_settings().monitors_table)}


def test_a_check_in_is_stored_as_an_event_and_updates_its_monitor(check_in, project):
    reply = check_in(
        {"check_in": {"slug": "nightly-reconcile", "status": "ok", "expected_interval_seconds": 600}},
        token=project.token,
    )
    assert reply.status == 201
    assert set(reply.json) == {"id", "status"} and reply.json["status"] == "accepted"
    item = event_item(project.project_id, reply.json["id"])
    assert item["event_type"]["S"] == "check_in"
    context = stored_document(item)["context"]
    assert context["check_in_slug"] == "nightly-reconcile"
    assert context["expected_interval_seconds"] == 600
    monitor = monitors()["nightly-reconcile"]
    assert (monitor["status"]["S"], monitor["last_status"]["S"], monitor["environment"]["S"]) == ("ok", "ok", "test")
    assert int(monitor["due_at"]["N"]) == int(monitor["last_check_in_us"]["N"]) // 1_000_000 + 600 + 300 + 1
    assert "due_shard" in monitor


def test_a_repeated_uuid_is_a_duplicate_with_one_monitor(check_in, project):
    body = {"check_in": {"slug": "s", "uuid": UUID}}
    assert check_in(body, token=project.token).status == 201
    reply = check_in(body, token=project.token)
    assert reply.status == 200
    assert reply.json == {"id": UUID, "status": "accepted", "duplicate": True}
    assert len(monitors()) == 1


def test_uppercase_envelope(check_in, project):
    reply = check_in(
        {"CHECK_IN": {"SLUG": "upper", "STATUS": "ok", "ENVIRONMENT": "prod", "EXPECTED_INTERVAL_SECONDS": 60}},
        token=project.token,
    )
    assert reply.status == 201
    assert monitors()["upper"]["environment"]["S"] == "prod"


def test_check_ins_have_their_own_rate_limit_bucket(check_in, ingest, project, settings_env):
    settings_env(LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS="1")
    assert check_in({"check_in": {"slug": "s"}}, token=project.token).status == 201
    assert check_in({"check_in": {"slug": "s"}}, token=project.token).status == 429
    assert ingest({"event": {"event_type": "log", "message": "m"}}, token=project.token).status == 201


def test_bad_token_and_missing_envelope(check_in, project):
    assert check_in({"check_in": {"slug": "s"}}, token="bad").status == 401
    reply = check_in({"payload": {"slug": "s"}}, token=project.token)
    assert reply.status == 400
    assert reply.json == {"error": "param is missing or the value is empty or invalid: check_in"}


def test_blank_slug_is_422(check_in, project):
    reply = check_in({"check_in": {"slug": " ", "status": "ok"}}, token=project.token)
    assert (reply.status, reply.json) == (422, {"errors": ["Message can't be blank"]})


def test_an_older_check_in_never_moves_the_monitor_backwards(check_in, project):
    now = datetime.now(UTC)
    check_in({"check_in": {"slug": "s", "status": "ok", "occurred_at": iso(now)}}, token=project.token)
    late = check_in(
        {"check_in": {"slug": "s", "status": "error", "occurred_at": iso(now - timedelta(minutes=5))}},
        token=project.token,
    )
    assert late.status == 201  # stored as an event all the same
    assert event_item(project.project_id, late.json["id"]) is not None
    monitor = monitors()["s"]
    assert (monitor["status"]["S"], monitor["last_check_in_at"]["S"][:19]) == ("ok", iso(now)[:19])


def test_error_leaves_the_due_index_and_ok_returns_to_it(check_in, project):
    check_in({"check_in": {"slug": "s", "status": "error"}}, token=project.token)
    monitor = monitors()["s"]
    assert monitor["status"]["S"] == "error" and "due_at" not in monitor and "last_error_at" in monitor
    check_in({"check_in": {"slug": "s", "status": "ok"}}, token=project.token)
    monitor = monitors()["s"]
    assert monitor["status"]["S"] == "ok" and "due_at" in monitor


def test_a_check_in_event_through_ingest_updates_its_monitor(ingest, project):
    body = {
        "event": {
            "event_type": "check_in",
            "message": "nightly",
            "check_in_slug": "nightly-job",
            "check_in_status": "error",
            "expected_interval_seconds": 900,
        }
    }
    assert ingest(body, token=project.token).status == 201
    monitor = monitors()["nightly-job"]
    assert (monitor["status"]["S"], monitor["interval_seconds"]["N"]) == ("error", "900")


def throttle_monitor_writes(inject_fault, operation: str) -> None:
    from botocore.exceptions import ClientError

    error = ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "x"}}, operation)
    inject_fault(operation, error, table=get_settings().monitors_table, times=1)


def test_a_throttled_check_in_stores_neither_event_nor_monitor(check_in, project, inject_fault):
    throttle_monitor_writes(inject_fault, "TransactWriteItems")  # the event and its monitor commit together
    body = {"check_in": {"slug": "repair", "uuid": UUID}}
    first = check_in(body, token=project.token)
    assert first.status == 503 and first.headers["retry-after"]
    assert "repair" not in monitors()
    assert event_item(project.project_id, UUID) is None
    retry = check_in(body, token=project.token)
    assert retry.status == 201
    assert monitors()["repair"]["last_event_id"]["S"] == UUID


def test_a_throttled_check_in_event_through_ingest_stores_nothing(ingest, project, inject_fault):
    throttle_monitor_writes(inject_fault, "TransactWriteItems")
    body = {"event": {"uuid": UUID, "event_type": "check_in", "message": "m", "check_in_slug": "via-ingest"}}
    first = ingest(body, token=project.token)
    assert first.status == 503 and first.headers["retry-after"]
    assert "via-ingest" not in monitors()
    assert event_item(project.project_id, UUID) is None
    assert ingest(body, token=project.token).status == 201
    assert monitors()["via-ingest"]["last_event_id"]["S"] == UUID


def test_an_event_stored_without_its_monitor_is_repaired_by_the_clients_retry(check_in, project):
    """A check-in stored before check-ins were transactional may lack its monitor: a duplicate repairs it."""
    from logister_common.storage import clients

    body = {"check_in": {"slug": "repair", "uuid": UUID}}
    assert check_in(body, token=project.token).status == 201
    key = {name: monitors()["repair"][name] for name in ("project_id", "monitor_key")}
    clients.dynamodb().delete_item(TableName=get_settings().monitors_table, Key=key)
    assert "repair" not in monitors()
    retry = check_in(body, token=project.token)
    assert retry.status == 200 and retry.json["duplicate"] is True
    assert monitors()["repair"]["last_event_id"]["S"] == UUID


def test_an_out_of_order_check_in_event_is_stored_and_leaves_the_monitor(ingest, project):
    now = datetime.now(UTC)
    fields = {"event_type": "check_in", "message": "m", "check_in_slug": "late"}
    assert ingest({"event": {**fields, "occurred_at": iso(now)}}, token=project.token).status == 201
    late = ingest(
        {"event": {**fields, "check_in_status": "error", "occurred_at": iso(now - timedelta(minutes=5))}},
        token=project.token,
    )
    assert late.status == 201
    assert event_item(project.project_id, late.json["id"])["event_type"]["S"] == "check_in"
    monitor = monitors()["late"]
    assert (monitor["status"]["S"], monitor["last_check_in_at"]["S"][:19]) == ("ok", iso(now)[:19])


def test_concurrent_check_ins_to_one_monitor_keep_the_newest(check_in, project):
    start = datetime.now(UTC) - timedelta(hours=1)
    bodies = [
        {"check_in": {"slug": "busy", "status": f"run-{i}", "occurred_at": iso(start + timedelta(seconds=i))}}
        for i in range(20)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda body: check_in(body, token=project.token).status, reversed(bodies)))
    assert statuses == [201] * 20
    assert monitors()["busy"]["last_status"]["S"] == "run-19"


def test_a_check_in_event_carries_the_servers_telemetry_evidence(check_in, project):
    forged = {"time": {"precision": "forged"}}
    reply = check_in({"check_in": {"slug": "evidence", "telemetry_evidence": forged}}, token=project.token)
    evidence = stored_document(event_item(project.project_id, reply.json["id"]))["context"]["telemetry_evidence"]
    assert evidence["time"]["precision"] == "exact"  # Logister's check-in route: occurred_at or now
    assert evidence["time"]["received_at"] and evidence["time"]["occurred_at"]
