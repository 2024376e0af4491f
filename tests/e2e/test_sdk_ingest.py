"""The official Python SDK (logister-python 0.6.0) against the local API: everything is stored."""

from __future__ import annotations

import json
import time

import pytest
from logister import LogisterClient

from logister_common.storage.documents import decompress

pytestmark = pytest.mark.e2e


def stored_event(api, project_id: str, event_uuid: str) -> dict:
    item = api.dynamodb().get_item(TableName=api.table("EventsTable"), Key={"pk": {"S": f"{project_id}#{event_uuid}"}})[
        "Item"
    ]
    document = json.loads(item["doc"]["S"]) if "doc" in item else json.loads(decompress(item["doc_z"]["B"]))
    return {"item": item, "document": document}


def test_every_capture_call_and_a_span_are_accepted_and_stored(local_api, monkeypatch):
    with local_api() as api:
        monkeypatch.setenv("LOGISTER_API_KEY", api.token)
        monkeypatch.setenv("LOGISTER_BASE_URL", api.url)
        monkeypatch.setenv("LOGISTER_ENVIRONMENT", "e2e")
        monkeypatch.setenv("LOGISTER_RELEASE", "1.2.3")
        client = LogisterClient.from_env()
        project_id = api.state["project_id"]
        try:
            raise ValueError("the SDK end-to-end test")
        except ValueError as error:
            exception = client.capture_exception(error, fingerprint="e2e-fp")
        replies = {
            "error": exception,
            "log": client.capture_message("hello from the SDK", level="warn"),
            "metric": client.capture_metric("queue.depth", 42, unit="jobs"),
            "transaction": client.capture_transaction("GET /users", 245.7, request_id="req-1"),
        }
        span = client.capture_span("SELECT users", 12.5, kind="db", trace_id="trace-e2e", span_id="span-e2e")
        again = client.capture_span("SELECT users", 12.5, kind="db", trace_id="trace-e2e", span_id="span-e2e")
        client.close()

        for event_type, reply in replies.items():
            assert reply["status"] == "accepted" and isinstance(reply["legacy_id"], int), reply
            stored = stored_event(api, project_id, reply["id"])
            assert stored["item"]["event_type"]["S"] == event_type
            assert stored["document"]["context"]["environment"] == "e2e"
            assert stored["document"]["context"]["release"] == "1.2.3"
        assert stored_event(api, project_id, replies["log"]["id"])["item"]["level"]["S"] == "warn"
        assert stored_event(api, project_id, replies["metric"]["id"])["document"]["context"]["metric"]["value"] == 42
        transaction = stored_event(api, project_id, replies["transaction"]["id"])["document"]["context"]
        assert transaction["duration_ms"] == 245.7 and transaction["transaction_name"] == "GET /users"
        error = stored_event(api, project_id, replies["error"]["id"])["document"]
        assert error["message"] == "the SDK end-to-end test"
        assert "ValueError" in json.dumps(error["context"])

        def groups() -> list[tuple[str, str]]:
            items = api.dynamodb().query(
                TableName=api.table("ErrorGroupsTable"),
                KeyConditionExpression="project_id = :p",
                ExpressionAttributeValues={":p": {"S": project_id}},
            )["Items"]
            return [(group["fingerprint"]["S"], group["occurrences"]["N"]) for group in items]

        deadline = time.monotonic() + 15  # groups are counted from the events stream, polled every 0.5 s
        while not groups() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert groups() == [("e2e-fp", "1")]

        assert span["type"] == "span" and span["status"] == "accepted"
        assert again["id"] == span["id"] and again["duplicate"] is True
        spans = api.dynamodb().query(
            TableName=api.table("EventsTable"),
            IndexName="traces",
            KeyConditionExpression="trace_key = :t",
            ExpressionAttributeValues={":t": {"S": f"{project_id}#trace-e2e"}},
        )["Items"]
        assert [(s["span_id"]["S"], s["kind"]["S"], s["uuid"]["S"]) for s in spans] == [("span-e2e", "db", span["id"])]
