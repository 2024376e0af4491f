"""`make dev` forwards its rejected submissions to another Logister-compatible API, as Logister's own
deployment does with LOGISTER_ENDPOINT and LOGISTER_API_KEY: here a second `make dev` stack."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.e2e.conftest import running_local_api
from tests.support import stored_document

pytestmark = pytest.mark.e2e
ARRIVAL_TIMEOUT = 20


def warn_logs(api) -> list[dict]:
    table = api.table("EventsTable")
    items = api.dynamodb().scan(TableName=table)["Items"]
    return [item for item in items if item.get("event_type", {}).get("S") == "log"]


def test_a_rejected_submission_arrives_at_the_other_api_as_a_warn_log_event(tmp_path):
    (tmp_path / "receiver").mkdir()
    (tmp_path / "sender").mkdir()
    with running_local_api(tmp_path / "receiver") as receiver:
        variables = {"LOGISTER_ENDPOINT": receiver.url, "LOGISTER_API_KEY": receiver.token}
        with running_local_api(tmp_path / "sender", **variables) as sender:
            headers = {"Authorization": f"Bearer {sender.token}", "Content-Type": "application/json"}
            secret = "do-not-forward-this-value"
            body = {"event": {"event_type": "log", "message": "", "uuid": "not-a-uuid", "context": {"s": secret}}}
            reply = requests.post(f"{sender.url}/api/v1/ingest_events", json=body, headers=headers, timeout=10)
            assert reply.status_code == 422, reply.text
            deadline = time.monotonic() + ARRIVAL_TIMEOUT
            while not (arrived := warn_logs(receiver)) and time.monotonic() < deadline:
                time.sleep(0.5)
            assert len(arrived) == 1, (sender.stderr(), receiver.stderr())
            [item] = arrived
            assert item["level"]["S"] == "warn" and item["title"]["S"].startswith("rejected submission")
            document = stored_document(item)
            stored = json.dumps(document)
            assert secret not in stored and sender.token not in stored  # keys and metadata only
            diagnostics = document["context"]["logister_diagnostics"]
            assert (diagnostics["status"], diagnostics["project_id"]) == (422, sender.state["project_id"])
