"""Forwarding rejected-submission diagnostics: which lines go, as what, and how delivery is retried.

The receiving API is a small HTTP server here (a stand-in for another Logister-compatible API): the
sender is exercised over real HTTP, throttled and failing as a real API can be.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from logister_common.diagnostics.log_events import FORWARDER_USER_AGENT, diagnostic_events
from logister_common.diagnostics.sender import NotDelivered, batch_url, send

LINE = {
    "level": "WARNING",
    "location": "log_rejection:40",
    "message": "rejected submission",
    "timestamp": "2026-11-30 09:00:00,000+0000",
    "service": "logister",
    "function_name": "logister-IngestFunction",
    "reason": "invalid_json",
    "status": 400,
    "project_id": "p-1",
    "user_agent": "logister-js/1.0",
}


def test_only_rejected_submissions_become_warn_log_events_with_stable_uuids():
    lines = [
        ("1", 1_764_493_200_000, json.dumps(LINE)),
        ("2", 1_764_493_200_000, json.dumps({**LINE, "message": "monitor sweep"})),
        ("3", 1_764_493_200_000, "not json"),
        ("4", 1_764_493_200_000, json.dumps({**LINE, "user_agent": FORWARDER_USER_AGENT})),  # our own: no loop
    ]
    [event] = diagnostic_events(lines)
    body = event["event"]
    assert (body["event_type"], body["level"], body["message"]) == ("log", "warn", "rejected submission: invalid_json")
    assert body["occurred_at"] == "2025-11-30T09:00:00Z"
    forwarded = body["context"]["logister_diagnostics"]
    assert forwarded["reason"] == "invalid_json" and forwarded["project_id"] == "p-1"
    assert "location" not in forwarded and "message" not in forwarded  # the logger's keys stay behind
    assert diagnostic_events(lines)[0]["event"]["uuid"] == body["uuid"]  # a redelivery is a duplicate


def test_the_endpoint_may_be_the_base_or_the_ingest_url():
    for endpoint in ("https://x.example", "https://x.example/", "https://x.example/api/v1/ingest_events"):
        assert batch_url(endpoint) == "https://x.example/api/v1/ingest_events/batch"
    assert batch_url("https://x.example/api/v1/ingest_events/batch") == "https://x.example/api/v1/ingest_events/batch"


class Receiver(BaseHTTPRequestHandler):
    answers: ClassVar[list[tuple[int, dict[str, str]]]] = []
    received: ClassVar[list[tuple[dict[str, str], list[dict]]]] = []

    def do_POST(self) -> None:
        body = gzip.decompress(self.rfile.read(int(self.headers["Content-Length"])))
        Receiver.received.append((dict(self.headers), [json.loads(line) for line in body.splitlines()]))
        status, headers = Receiver.answers.pop(0) if Receiver.answers else (202, {})
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.answers, Receiver.received = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def events(count: int) -> list[dict]:
    return diagnostic_events((str(n), 0, json.dumps(LINE)) for n in range(count))


def test_batches_go_as_gzip_ndjson_with_the_token_and_our_user_agent(receiver):
    assert send(events(150), receiver, "logister_key", lambda: 60) == 150
    assert [len(lines) for _, lines in Receiver.received] == [100, 50]  # the contract's batch cap
    headers, lines = Receiver.received[0]
    assert headers["Authorization"] == "Bearer logister_key" and headers["User-Agent"] == FORWARDER_USER_AGENT
    assert (headers["Content-Type"], headers["Content-Encoding"]) == ("application/x-ndjson", "gzip")
    assert lines[0]["event"]["event_type"] == "log"


def test_a_throttled_batch_is_retried_after_retry_after(receiver):
    Receiver.answers = [(429, {"Retry-After": "7"}), (503, {}), (202, {})]
    waits: list[float] = []
    assert send(events(3), receiver, "k", lambda: 60, sleep=waits.append) == 3
    assert waits == [7.0, 4.0] and len(Receiver.received) == 3  # Retry-After, then exponential back-off


def test_a_refused_batch_is_dropped_and_an_unavailable_api_fails_the_invocation(receiver):
    Receiver.answers = [(422, {})]
    assert send(events(1), receiver, "k", lambda: 60) == 0 and len(Receiver.received) == 1
    Receiver.answers = [(429, {"Retry-After": "30"})]
    with pytest.raises(NotDelivered):  # not enough time left to wait: Lambda retries the invocation
        send(events(1), receiver, "k", lambda: 20, sleep=lambda _: None)
