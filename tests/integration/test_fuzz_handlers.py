"""Hostile values through every endpoint's real handler (issue 13, "a fuzz layer that would have found these").

Extreme times, huge digit strings, lone surrogates (JSON escapes in the raw body), deep nesting, huge and
non-finite numbers and oversized fields, over a valid body so most examples reach the store. Properties:
never a 5xx; every answer is the documented body for its status; after every 2xx the stored state is whole.
Bodies are written as raw JSON text: what json.dumps cannot produce (NaN, 1e400, "\\ud800") is what matters.

A bounded run in `make test` (FUZZ_EXAMPLES per endpoint); `make fuzz` runs more. The answers seen per
endpoint: `pytest tests/integration/test_fuzz_handlers.py --hypothesis-show-statistics`.
"""

from __future__ import annotations

import gzip
import json
import os
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from logister_common.contract.check_in_fields import CheckIn, check_in_from_context
from logister_common.contract.times import parse_time_or_none
from logister_common.monitors.rules import Monitor, check_in_order
from logister_common.runtime.settings import get_settings
from logister_common.storage import clients
from logister_common.storage.items import plain
from logister_common.storage.monitors_table import monitor_key
from tests.integration.test_deployments_api import deploy  # noqa: F401  (the deployments poster fixture)
from tests.support import BATCH_PATH, INGEST_PATH, Reply, event_item, stored_document
from tests.unit import test_openapi as openapi

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
DOCUMENTED_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after")

# Raw JSON fragments, each a value a hostile client could put in any field.
EXTREME_TIMES = st.sampled_from(
    [
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "9999-12-31T23:59:59.999999Z",
        "10000-01-01T00:00:00Z",
        "-0001-01-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-05-23T25:61:61Z",
        "2026-05-23T15:20:00+99:99",
        "1970-01-01T00:00:00Z",
    ]
).map(json.dumps) | st.sampled_from(["-62135596801", "253402300800", "1e20", "-1e20", "99999999999999999999"])
HUGE_DIGITS = st.integers(min_value=300, max_value=20_000).flatmap(
    lambda digits: st.sampled_from(["9" * digits, "-" + "9" * digits, json.dumps("9" * digits), "0." + "1" * digits])
)
LONE_SURROGATES = st.sampled_from(["\\ud800", "\\udfff", "a\\udbffb", "\\udc00\\ud800", "\\ud83d"]).map(
    lambda escaped: f'"{escaped}"'
)
DEEP_NESTING = st.integers(min_value=50, max_value=5_000).flatmap(
    lambda depth: st.sampled_from(["[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth])
)
NON_FINITE_NUMBERS = st.sampled_from(
    ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400", "-0.0", "1.7976931348623157e308", "1E+308"]
) | st.floats().map(json.dumps)
OVERSIZED_FIELDS = st.integers(min_value=1_000, max_value=300_000).flatmap(
    lambda size: st.sampled_from(["x", "é", "😀", "\\u0000"]).map(lambda unit: '"' + unit * size + '"')
)
ORDINARY = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
).map(json.dumps)
HOSTILE = st.one_of(EXTREME_TIMES, HUGE_DIGITS, LONE_SURROGATES, DEEP_NESTING, NON_FINITE_NUMBERS, OVERSIZED_FIELDS)
VALUES = HOSTILE | ORDINARY
LONG_KEYS = st.integers(min_value=1_000, max_value=5_000).map(lambda size: "k" * size)
HOSTILE_KEYS = st.sampled_from(["\\ud800", "", "__proto__", "EVENT_TYPE", "occurredAt"]) | LONG_KEYS

EVENT_FIELDS = [
    "event_type", "message", "level", "occurred_at", "timestamp", "uuid", "fingerprint", "environment",
    "release", "context", "tags", "name", "value", "duration_ms", "status", "transaction_name", "trace_id",
]  # fmt: skip
SPAN_FIELDS = [
    "trace_id", "span_id", "parent_span_id", "started_at", "ended_at", "duration_ms", "kind", "name", "status",
    "uuid", "context",
]  # fmt: skip
CHECK_IN_FIELDS = [
    "slug", "status", "occurred_at", "environment", "release", "expected_interval_seconds", "duration_ms",
    "trace_id", "request_id", "uuid", "event_id",
]  # fmt: skip
DEPLOYMENT_FIELDS = [
    "release", "environment", "repository", "commit_sha", "branch", "deployed_at", "service",
    "pull_request_number", "pull_request_url", "release_tag", "workflow_run_url",
]  # fmt: skip


def overrides(fields: list[str]) -> st.SearchStrategy[dict[str, str]]:
    """Hostile values for some known fields, now and then under a hostile key."""
    return st.dictionaries(st.sampled_from(fields) | HOSTILE_KEYS.map(lambda key: f"\x00{key}"), VALUES, max_size=3)


def raw_object(fields: dict[str, str]) -> str:
    """`{"key": <raw fragment>, ...}`; a key marked with \\x00 is written as it is (escapes and all)."""
    keys = [f'"{key[1:]}"' if key.startswith("\x00") else json.dumps(key) for key in fields]
    return "{" + ",".join(f"{key}:{value}" for key, value in zip(keys, fields.values(), strict=True)) + "}"


def fragments(valid: dict[str, Any], hostile: dict[str, str]) -> dict[str, str]:
    return {**{key: json.dumps(value) for key, value in valid.items()}, **hostile}


@pytest.fixture
def unlimited(settings_env) -> None:
    settings_env(
        LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS="10000000",
        LOGISTER_PUBLIC_API_PRE_AUTH_RATE_LIMIT_REQUESTS="10000000",
        LOGISTER_PUBLIC_API_AUTH_FAILURE_RATE_LIMIT_REQUESTS="10000000",
    )


def answered_as_documented(path: str, reply: Reply) -> None:
    event(f"{reply.status} {reply.json.get('code', '') if isinstance(reply.json, dict) else ''}")  # statistics
    assert reply.status < 500, reply
    headers = {name: value for name, value in reply.headers.items() if name in DOCUMENTED_HEADERS}
    openapi.assert_documented(path, reply.status, reply.json, headers)


def stored_whole(project_id: str, event_uuid: str) -> dict[str, Any]:
    """The event item exists and its document reads (inline, compressed or an S3 object that exists)."""
    item = event_item(project_id, event_uuid)
    assert item is not None, f"accepted {event_uuid} but no event item"
    assert isinstance(stored_document(item), dict)
    if item.get("event_type", {}).get("S") == "check_in":
        monitor_reflects(project_id, item)
    return item


def stored_check_in(item: dict[str, Any]) -> CheckIn | None:
    """The check-in a stored check_in event tells its monitor, wherever its document lives."""
    document = stored_document(item)
    occurred_at = parse_time_or_none(item["occurred_at"]["S"])
    received_at = parse_time_or_none(item["received_at"]["S"])
    assert occurred_at is not None and received_at is not None
    message, context = document.get("message", ""), document.get("context") or {}
    return check_in_from_context(message, context, occurred_at, item["uuid"]["S"], received_at)


def monitor_reflects(project_id: str, item: dict[str, Any]) -> None:
    check_in = stored_check_in(item)
    if check_in is None:  # a check_in event without a slug tells no monitor
        return
    key = {"project_id": {"S": project_id}, "monitor_key": {"S": monitor_key(check_in.environment, check_in.slug)}}
    monitor = clients.dynamodb().get_item(TableName=get_settings().monitors_table, Key=key).get("Item")
    assert monitor is not None, f"check-in {check_in.event_id} stored, its monitor {key} is not"
    stored = Monitor.from_item(plain(monitor))
    applied = (stored.last_check_in_us, stored.last_received_us or stored.last_check_in_us, stored.last_event_id)
    assert applied >= check_in_order(check_in), f"monitor {key} is older than check-in {check_in.event_id}"


EVENT_TYPES = st.sampled_from(["error", "log", "metric", "transaction", "check_in"])


@FUZZ
@given(event_type=EVENT_TYPES, hostile=overrides(EVENT_FIELDS))
def test_single_events(ingest, project, unlimited, event_type, hostile):
    valid = {"event_type": event_type, "message": "m", "uuid": str(uuid.uuid4()), "level": "error"}
    if event_type == "check_in":
        valid["context"] = {"check_in_slug": f"job-{uuid.uuid4()}", "check_in_status": "ok"}
    reply = ingest("{" + f'"event":{raw_object(fragments(valid, hostile))}' + "}", token=project.token)
    answered_as_documented(INGEST_PATH, reply)
    if reply.status < 300:
        stored_whole(project.project_id, reply.json["id"])


@FUZZ
@given(hostile=overrides(SPAN_FIELDS))
def test_spans(ingest, project, unlimited, hostile):
    valid = {"event_type": "span", "trace_id": f"t-{uuid.uuid4()}", "span_id": "s", "uuid": str(uuid.uuid4())}
    valid |= {"started_at": "2026-05-23T15:20:00Z", "ended_at": "2026-05-23T15:20:01Z", "kind": "db", "name": "q"}
    reply = ingest("{" + f'"event":{raw_object(fragments(valid, hostile))}' + "}", token=project.token)
    answered_as_documented(INGEST_PATH, reply)
    if reply.status < 300:
        stored_whole(project.project_id, reply.json["id"])


BATCH_EVENTS = st.lists(
    st.tuples(EVENT_TYPES | st.just("span"), overrides(EVENT_FIELDS + SPAN_FIELDS)), min_size=1, max_size=3
)


@FUZZ
@given(events=BATCH_EVENTS, hostile_line=st.none() | HOSTILE)
def test_batches(batch, project, unlimited, events, hostile_line):
    def line(event_type: str, hostile: dict[str, str]) -> str:
        valid = {"event_type": event_type, "message": "m", "uuid": str(uuid.uuid4())}
        if event_type == "span":
            valid |= {"trace_id": f"t-{uuid.uuid4()}", "span_id": "s", "duration_ms": 1}
        return "{" + f'"event":{raw_object(fragments(valid, hostile))}' + "}"

    # a hostile value where a line's envelope should be, if any, comes last: the events before it are fuzzed too
    lines = [line(event_type, hostile) for event_type, hostile in events] + [hostile_line or ""]
    reply = batch(gzip.compress("\n".join(lines).encode() + b"\n"), token=project.token)
    answered_as_documented(BATCH_PATH, reply)
    if reply.status < 300:
        for result in reply.json["results"]:
            if result["status"] == "accepted":
                stored_whole(project.project_id, result["id"])


@FUZZ
@given(hostile=overrides(CHECK_IN_FIELDS))
def test_check_ins(check_in, project, unlimited, hostile):
    valid = {"slug": f"job-{uuid.uuid4()}", "status": "ok", "uuid": str(uuid.uuid4()), "environment": "production"}
    reply = check_in("{" + f'"check_in":{raw_object(fragments(valid, hostile))}' + "}", token=project.token)
    answered_as_documented(openapi.CHECK_INS, reply)
    if reply.status < 300:
        item = stored_whole(project.project_id, reply.json["id"])
        assert item["event_type"]["S"] == "check_in"


@FUZZ
@given(hostile=overrides(DEPLOYMENT_FIELDS))
def test_deployments(deploy, project, unlimited, hostile):  # noqa: F811  (the imported fixture)
    valid = {"release": f"r-{uuid.uuid4()}", "repository": "acme/shop", "commit_sha": "abcdef1"}
    reply = deploy("{" + f'"deployment":{raw_object(fragments(valid, hostile))}' + "}", token=project.token)
    answered_as_documented(openapi.DEPLOYMENTS, reply)
    if reply.status < 300:
        key = {"project_id": {"S": project.project_id}, "deployment_id": {"S": reply.json["id"]}}
        stored = clients.dynamodb().get_item(TableName=get_settings().deployments_table, Key=key).get("Item")
        assert stored is not None, f"deployment {reply.json['id']} accepted but not stored"
