"""`make dev` (python -m local.devserver) as a subprocess: banner, state file, a real event, clean shutdown."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
READY_PREFIX = "Local API ready on "
DEMO_TOKEN = "logister_" + "ab" * 24
STARTUP_TIMEOUT = 30

pytestmark = pytest.mark.e2e


def test_devserver_starts_seeds_a_token_serves_events_and_stops(tmp_path):
    state_file = tmp_path / "state.json"
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_ENDPOINT_URL", "LOGISTER_PUBLIC_API_", "PYTEST_"))
    }
    env.update(
        PORT="0",
        LOGISTER_DYNAMODB_PORT="0",
        LOGISTER_LOCAL_STATE_FILE=str(state_file),
        LOGISTER_DEMO_TOKEN=DEMO_TOKEN,
        LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS="2",
        PYTHONUNBUFFERED="1",
    )
    stderr_path = tmp_path / "stderr.txt"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.devserver"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    try:
        banner = wait_for_ready(process, lines, stderr_path)
        api_url = banner[-1].strip().removeprefix(READY_PREFIX)
        text = "".join(banner)

        state = json.loads(state_file.read_text())
        assert state["api_url"] == api_url
        assert state["project_id"] in text
        assert DEMO_TOKEN in text
        assert state["dynamodb_endpoint"] in text
        assert f"export LOGISTER_API_KEY={DEMO_TOKEN}" in text
        assert f"export LOGISTER_BASE_URL={api_url}" in text
        assert f'curl -sS -X POST {api_url}/api/v1/ingest_events -H "Authorization: Bearer {DEMO_TOKEN}"' in text
        assert set(state["tables"]) >= {"AuthTable", "EventsTable"}
        assert state["bucket"] == "logister-local-payloadbucket"
        assert state["env"]["LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS"] == "2"

        headers = {"Authorization": f"Bearer {DEMO_TOKEN}", "Content-Type": "application/json"}
        event = {"event": {"event_type": "error", "level": "error", "message": "Hello from the e2e test"}}
        statuses = [
            requests.post(f"{api_url}/api/v1/ingest_events", json=event, headers=headers, timeout=10) for _ in range(3)
        ]
        assert [r.status_code for r in statuses][:2] in ([201, 201], [202, 202]), [r.text for r in statuses]
        assert statuses[2].status_code == 429  # LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS=2 reached the handler
        assert requests.get(f"{api_url}/nope", timeout=10).status_code == 404
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(timeout=15) == 0, stderr_path.read_text()
        finally:
            if process.poll() is None:
                process.kill()
    assert not state_file.exists()


def wait_for_ready(process: subprocess.Popen[str], lines: queue.Queue[str], stderr_path: Path) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        if line.startswith(READY_PREFIX):
            return seen
    pytest.fail(f"no ready line; stdout:\n{''.join(seen)}\nstderr:\n{stderr_path.read_text()}")
