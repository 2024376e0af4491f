"""The official Python SDK's send_events() (gzip NDJSON batches) and record_deployment() against `make dev`."""

from __future__ import annotations

import pytest
from logister import LogisterClient

pytestmark = pytest.mark.e2e


def stored_uuids(api) -> list[str]:
    """Test-only full read of the local events table."""
    paginator = api.dynamodb().get_paginator("scan")
    return [
        item["uuid"]["S"]
        for page in paginator.paginate(TableName=api.table("EventsTable"))
        for item in page["Items"]
        if item["signal"]["S"] == "event"
    ]


def test_send_events_stores_250_events_once_and_a_deployment_is_recorded(local_api):
    with local_api() as api, LogisterClient(api_key=api.token, base_url=api.url, environment="e2e") as client:
        prepared = [
            client.prepare_event(event_type="log", level="info", message=f"batched {number}") for number in range(250)
        ]
        results = client.send_events(prepared)
        assert [result.event_id for result in results] == [event.event_id for event in prepared]
        assert all(result.response and result.response["status"] == "accepted" for result in results), results[:3]
        assert {result.response["accepted"] for result in results} == {100, 50}
        assert sorted(stored_uuids(api)) == sorted(event.event_id for event in prepared)

        again = client.send_events(prepared)  # a retry of the same events: all duplicates
        assert {result.response["duplicates"] for result in again} == {100, 50}
        assert len(stored_uuids(api)) == 250

        deployment = client.record_deployment(
            release="2026.11.27", repository="acme/api", commit_sha="0123abcd", deployed_at="2026-11-27T10:00:00Z"
        )
        assert deployment["status"] == "accepted" and isinstance(deployment["legacy_id"], int)
        stored = api.dynamodb().scan(TableName=api.table("DeploymentsTable"))["Items"]
        assert [(item["release"]["S"], item["environment"]["S"]) for item in stored] == [("2026.11.27", "e2e")]

        log = api.stderr()
        assert log.count('POST /api/v1/ingest_events/batch HTTP/1.1" 202') == 6
        assert "POST /api/v1/ingest_events HTTP" not in log  # no fallback to single sends
