"""`make dev` (python -m local.devserver) as a subprocess: banner, state file, a real event, clean shutdown."""

from __future__ import annotations

import pytest
import requests

DEMO_TOKEN = "logister_" + "ab" * 24

pytestmark = pytest.mark.e2e


def test_devserver_starts_seeds_a_token_serves_events_and_stops(local_api):
    with local_api(LOGISTER_DEMO_TOKEN=DEMO_TOKEN, LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS="2") as api:
        state, text, url = api.state, api.banner, api.url
        assert state["api_url"] == url
        assert state["project_id"] in text
        assert DEMO_TOKEN in text
        assert state["dynamodb_endpoint"] in text
        assert f"export LOGISTER_API_KEY={DEMO_TOKEN}" in text
        assert f"export LOGISTER_BASE_URL={url}" in text
        assert f'curl -sS -X POST {url}/api/v1/ingest_events -H "Authorization: Bearer {DEMO_TOKEN}"' in text
        assert set(state["tables"]) >= {"AuthTable", "EventsTable"}
        assert state["bucket"] == "logister-local-payloadbucket"
        assert state["env"]["LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS"] == "2"

        headers = {"Authorization": f"Bearer {DEMO_TOKEN}", "Content-Type": "application/json"}
        event = {"event": {"event_type": "error", "level": "error", "message": "Hello from the e2e test"}}
        replies = [requests.post(f"{url}/api/v1/ingest_events", json=event, headers=headers, timeout=10) for _ in "123"]
        assert [reply.status_code for reply in replies] == [201, 201, 429], [reply.text for reply in replies]
        assert requests.get(f"{url}/nope", timeout=10).status_code == 404
    assert api.exit_code == 0
    assert not api.state_file.exists()
