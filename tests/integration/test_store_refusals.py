"""A store failure retrying cannot fix is a 422 (the data is at fault), never a 503 that invites retries forever.

Transient failures (throttling, 5xx, timeouts) stay 503 with Retry-After; a deployment whose details
cannot fit in an item is refused before any write.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from logister_common.runtime.settings import get_settings
from logister_common.storage.deployments_table import DETAILS_MAX_BYTES
from tests.integration.conftest import poster
from tests.support import all_items, event_item, ndjson

UUID = "7c7c7c7c-0000-4000-8000-000000000001"
DEPLOYMENT = {"release": "1.0", "repository": "acme/api", "commit_sha": "abcdef12"}


@pytest.fixture
def deploy(aws):
    import deployments_handler

    return poster(deployments_handler.lambda_handler, "DeploymentsFunction", "/api/v1/deployments")


def store_error(code: str, operation: str, **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}, **extra}, operation)


def item_too_large(operation: str) -> ClientError:
    return store_error("ValidationException", operation)


def test_deployment_details_too_large_for_an_item_are_refused_before_any_write(deploy, project, record_calls):
    writes = record_calls("dynamodb", "UpdateItem")
    details = {f"note{i}": "x" * 200_000 for i in range(2)}  # within the payload limits, over an item
    reply = deploy({"deployment": {**DEPLOYMENT, **details}}, token=project.token)
    assert reply.status == 422, reply
    assert reply.json == {"errors": [f"Details is too long (maximum is {DETAILS_MAX_BYTES} bytes)"]}
    assert [call for call in writes if call.params["TableName"] == get_settings().deployments_table] == []
    assert all_items(get_settings().deployments_table) == []


def test_a_deployment_the_store_refuses_for_good_is_a_422(deploy, project, inject_fault):
    inject_fault("UpdateItem", item_too_large("UpdateItem"), table=get_settings().deployments_table)
    reply = deploy({"deployment": DEPLOYMENT}, token=project.token)
    assert reply.status == 422, reply
    assert reply.json == {"errors": ["Record cannot be stored: the store refused it (ValidationException)"]}
    assert "retry-after" not in reply.headers


def test_an_event_the_store_refuses_for_good_is_a_422(ingest, project, inject_fault):
    inject_fault("PutItem", item_too_large("PutItem"), table=get_settings().events_table)
    reply = ingest({"event": {"event_type": "log", "message": "m", "uuid": UUID}}, token=project.token)
    assert reply.status == 422, reply
    assert reply.json["errors"] == ["Record cannot be stored: the store refused it (ValidationException)"]
    assert reply.headers["x-ratelimit-limit"]


def test_a_span_the_store_refuses_for_good_is_a_422(ingest, project, inject_fault):
    inject_fault("PutItem", item_too_large("PutItem"))
    span = {"event_type": "span", "trace_id": "t", "span_id": "s", "uuid": UUID}
    reply = ingest({"event": span}, token=project.token)
    assert reply.status == 422, reply
    assert event_item(project.project_id, UUID) is None


def test_a_batch_transaction_cancelled_for_a_validation_error_is_a_422(batch, project, inject_fault):
    cancelled = store_error(
        "TransactionCanceledException",
        "TransactWriteItems",
        CancellationReasons=[{"Code": "None"}, {"Code": "ValidationError", "Message": "Item size exceeded"}],
    )
    inject_fault("TransactWriteItems", cancelled)
    log = {"event": {"event_type": "log", "message": "m", "uuid": UUID}}
    span = {
        "event": {"event_type": "span", "trace_id": "t", "span_id": "s", "uuid": "7c7c7c7c-0000-4000-8000-000000000002"}
    }
    assert batch(ndjson(log, span), token=project.token).status == 422
    assert event_item(project.project_id, UUID) is None


def test_a_batch_the_store_refuses_for_good_is_a_422(batch, project, inject_fault):
    inject_fault("TransactWriteItems", item_too_large("TransactWriteItems"))
    reply = batch(ndjson({"event": {"event_type": "log", "message": "m", "uuid": UUID}}), token=project.token)
    assert reply.status == 422, reply
    assert reply.json == {"errors": ["Record cannot be stored: the store refused it (ValidationException)"]}


@pytest.mark.parametrize(
    "code",
    ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError"],
)
def test_transient_store_failures_stay_retryable_503s(ingest, project, inject_fault, code):
    inject_fault("PutItem", store_error(code, "PutItem"), table=get_settings().events_table)
    reply = ingest({"event": {"event_type": "log", "message": "m", "uuid": UUID}}, token=project.token)
    assert reply.status == 503
    assert reply.headers["retry-after"] == "1"


def test_a_monitor_update_the_store_refuses_for_good_is_a_422(check_in, project, inject_fault):
    cancelled = store_error(
        "TransactionCanceledException",
        "TransactWriteItems",
        CancellationReasons=[{"Code": "None"}, {"Code": "ValidationError", "Message": "Item size exceeded"}],
    )
    inject_fault("TransactWriteItems", cancelled, table=get_settings().monitors_table)
    reply = check_in({"check_in": {"slug": "nightly", "uuid": UUID}}, token=project.token)
    assert reply.status == 422, reply
    assert "retry-after" not in reply.headers
    assert event_item(project.project_id, UUID) is None  # the event and its monitor: all or nothing
