"""A fault at every DynamoDB call site of every endpoint: a retryable 503 (or, for the rate-limit
counters, this container's share of the limit), never a 500, and the client's retry then stores everything exactly once.
Then races: a conflicting transaction, a writer claiming a batch's uuid between its duplicate check
and its transaction, a check-in between the sweeper's read and its flip."""

from __future__ import annotations

import os

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from logister_common.container import reset_container_state
from logister_common.runtime.settings import get_settings
from tests.integration.conftest import poster
from tests.support import BATCH_PATH, all_items, event_item, ndjson, span_items

UUID = "abcdef01-bbbb-cccc-dddd-eeeeeeeeeeee"
SPAN_UUID = "abcdef02-bbbb-cccc-dddd-eeeeeeeeeeee"
FAULTS = {
    "throttled": lambda operation: ClientError(
        {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation
    ),
    "server_error": lambda operation: ClientError(
        {"Error": {"Code": "InternalServerError", "Message": "Internal error"}}, operation
    ),
    "timeout": lambda operation: ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
}
# (scenario, DynamoDB operation, table the fault hits)
CALL_SITES = [
    ("log", "GetItem", "auth"),
    ("log", "UpdateItem", "rate_limits"),
    ("log", "PutItem", "events"),
    ("span", "Query", "events"),  # its identity looked up in the traces index
    ("span", "PutItem", "events"),
    ("check_in", "TransactWriteItems", "events"),  # the event and its monitor update, one transaction
    ("check_in", "TransactWriteItems", "monitors"),
    ("batch", "BatchGetItem", "events"),
    ("batch", "TransactWriteItems", "events"),
    ("deployment", "UpdateItem", "deployments"),
]


@pytest.fixture
def send(aws, project):
    import checkin_handler
    import deployments_handler
    import ingest_handler

    reset_container_state()
    ingest = poster(ingest_handler.lambda_handler, "IngestFunction", "/api/v1/ingest_events")
    check_in = poster(checkin_handler.lambda_handler, "CheckinFunction", "/api/v1/check_ins")
    deploy = poster(deployments_handler.lambda_handler, "DeploymentsFunction", "/api/v1/deployments")
    span = {"event_type": "span", "trace_id": "t", "span_id": "s", "uuid": SPAN_UUID, "duration_ms": 1}
    requests = {
        "log": lambda: ingest({"event": {"event_type": "log", "message": "m", "uuid": UUID}}, token=project.token),
        "span": lambda: ingest({"event": span}, token=project.token),
        "check_in": lambda: check_in({"check_in": {"slug": "nightly", "uuid": UUID}}, token=project.token),
        "batch": lambda: ingest(
            ndjson({"event": {"event_type": "log", "message": "m", "uuid": UUID}}, {"event": span}),
            token=project.token,
            path=BATCH_PATH,
            content_type="application/x-ndjson",
            headers={"Content-Encoding": "gzip"},
        ),
        "deployment": lambda: deploy(
            {"deployment": {"release": "1.0", "repository": "acme/api", "commit_sha": "abcdef12"}}, token=project.token
        ),
    }
    return lambda scenario: requests[scenario]()


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize(("scenario", "operation", "table"), CALL_SITES)
def test_a_fault_answers_503_and_the_retry_stores_once(send, project, inject_fault, scenario, operation, table, fault):
    injected = inject_fault(operation, FAULTS[fault](operation), table=getattr(get_settings(), f"{table}_table"))
    first = send(scenario)
    if table == "rate_limits":
        assert first.status == 201 and first.headers["x-ratelimit-limit"] == "120"  # 1,200 / 10 containers
    else:
        assert first.status == 503, first
        assert first.headers["retry-after"] == "1"
        assert first.json == {"error": "Service temporarily unavailable, retry later", "code": "store_unavailable"}
    injected.heal()
    retry = send(scenario)
    assert retry.status in (200, 201, 202), retry
    settings = get_settings()
    if scenario in ("log", "check_in", "batch"):
        assert event_item(project.project_id, UUID) is not None
    if scenario in ("span", "batch"):
        assert len(span_items()) == 1
    if scenario == "check_in":
        [monitor] = all_items(settings.monitors_table)
        assert monitor["last_event_id"]["S"] == UUID
    if scenario == "batch":
        assert retry.json["accepted"] == 2
    if scenario == "deployment":
        assert len(all_items(settings.deployments_table)) == 1


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_an_s3_fault_on_an_oversized_event_answers_503_and_the_retry_stores_it(ingest, project, inject_fault, fault):
    injected = inject_fault("PutObject", FAULTS[fault]("PutObject"), service="s3")
    context = {f"blob{i}": os.urandom(125_000).hex() for i in range(3)}  # incompressible: overflows to S3
    body = {"event": {"event_type": "log", "message": "big", "uuid": UUID, "context": context}}
    first = ingest(body, token=project.token)
    assert first.status == 503 and first.headers["retry-after"] == "1"
    assert event_item(project.project_id, UUID) is None  # the item is written only after its payload
    injected.heal()
    assert ingest(body, token=project.token).status == 201
    assert "doc_s3" in event_item(project.project_id, UUID)


# Races: another writer's transaction or conditional write lands between our read and our write.


def cancelled(*codes: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": code} for code in codes],
        },
        "TransactWriteItems",
    )


def test_a_span_racing_a_writer_of_its_uuid_answers_as_the_winners_duplicate(send, project, inject_fault):
    """The other writer stores the uuid after the span's identity lookup, before its conditional put."""
    import boto3

    winner = {"pk": {"S": f"{project.project_id}#{SPAN_UUID}"}, "uuid": {"S": SPAN_UUID}, "signal": {"S": "span"}}

    def claim_first() -> None:
        boto3.client("dynamodb").put_item(TableName=get_settings().events_table, Item=winner)

    inject_fault("PutItem", claim_first, table=get_settings().events_table, times=1)
    reply = send("span")
    assert (reply.status, reply.json["id"], reply.json["duplicate"]) == (200, SPAN_UUID, True)
    assert event_item(project.project_id, SPAN_UUID) == winner


def test_one_span_stored_under_two_uuids_within_the_index_lag_is_read_once(send, project, inject_fault):
    """The documented limit: another client uuid for the same (trace_id, span_id), stored after this
    span's identity lookup, is stored too; a trace read shows the span once, as it first arrived."""
    from logister_common.storage.traces_index import trace_spans

    other = "abcdef03-bbbb-cccc-dddd-eeeeeeeeeeee"
    rival = {"event": {"event_type": "span", "trace_id": "t", "span_id": "s", "uuid": other, "duration_ms": 2}}

    import ingest_handler

    def store_rival_first() -> None:
        assert (
            poster(ingest_handler.lambda_handler, "IngestFunction", "/api/v1/ingest_events")(
                rival, token=project.token
            ).status
            == 201
        )

    inject_fault("PutItem", store_rival_first, table=get_settings().events_table, times=1)
    assert send("span").status == 201
    assert len(span_items()) == 2
    [shown] = trace_spans(project.project_id, "t")  # received first: the rival arrived during its write
    assert (shown["uuid"], shown["duration_ms"]) == (SPAN_UUID, 1)
    retry = send("span")
    assert (retry.status, retry.json["id"]) == (200, SPAN_UUID)
    rival_again = poster(ingest_handler.lambda_handler, "IngestFunction", "/api/v1/ingest_events")(
        rival, token=project.token
    )
    assert (rival_again.status, rival_again.json["id"]) == (200, SPAN_UUID)  # the identity's first arrival


def test_a_batch_racing_a_writer_of_one_of_its_uuids_answers_that_entry_as_the_winners_duplicate(
    send, project, inject_fault
):
    """The other writer claims the log's uuid after the batch's duplicate check, before its transaction."""
    import boto3

    winner = {"pk": {"S": f"{project.project_id}#{UUID}"}, "uuid": {"S": UUID}, "signal": {"S": "event"}}

    def claim_first() -> None:
        boto3.client("dynamodb").put_item(TableName=get_settings().events_table, Item=winner)

    inject_fault("TransactWriteItems", claim_first, times=1)
    reply = send("batch")
    assert reply.status == 202, reply
    assert [(result["id"], result["duplicate"]) for result in reply.json["results"]] == [
        (UUID, True),
        (SPAN_UUID, False),
    ]
    assert (reply.json["accepted"], reply.json["duplicates"]) == (2, 1)
    assert event_item(project.project_id, UUID) == winner  # the winner's item, not overwritten
    assert len(span_items()) == 1


def test_a_check_in_landing_between_the_sweepers_read_and_its_flip_keeps_the_monitor_ok(aws, project, inject_fault):
    import checkin_handler

    from logister_common.monitors.sweep import sweep

    check_in = poster(checkin_handler.lambda_handler, "CheckinFunction", "/api/v1/check_ins")
    late = {"check_in": {"slug": "nightly", "expected_interval_seconds": 60, "occurred_at": "2020-01-01T00:00:00Z"}}
    assert check_in(late, token=project.token).status == 201
    monitors_table = get_settings().monitors_table
    raced: list[int] = []

    def check_in_first() -> None:
        raced.append(check_in({"check_in": {"slug": "nightly"}}, token=project.token).status)

    inject_fault("PutItem", check_in_first, table=monitors_table, times=1)
    result = sweep()
    assert raced == [201]
    assert (result.items_read, result.missed) == (1, 0)  # the flip's condition (the version it read) failed
    [monitor] = all_items(monitors_table)
    assert monitor["status"]["S"] == "ok" and "due_at" in monitor
