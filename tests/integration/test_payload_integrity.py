"""Overflow documents in S3: nothing replaces an accepted one, and a write that did not happen leaves no object.

Every attempt writes its own object and the item records the one it accepted; a duplicate, a
uuid of the other signal or a refused write deletes its own object again.
"""

from __future__ import annotations

import os
from typing import Any

from botocore.exceptions import ClientError, ReadTimeoutError

from logister_common.runtime.settings import get_settings
from logister_common.storage import clients
from tests.support import event_item, ndjson, stored_document

UUID = "5a5a5a5a-0000-4000-8000-000000000001"


def big_context() -> dict[str, str]:
    """Incompressible: its compressed document exceeds what fits in an item, so it overflows to S3."""
    return {f"blob{i}": os.urandom(125_000).hex() for i in range(3)}


def stored_objects(project_id: str) -> list[str]:
    listing = clients.s3().list_objects_v2(Bucket=get_settings().payload_bucket, Prefix=f"payloads/{project_id}/")
    return sorted(entry["Key"] for entry in listing.get("Contents", []))


def refused(code: str, operation: str) -> ClientError:
    """What DynamoDB answers when it did not apply the write (a 400)."""
    body: dict[str, Any] = {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": 400}}
    return ClientError(body, operation)


def test_a_duplicate_and_a_cross_signal_request_leave_the_accepted_document_alone(ingest, project):
    first = {"event_type": "log", "message": "first", "uuid": UUID, "context": big_context()}
    assert ingest({"event": first}, token=project.token).status == 201
    accepted_key = event_item(project.project_id, UUID)["doc_s3"]["S"]

    again = {"event_type": "log", "message": "second", "uuid": UUID, "context": big_context()}
    assert ingest({"event": again}, token=project.token).status == 200
    span = {"event_type": "span", "trace_id": "t", "span_id": "s", "uuid": UUID, "context": big_context()}
    assert ingest({"event": span}, token=project.token).status == 422

    item = event_item(project.project_id, UUID)
    assert item["doc_s3"]["S"] == accepted_key
    assert stored_document(item)["message"] == "first"
    assert stored_document(item)["context"]["blob2"] == first["context"]["blob2"]
    assert stored_objects(project.project_id) == [accepted_key]  # the later attempts left nothing behind


def test_a_refused_item_write_leaves_no_object(ingest, project, inject_fault):
    inject_fault("PutItem", refused("ThrottlingException", "PutItem"), table=get_settings().events_table, times=1)
    event = {"event_type": "log", "message": "big", "uuid": UUID, "context": big_context()}
    reply = ingest({"event": event}, token=project.token)
    assert reply.status == 503
    assert event_item(project.project_id, UUID) is None
    assert stored_objects(project.project_id) == []

    assert ingest({"event": event}, token=project.token).status == 201  # the retry stores it whole
    assert stored_objects(project.project_id) == [event_item(project.project_id, UUID)["doc_s3"]["S"]]


def test_an_unanswered_item_write_keeps_its_object(ingest, project, inject_fault):
    """A timeout may follow a write DynamoDB applied: deleting the object could leave an item pointing at nothing."""
    inject_fault("PutItem", ReadTimeoutError(endpoint_url="https://dynamodb"), table=get_settings().events_table)
    event = {"event_type": "log", "message": "big", "uuid": UUID, "context": big_context()}
    assert ingest({"event": event}, token=project.token).status == 503
    assert len(stored_objects(project.project_id)) == 1  # the bucket's lifecycle expires it


def test_a_retry_that_finds_its_own_earlier_write_keeps_the_object(ingest, project, inject_fault):
    """A put that timed out after DynamoDB applied it, retried by botocore: its condition fails on its own item."""
    puts: list[dict[str, Any]] = []

    def seen(params: dict[str, Any]) -> bool:
        puts.append(params)
        return True

    def applied_before() -> None:
        clients.dynamodb().put_item(**{key: value for key, value in puts[0].items() if key != "ConditionExpression"})

    inject_fault("PutItem", applied_before, table=get_settings().events_table, when=seen, times=1)
    event = {"event_type": "log", "message": "big", "uuid": UUID, "context": big_context()}
    assert ingest({"event": event}, token=project.token).status == 200  # its own earlier attempt, a duplicate
    item = event_item(project.project_id, UUID)
    assert stored_objects(project.project_id) == [item["doc_s3"]["S"]]
    assert stored_document(item)["message"] == "big"


def test_a_failed_batch_transaction_leaves_no_object(batch, project, inject_fault):
    event = {"event_type": "log", "message": "big", "uuid": UUID, "context": big_context()}
    inject_fault("TransactWriteItems", refused("ThrottlingException", "TransactWriteItems"), times=1)
    assert batch(ndjson({"event": event}), token=project.token).status == 503
    assert stored_objects(project.project_id) == []

    assert batch(ndjson({"event": event}), token=project.token).status == 202
    assert stored_objects(project.project_id) == [event_item(project.project_id, UUID)["doc_s3"]["S"]]
