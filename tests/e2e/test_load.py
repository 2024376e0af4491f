"""A bounded load run against the local API: mixed requests at concurrency, every answer checked against the tables.

`make test` sends LOAD_REQUESTS (default 600); `make load` sends 20,000 at LOAD_CONCURRENCY 16. The mix:
single events of every type, spans, batches (gzip NDJSON, some replayed, some rejected whole),
check-ins, deployments, resent uuids, and bad requests (400, 401, 415, 422). Afterwards:
- no answer is a 5xx, and every request got exactly the status its kind calls for;
- every uuid answered 2xx is stored exactly once: one delivery answered as created, every other one as
  a duplicate carrying the same id, and the events table holds exactly those uuids (nothing from a
  rejected request);
- every accepted span is a span item (indexed by trace), each monitor shows its newest check-in, each deployment
  is one row, and the events stream counted each error event into its group exactly once;
- no token's plaintext is in any table or in anything the server printed after its banner.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import threading
import time
import uuid as uuid_module
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LocalApi, running_local_api

REQUESTS = int(os.environ.get("LOAD_REQUESTS", "600"))
CONCURRENCY = int(os.environ.get("LOAD_CONCURRENCY", "16"))
SEED = int(os.environ.get("LOAD_SEED", "20261127"))
PROJECTION_TIMEOUT = 120  # seconds for the events stream's consumer to catch up after the run

# Weights of each kind of request in the mix.
MIX = {
    "event": 30,
    "span": 10,
    "resend": 10,
    "batch": 8,
    "batch_replay": 2,
    "batch_rejected": 2,
    "check_in": 12,
    "deployment": 5,
    "bad_json": 4,
    "missing_envelope": 4,
    "bad_uuid": 4,
    "unknown_token": 5,
    "batch_wrong_type": 4,
}
EXPECTED_STATUS = {
    "event": {201},
    "span": {201},
    "resend": {200, 201},  # which delivery of a uuid lands first is a race: it is created, the rest duplicates
    "batch": {202},
    "batch_replay": {202},
    "batch_rejected": {422},
    "check_in": {201},
    "deployment": {201},
    "bad_json": {400},
    "missing_envelope": {400},
    "bad_uuid": {422},
    "unknown_token": {401},
    "batch_wrong_type": {415},
}
EVENT_TYPES = ("error", "log", "metric", "transaction")
ERROR_MESSAGES = [f"LoadError: failure {number}\n  at worker.py:{number}" for number in range(12)]
SLUGS = [f"job-{number}" for number in range(8)]
RELEASES = [f"v1.{number}" for number in range(25)]
TRACES = [uuid_module.UUID(int=number + 1).hex for number in range(150)]
BASE_TIME = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.e2e


@dataclass
class Delivery:
    """One uuid sent in a request (alone or as a batch entry)."""

    uuid: str
    signal: str  # "event", "span" or "check_in"
    stored: bool  # False when the request is rejected as a whole
    error_group: str | None = None  # the message of an error event
    slug: str | None = None
    occurred_us: int = 0


@dataclass
class PlannedRequest:
    kind: str
    path: str
    body: bytes
    headers: dict[str, str]
    deliveries: list[Delivery] = field(default_factory=list)
    release: str | None = None


@dataclass
class Answer:
    request: PlannedRequest
    status: int
    body: Any


class Planner:
    """A reproducible mix of requests (seeded), built before anything is sent."""

    def __init__(self, token: str, seed: int) -> None:
        self.random = random.Random(seed)
        self.token = token
        self.resendable: list[PlannedRequest] = []
        self.batches: list[PlannedRequest] = []
        self.sequence = 0

    def plan(self, count: int) -> list[PlannedRequest]:
        kinds = self.random.choices(list(MIX), weights=list(MIX.values()), k=count)
        return [getattr(self, kind)() for kind in kinds]

    def _next_uuid(self) -> str:
        return str(uuid_module.UUID(int=self.random.getrandbits(128), version=4))

    def _moment(self) -> datetime:
        self.sequence += 1  # distinct times, so "newest" is well defined
        return BASE_TIME + timedelta(milliseconds=self.sequence)

    def _headers(self, content_type: str = "application/json", token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}", "Content-Type": content_type}

    def _event_envelope(self) -> tuple[dict[str, Any], Delivery]:
        event_type = self.random.choice(EVENT_TYPES)
        event_uuid = self._next_uuid()
        message = self.random.choice(ERROR_MESSAGES) if event_type == "error" else f"{event_type} {self.sequence}"
        event = {
            "event_type": event_type,
            "level": "error" if event_type == "error" else "info",
            "message": message,
            "uuid": event_uuid,
            "occurred_at": self._moment().isoformat(),
            "context": {"environment": "production", "worker": self.random.randrange(100)},
        }
        if event_type == "transaction":
            event["context"]["duration_ms"] = self.random.randrange(1, 900)
        group = message if event_type == "error" else None
        return {"event": event}, Delivery(event_uuid, "event", stored=True, error_group=group)

    def _span_envelope(self) -> tuple[dict[str, Any], Delivery]:
        span_uuid = self._next_uuid()
        started = self._moment()
        span = {
            "event_type": "span",
            "name": f"GET /items/{self.random.randrange(50)}",
            "uuid": span_uuid,
            "trace_id": self.random.choice(TRACES),
            "span_id": span_uuid.replace("-", "")[:16],
            "started_at": started.isoformat(),
            "duration_ms": self.random.randrange(1, 500),
        }
        return {"event": span}, Delivery(span_uuid, "span", stored=True)

    def _single(self, kind: str, envelope: tuple[dict[str, Any], Delivery]) -> PlannedRequest:
        body, delivery = envelope
        request = PlannedRequest(kind, "/api/v1/ingest_events", json.dumps(body).encode(), self._headers(), [delivery])
        self.resendable.append(request)
        return request

    def event(self) -> PlannedRequest:
        return self._single("event", self._event_envelope())

    def span(self) -> PlannedRequest:
        return self._single("span", self._span_envelope())

    def resend(self) -> PlannedRequest:
        if not self.resendable:
            return self.event()
        earlier = self.random.choice(self.resendable)
        return PlannedRequest("resend", earlier.path, earlier.body, earlier.headers, list(earlier.deliveries))

    def _batch_body(self, entries: list[dict[str, Any] | str]) -> bytes:
        lines = [entry if isinstance(entry, str) else json.dumps(entry) for entry in entries]
        return gzip.compress(("\n".join(lines) + "\n").encode())

    def _batch_headers(self) -> dict[str, str]:
        return self._headers("application/x-ndjson") | {"Content-Encoding": "gzip"}

    def batch(self) -> PlannedRequest:
        envelopes = [
            self._span_envelope() if self.random.random() < 0.3 else self._event_envelope()
            for _ in range(self.random.randrange(1, 26))
        ]
        request = PlannedRequest(
            "batch",
            "/api/v1/ingest_events/batch",
            self._batch_body([body for body, _ in envelopes]),
            self._batch_headers(),
            [delivery for _, delivery in envelopes],
        )
        self.batches.append(request)
        return request

    def batch_replay(self) -> PlannedRequest:
        if not self.batches:
            return self.batch()
        earlier = self.random.choice(self.batches)
        return PlannedRequest("batch_replay", earlier.path, earlier.body, earlier.headers, list(earlier.deliveries))

    def batch_rejected(self) -> PlannedRequest:
        """Valid new entries and one invalid one (an error without a message): 422, and none may be stored."""
        envelopes = [self._event_envelope() for _ in range(self.random.randrange(1, 10))]
        invalid_uuid = self._next_uuid()
        invalid = {"event": {"event_type": "error", "uuid": invalid_uuid}}
        deliveries = [Delivery(delivery.uuid, delivery.signal, stored=False) for _, delivery in envelopes]
        deliveries.append(Delivery(invalid_uuid, "event", stored=False))
        body = self._batch_body([*(body for body, _ in envelopes), invalid])
        return PlannedRequest("batch_rejected", "/api/v1/ingest_events/batch", body, self._batch_headers(), deliveries)

    def check_in(self) -> PlannedRequest:
        check_in_uuid = self._next_uuid()
        occurred = self._moment()
        body = {
            "check_in": {
                "slug": self.random.choice(SLUGS),
                "status": self.random.choice(("ok", "ok", "ok", "error")),
                "uuid": check_in_uuid,
                "occurred_at": occurred.isoformat(),
                "expected_interval_seconds": 3600,
                "environment": "production",
            }
        }
        delivery = Delivery(
            check_in_uuid,
            "check_in",
            stored=True,
            slug=body["check_in"]["slug"],
            occurred_us=round(occurred.timestamp() * 1_000_000),
        )
        request = PlannedRequest(
            "check_in", "/api/v1/check_ins", json.dumps(body).encode(), self._headers(), [delivery]
        )
        if self.random.random() < 0.2:  # sometimes the same check-in goes out twice
            self.resendable.append(request)
        return request

    def deployment(self) -> PlannedRequest:
        release = self.random.choice(RELEASES)
        body = {
            "deployment": {
                "release": release,
                "repository": "acme/shop",
                "commit_sha": uuid_module.uuid5(uuid_module.NAMESPACE_URL, release).hex[:40],
                "environment": "production",
            }
        }
        return PlannedRequest(
            "deployment", "/api/v1/deployments", json.dumps(body).encode(), self._headers(), release=release
        )

    def bad_json(self) -> PlannedRequest:
        return PlannedRequest("bad_json", "/api/v1/ingest_events", b'{"event": {"message": ', self._headers())

    def missing_envelope(self) -> PlannedRequest:
        return PlannedRequest("missing_envelope", "/api/v1/ingest_events", b'{"payload": {}}', self._headers())

    def bad_uuid(self) -> PlannedRequest:
        body = {"event": {"event_type": "log", "message": "bad uuid", "uuid": "not-a-uuid"}}
        return PlannedRequest("bad_uuid", "/api/v1/ingest_events", json.dumps(body).encode(), self._headers())

    def unknown_token(self) -> PlannedRequest:
        body, delivery = self._event_envelope()
        rejected = Delivery(delivery.uuid, delivery.signal, stored=False)
        headers = self._headers(token=f"lgt_unknown_{self.random.getrandbits(64):x}")
        return PlannedRequest("unknown_token", "/api/v1/ingest_events", json.dumps(body).encode(), headers, [rejected])

    def batch_wrong_type(self) -> PlannedRequest:
        body, delivery = self._event_envelope()
        rejected = Delivery(delivery.uuid, delivery.signal, stored=False)
        return PlannedRequest(
            "batch_wrong_type", "/api/v1/ingest_events/batch", json.dumps(body).encode(), self._headers(), [rejected]
        )


def expected_statuses(request: PlannedRequest, sends: Counter[str]) -> set[int]:
    """The statuses the request may get: an event, span or check-in whose uuid is also resent may be
    the duplicate (200), when the resend lands first."""
    if request.kind in ("event", "span", "check_in") and sends[request.deliveries[0].uuid] > 1:
        return EXPECTED_STATUS["resend"]
    return EXPECTED_STATUS[request.kind]


def send_all(url: str, plan: list[PlannedRequest]) -> tuple[list[Answer], float]:
    """Send the plan from CONCURRENCY threads (one keep-alive session each); the answers and seconds taken."""
    local = threading.local()

    def send(request: PlannedRequest) -> Answer:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        reply = local.session.post(url + request.path, data=request.body, headers=request.headers, timeout=120)
        try:
            body = reply.json()
        except ValueError:
            body = reply.text
        return Answer(request, reply.status_code, body)

    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        answers = list(pool.map(send, plan))
    return answers, time.perf_counter() - started


def scan(client: Any, table: str) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        yield from page["Items"]


def delivered_outcomes(answers: list[Answer]) -> dict[str, list[tuple[bool, str]]]:
    """For each uuid of an accepted request: (created?, id answered) per delivery."""
    outcomes: dict[str, list[tuple[bool, str]]] = defaultdict(list)
    for answer in answers:
        if answer.status not in (200, 201, 202):
            continue
        if answer.request.kind in ("batch", "batch_replay"):
            results = sorted(answer.body["results"], key=lambda result: result["index"])
            assert len(results) == len(answer.request.deliveries), answer.body
            for delivery, result in zip(answer.request.deliveries, results, strict=True):
                assert result["status"] == "accepted", result
                outcomes[delivery.uuid].append((not result["duplicate"], result["id"]))
        else:
            for delivery in answer.request.deliveries:
                duplicate = answer.body.get("duplicate") is True
                assert (answer.status == 200) == duplicate, (answer.status, answer.body)
                outcomes[delivery.uuid].append((not duplicate, answer.body["id"]))
    return outcomes


def wait_for_group_counts(client: Any, table: str, expected: int) -> int:
    """The error groups' total occurrences once the events stream's consumer has caught up (or timed out)."""

    def total() -> int:
        return sum(int(item["occurrences"]["N"]) for item in scan(client, table))

    deadline = time.monotonic() + PROJECTION_TIMEOUT
    while total() < expected and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(2)  # a few more stream polls: an over-count would show now
    return total()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    unlimited = {
        "LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS": "100000000",
        "LOGISTER_PUBLIC_API_PRE_AUTH_RATE_LIMIT_REQUESTS": "100000000",
        "LOGISTER_PUBLIC_API_AUTH_FAILURE_RATE_LIMIT_REQUESTS": "100000000",
        "LOGISTER_TOKEN_CACHE_SECONDS": "10",  # as deployed
    }
    with running_local_api(tmp_path_factory.mktemp("load"), **unlimited) as running:
        yield running


@dataclass
class LoadRun:
    api: LocalApi
    plan: list[PlannedRequest]
    answers: list[Answer]
    outcomes: dict[str, list[tuple[bool, str]]]  # see delivered_outcomes
    deliveries: dict[str, Delivery]  # by uuid

    def uuids_of(self, signal: str) -> set[str]:
        """The accepted uuids of one signal."""
        return {event_uuid for event_uuid in self.outcomes if self.deliveries[event_uuid].signal == signal}

    def items(self, logical_id: str) -> list[dict[str, Any]]:
        return list(scan(self.api.dynamodb(), self.api.table(logical_id)))


@pytest.fixture(scope="module")
def run(api: LocalApi) -> LoadRun:
    plan = Planner(api.token, SEED).plan(REQUESTS)
    answers, seconds = send_all(api.url, plan)
    statuses = Counter(answer.status for answer in answers)
    print(
        f"\nload: {len(answers)} requests at concurrency {CONCURRENCY} in {seconds:.1f}s "
        f"({len(answers) / seconds:.0f} req/s); statuses {dict(sorted(statuses.items()))}"
    )
    deliveries = {delivery.uuid: delivery for request in plan for delivery in request.deliveries}
    return LoadRun(api, plan, answers, delivered_outcomes(answers), deliveries)


def test_no_5xx_and_every_request_answered_as_planned(run: LoadRun) -> None:
    assert not [answer for answer in run.answers if answer.status >= 500]
    sends = Counter(delivery.uuid for request in run.plan for delivery in request.deliveries)
    unexpected = [
        (answer.request.kind, answer.status, answer.body)
        for answer in run.answers
        if answer.status not in expected_statuses(answer.request, sends)
    ]
    assert not unexpected, unexpected[:5]
    assert all(isinstance(answer.body, dict) for answer in run.answers)


def test_every_accepted_uuid_is_stored_exactly_once_and_no_rejected_one_is(run: LoadRun) -> None:
    # One created answer per uuid; every other delivery is a duplicate carrying the same id.
    for event_uuid, deliveries in run.outcomes.items():
        assert sum(created for created, _ in deliveries) == 1, (event_uuid, deliveries)
        assert {answered_id for _, answered_id in deliveries} == {event_uuid}, (event_uuid, deliveries)
    rejected = {event_uuid for event_uuid, delivery in run.deliveries.items() if not delivery.stored}
    never_stored = rejected - run.outcomes.keys()
    assert never_stored  # the mix does include rejected uuids

    stored = {item["uuid"]["S"]: item for item in run.items("EventsTable")}
    assert set(stored) == set(run.outcomes), (len(stored), len(run.outcomes))
    assert not never_stored & set(stored)
    project = run.api.state["project_id"]
    for event_uuid, item in stored.items():
        assert item["pk"]["S"] == f"{project}#{event_uuid}"
        assert item["signal"]["S"] == ("span" if run.deliveries[event_uuid].signal == "span" else "event")
    spans = [item["uuid"]["S"] for item in stored.values() if item["signal"]["S"] == "span" and "trace_key" in item]
    assert sorted(spans) == sorted(run.uuids_of("span"))
    print(
        f"load: {len(run.outcomes)} uuids stored exactly once ({len(spans)} spans), "
        f"{len(never_stored)} rejected uuids stored nowhere"
    )


def test_each_monitor_shows_its_newest_check_in(run: LoadRun) -> None:
    newest: dict[str, Delivery] = {}
    for event_uuid in run.uuids_of("check_in"):
        delivery = run.deliveries[event_uuid]
        if delivery.slug not in newest or delivery.occurred_us > newest[delivery.slug].occurred_us:
            newest[delivery.slug] = delivery
    monitors = {item["slug"]["S"]: item for item in run.items("MonitorsTable")}
    assert set(monitors) == set(newest)
    for slug, delivery in newest.items():
        assert monitors[slug]["last_event_id"]["S"] == delivery.uuid
        assert int(monitors[slug]["last_check_in_us"]["N"]) == delivery.occurred_us


def test_each_deployment_is_one_row_with_one_id(run: LoadRun) -> None:
    ids_by_release: dict[str, set[str]] = defaultdict(set)
    for answer in run.answers:
        if answer.request.kind == "deployment":
            ids_by_release[answer.request.release].add(answer.body["id"])
    assert ids_by_release and all(len(ids) == 1 for ids in ids_by_release.values())
    assert len(run.items("DeploymentsTable")) == len(ids_by_release)


def test_the_events_stream_counts_each_error_into_its_group_once(run: LoadRun) -> None:
    errors = [event_uuid for event_uuid in run.outcomes if run.deliveries[event_uuid].error_group is not None]
    counted = wait_for_group_counts(run.api.dynamodb(), run.api.table("ErrorGroupsTable"), len(errors))
    assert counted == len(errors)
    print(f"load: {len(errors)} errors counted once into their groups")


def test_no_token_plaintext_in_any_table_or_server_output(run: LoadRun) -> None:
    tokens = {request.headers["Authorization"].removeprefix("Bearer ") for request in run.plan}
    assert run.api.token in tokens
    stored_text = "\n".join(
        json.dumps(item, default=str) for logical_id in run.api.state["tables"] for item in run.items(logical_id)
    )
    printed = run.api.stdout_after_banner() + run.api.stderr()  # everything after the banner
    assert "LoadError" in stored_text and "POST /api/v1/ingest_events" in printed  # what is searched is there
    assert not [token for token in tokens if token in stored_text or token in printed]
