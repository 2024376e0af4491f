"""logister-admin (the installed console script) against `make dev`'s stack, with the real API in between.

Create a project and token with the CLI, send an event, a span tree and a check-in with that token,
see them in `events`, `trace` and `monitors`; revoke the token (401); archive the project (401 for
every token); restore it and create a fresh token (201).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def command() -> list[str]:
    """The console script the venv installs (`pip install -e .`), else the same code as a module."""
    script = Path(sys.executable).with_name("logister-admin")
    if script.exists():
        return [str(script)]
    found = shutil.which("logister-admin")
    return [found] if found else [sys.executable, "-m", "admin"]


class Admin:
    def __init__(self, api) -> None:
        self.env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("AWS_ENDPOINT_URL", "LOGISTER_", "PYTEST_"))
        }
        self.env.update(LOGISTER_LOCAL_STATE_FILE=str(api.state_file), COLUMNS="200")

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        arguments = [*command(), "--local", *args]
        return subprocess.run(
            arguments, cwd=ROOT, env=self.env, capture_output=True, text=True, check=False, timeout=60
        )

    def __call__(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return json.loads(result.stdout)  # --json prints JSON only


def post(api, path: str, token: str, body: dict) -> int:
    reply = requests.post(f"{api.url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    return reply.status_code


def span(span_id: str, parent: str | None, offset_ms: int, duration_ms: int, name: str) -> dict:
    fields = {
        "event_type": "span",
        "name": name,
        "trace_id": TRACE,
        "span_id": span_id,
        "started_at": f"2026-11-27T12:00:00.{offset_ms:03d}Z",
        "duration_ms": duration_ms,
    }
    return {"event": {**fields, "parent_span_id": parent} if parent else fields}


def test_operator_flow_against_the_local_stack(local_api):
    with local_api(LOGISTER_TOKEN_CACHE_SECONDS="0") as api, ThreadPoolExecutor(6) as pool:
        assert f"logister-admin --local events {api.state['project_id']}" in api.banner
        admin = Admin(api)
        created = admin("projects", "create", "e2e-shop")
        project_id, token = created["project_id"], created["token"]

        event = {"event": {"event_type": "error", "level": "error", "message": "Checkout failed"}}
        assert post(api, "/api/v1/ingest_events", token, event) == 201
        tree = [
            span("root", None, 0, 120, "POST /checkout"),
            span("db", "root", 10, 40, "INSERT order"),
            span("mail", "root", 60, 50, "send receipt"),
        ]
        assert [post(api, "/api/v1/ingest_events", token, body) for body in tree] == [201, 201, 201]
        check_in = {"check_in": {"slug": "nightly-export", "status": "ok", "expected_interval_seconds": 3600}}
        assert post(api, "/api/v1/check_ins", token, check_in) == 201

        # What arrived is listed from the events stream, which make dev polls every 0.5 s.
        deadline = time.monotonic() + 15
        while len(admin("events", project_id, "--since", "10m")) < 5 and time.monotonic() < deadline:
            time.sleep(0.3)

        # The reads are independent: run them side by side (each is a process of its own).
        reads = {
            "projects": pool.submit(admin, "projects", "list"),
            "events": pool.submit(admin, "events", project_id, "--since", "10m"),
            "trace": pool.submit(admin, "trace", project_id, TRACE),
            "drawn": pool.submit(admin.run, "trace", project_id, TRACE),
            "monitors": pool.submit(admin, "monitors", project_id),
            "unknown": pool.submit(admin.run, "events", "no-such-project"),
        }
        listed = [(project["project_id"], project["name"]) for project in reads["projects"].result()]
        assert listed == [(api.state["project_id"], "demo"), (project_id, "e2e-shop")]  # make dev's demo: same code

        arrived = reads["events"].result()
        assert [item["type"] for item in arrived] == ["check_in", "span", "span", "span", "error"]
        assert arrived[-1]["title"] == "Checkout failed" and arrived[0]["title"] == "nightly-export"
        assert {item["trace_id"] for item in arrived if item["type"] == "span"} == {TRACE}

        waterfall = reads["trace"].result()
        assert [(item["name"], item["depth"]) for item in waterfall["spans"]] == [
            ("POST /checkout", 0),
            ("INSERT order", 1),
            ("send receipt", 1),
        ]
        assert waterfall["duration_ms"] == 120
        drawn = reads["drawn"].result().stdout
        assert "  INSERT order" in drawn and "█" in drawn and "120.0" in drawn

        [monitor] = reads["monitors"].result()
        assert (monitor["slug"], monitor["status"]) == ("nightly-export", "ok")

        unknown = reads["unknown"].result()
        assert unknown.returncode == 1 and "Unknown project no-such-project" in unknown.stderr
        assert "Traceback" not in unknown.stderr and unknown.stdout == ""

        admin("tokens", "revoke", created["token_id"])
        assert post(api, "/api/v1/ingest_events", token, event) == 401

        issued = pool.map(lambda name: admin("tokens", "create", project_id, "--name", name), ["second", "third"])
        tokens = [token, *(each["token"] for each in issued)]
        assert [post(api, "/api/v1/ingest_events", other, event) for other in tokens[1:]] == [201, 201]
        admin("projects", "archive", project_id)
        assert [post(api, "/api/v1/ingest_events", each, event) for each in tokens] == [401, 401, 401]

        admin("projects", "restore", project_id)
        fresh = admin("tokens", "create", project_id)
        assert post(api, "/api/v1/ingest_events", fresh["token"], event) == 201
        assert [post(api, "/api/v1/ingest_events", each, event) for each in tokens] == [401, 401, 401]

        listed_tokens = admin("tokens", "list", project_id)
        assert [bool(item["revoked_at"]) for item in listed_tokens] == [True, True, True, False]
        assert fresh["token"] not in json.dumps(listed_tokens)
    assert api.exit_code == 0
