"""Every status code of contract §1.9 (but 403, mobile tokens only) over HTTP."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.e2e

UUID = "dddddddd-bbbb-cccc-dddd-eeeeeeeeeeee"


def test_each_answer_of_the_single_endpoint(local_api):
    with local_api(LOGISTER_PUBLIC_API_AUTH_FAILURE_RATE_LIMIT_REQUESTS="1") as api:
        url = f"{api.url}/api/v1/ingest_events"
        auth = {"Authorization": f"Bearer {api.token}"}

        def post(body, headers=auth, **options):
            return requests.post(url, json=body, headers=headers, timeout=30, **options)

        event = {"event": {"event_type": "log", "message": "m", "uuid": UUID}}
        created = post(event)
        assert created.status_code == 201 and created.json()["status"] == "accepted"
        assert post(event).json() == {**created.json(), "duplicate": True}
        assert post({"payload": {}}).status_code == 400
        assert post({"event": {"event_type": "error"}}).json() == {"errors": ["Message can't be blank"]}
        too_big = requests.post(url, data=b"x" * (2 * 1024 * 1024 + 1), headers=auth, timeout=30)
        assert too_big.status_code == 413 and too_big.json()["code"] == "request_bytes"
        assert post(event, headers={"Authorization": "Bearer nope"}).status_code == 401
        limited = post(event, headers={"Authorization": "Bearer nope"})
        assert limited.status_code == 429 and limited.headers["Retry-After"]
        assert post(event).status_code == 200  # the auth-failure limit does not touch valid tokens
