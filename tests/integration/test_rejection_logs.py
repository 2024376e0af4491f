"""Every rejected submission is logged once as a sanitized "rejected submission" warning (issue 15),
through the real handlers: the fields README.md documents, never the token, never a payload value."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import pytest

from logister_common.container import reset_container_state
from logister_common.edge import rejections
from logister_common.operator import provisioning
from tests.integration.conftest import poster
from tests.support import Reply

SENTINEL = "sentinel-value-7f3a"  # in every payload value below: it must never be logged
# Powertools' own keys: where and when the line was written.
POWERTOOLS_KEYS = {
    "level",
    "location",
    "message",
    "timestamp",
    "service",
    "cold_start",
    "function_name",
    "function_memory_size",
    "function_arn",
    "function_request_id",
    "xray_trace_id",
    "sampling_rate",
}
REQUEST_FIELDS = {
    "reason",
    "status",
    "endpoint",
    "method",
    "path",
    "user_agent",
    "content_type",
    "content_length",
    "source_ip",
}
CALLER_FIELDS = {"token_id", "project_id"}
KEY_FIELDS = {"root_keys", "envelope_keys", "payload_keys"}
BATCH = "/api/v1/ingest_events/batch"


@pytest.fixture
def deploy(aws) -> Callable[..., Reply]:
    """POST to the deployments function through its real Lambda handler."""
    import deployments_handler

    reset_container_state()
    return poster(deployments_handler.lambda_handler, "DeploymentsFunction", "/api/v1/deployments")


def rejections_in(output: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if line["message"] == "rejected submission"]


def only_rejection(output: str) -> dict[str, Any]:
    [line] = rejections_in(output)
    assert line["level"] == "WARNING"
    return {name: value for name, value in line.items() if name not in POWERTOOLS_KEYS}


def ndjson(*lines: Any) -> bytes:
    return gzip.compress("".join(json.dumps(line) + "\n" for line in lines).encode())


def test_a_422_with_a_valid_token_names_the_caller_and_the_keys_but_no_value(ingest, project, logged):
    body = {"event": {"eventType": "nope", "message": SENTINEL, "context": {"secret": SENTINEL}}, "extra": SENTINEL}
    reply = ingest(body, token=project.token, headers={"User-Agent": "logister-js/1.2"})
    assert reply.status == 422
    output = logged()
    assert only_rejection(output) == {
        "reason": "invalid_event",
        "status": 422,
        "endpoint": "ingest",
        "method": "POST",
        "path": "/api/v1/ingest_events",
        "user_agent": "logister-js/1.2",
        "content_type": "application/json",
        "content_length": len(json.dumps(body)),
        "source_ip": "203.0.113.7",
        "token_id": project.token_id,
        "project_id": project.project_id,
        "root_keys": ["event", "extra"],
        "envelope_keys": ["context", "eventType", "message"],
        "payload_keys": ["context", "event_type", "message"],
    }
    assert SENTINEL not in output and project.token not in output


def test_a_401_has_neither_caller_nor_keys_and_never_the_token(ingest, project, logged):
    revoked = provisioning.issue_token(project.project_id, name="revoked")
    provisioning.revoke_token(revoked.token)
    guessed = "logister_" + "0" * 48
    body = {"event": {"event_type": "log", "message": SENTINEL}}
    replies = [
        ingest(body),
        ingest(body, token=guessed),
        ingest(body, headers={"X-Api-Key": guessed}),
        ingest(body, token=revoked.token),
    ]
    assert [reply.status for reply in replies] == [401] * 4
    output = logged()
    lines = rejections_in(output)
    assert [line["reason"] for line in lines] == [
        "missing_api_key",
        "invalid_api_key",
        "invalid_api_key",
        "revoked_api_key",
    ]
    for line in lines:
        assert set(line) - POWERTOOLS_KEYS == REQUEST_FIELDS
    for secret in (guessed, revoked.token, SENTINEL, "Bearer"):
        assert secret not in output


@pytest.mark.parametrize(
    ("body", "options", "status", "reason", "fields"),
    [
        ("{nope", {}, 400, "invalid_json", REQUEST_FIELDS | CALLER_FIELDS),
        (b"\xff\xfe{", {}, 400, "invalid_json", REQUEST_FIELDS | CALLER_FIELDS),
        (
            {"events": {"message": SENTINEL}},
            {},
            400,
            "missing_event_envelope",
            REQUEST_FIELDS | CALLER_FIELDS | {"root_keys"},
        ),
        (
            {"event": {"message": SENTINEL * 5000}},
            {},
            413,
            "message_bytes",
            REQUEST_FIELDS | CALLER_FIELDS | KEY_FIELDS,
        ),
        ("x" * (2 * 1024 * 1024 + 1), {}, 413, "request_bytes", REQUEST_FIELDS),  # before authentication,
        (
            {"event": {"message": SENTINEL}},
            {"content_type": "text/plain"},
            400,
            "missing_event_envelope",
            REQUEST_FIELDS | CALLER_FIELDS,
        ),
    ],
    ids=["invalid-json", "invalid-utf8", "missing-envelope", "payload-limit", "wire-cap", "not-json"],
)
def test_each_json_rejection_is_logged_once(ingest, project, logged, body, options, status, reason, fields):
    reply = ingest(body, token=project.token, **options)
    assert reply.status == status, reply
    line = only_rejection(output := logged())
    assert (line["reason"], line["status"]) == (reason, status)
    assert set(line) == fields
    assert SENTINEL not in output and project.token not in output


def test_batch_rejections_summarize_the_first_line(batch, project, logged):
    first = {"event": {"event_type": "log", "message": SENTINEL, "uuid": "not-a-uuid"}, "meta": SENTINEL}
    invalid = batch(ndjson(first, [SENTINEL]), token=project.token)
    valid_line = {"event": {"event_type": "log", "message": SENTINEL, "uuid": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}}
    rejected = batch(
        ndjson(valid_line, {"event": {"event_type": "nope", "uuid": "aaaaaaaa-bbbb-cccc-dddd-ffffffffffff"}}),
        token=project.token,
    )
    wrong_type = batch(ndjson(valid_line), token=project.token, content_type="application/json")
    assert [invalid.status, rejected.status, wrong_type.status] == [400, 422, 415]
    output = logged()
    lines = [
        {name: value for name, value in line.items() if name not in POWERTOOLS_KEYS} for line in rejections_in(output)
    ]
    assert [(line["reason"], line["path"], line["project_id"]) for line in lines] == [
        ("invalid_identity", BATCH, project.project_id),
        ("invalid_batch", BATCH, project.project_id),
        ("unsupported_content_type", BATCH, project.project_id),
    ]
    assert (lines[0]["root_keys"], lines[0]["envelope_keys"]) == (["event", "meta"], ["event_type", "message", "uuid"])
    assert lines[1]["envelope_keys"] == ["event_type", "message", "uuid"]
    assert set(lines[2]) == REQUEST_FIELDS | CALLER_FIELDS  # a gzip body read as JSON: no keys
    assert SENTINEL not in output and project.token not in output


def test_check_in_and_deployment_rejections(check_in, deploy, project, logged):
    assert check_in({"Status": SENTINEL, "environment": SENTINEL}, token=project.token).status == 422
    assert deploy({"deployment": {"release": SENTINEL}}, token=project.token).status == 422
    output = logged()
    check_in_line, deployment_line = rejections_in(output)
    assert (check_in_line["reason"], check_in_line["endpoint"]) == ("invalid_check_in", "check_in")
    assert "envelope_keys" in check_in_line and check_in_line["payload_keys"] == ["environment", "status"]
    assert (deployment_line["reason"], deployment_line["endpoint"]) == ("invalid_deployment", "deployment")
    assert (deployment_line["root_keys"], deployment_line["payload_keys"]) == (["deployment"], ["release"])
    assert SENTINEL not in output and project.token not in output


def test_a_429_names_the_caller(ingest, project, settings_env, logged):
    settings_env(LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS="1")
    body = {"event": {"event_type": "log", "message": SENTINEL}}
    assert [ingest(body, token=project.token).status for _ in range(2)] == [201, 429]
    line = only_rejection(output := logged())
    assert (line["reason"], line["status"], line["project_id"]) == ("rate_limited", 429, project.project_id)
    assert line["payload_keys"] == ["event_type", "message"]
    assert SENTINEL not in output


def test_hostile_bodies_keep_the_line_small(ingest, batch, project, logged):
    many_keys = {"event": {f"{index}{'k' * 100}": SENTINEL for index in range(10_000)}}
    identified = {"event": {**many_keys["event"], "uuid": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}}
    deep = "[" * 50_000 + json.dumps(SENTINEL) + "]" * 50_000
    replies = [
        ingest(many_keys, token=project.token, headers={"User-Agent": "u" * 100_000}),
        ingest('{"event": {"message": "m", "context": ' + deep + "}}", token=project.token),
        batch(b"\n" * 500_000 + json.dumps(identified).encode(), token=project.token, encoding=None),
        batch(gzip.compress(b"\n" * 8_000_000), token=project.token),
    ]
    assert [reply.status for reply in replies] == [413, 400, 413, 400], replies
    output = logged()
    lines = rejections_in(output)
    assert [line["reason"] for line in lines] == ["context_keys", "invalid_json", "context_keys", "empty_batch"]
    assert len(lines[0]["envelope_keys"]) == len(lines[2]["payload_keys"]) == rejections.MAX_KEYS
    for line in output.splitlines():
        assert len(line) < 10_000
    for line in lines:
        for field in KEY_FIELDS & set(line):
            assert len(line[field]) <= rejections.MAX_KEYS
            assert all(len(key) <= rejections.MAX_KEY_CHARS for key in line[field])
    assert SENTINEL not in output


def test_accepted_submissions_log_no_rejection(ingest, batch, check_in, deploy, project, logged):
    event = {"event": {"event_type": "log", "message": SENTINEL}}
    assert ingest(event, token=project.token).status == 201
    line = {"event": {**event["event"], "uuid": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}}
    assert batch(ndjson(line), token=project.token).status == 202
    assert check_in({"slug": "nightly", "status": "ok"}, token=project.token).status == 201
    assert (
        deploy(
            {"deployment": {"release": "1.0", "repository": "acme/app", "commit_sha": "abcdef1"}}, token=project.token
        ).status
        == 201
    )
    assert rejections_in(logged()) == []


def test_a_failing_summary_never_turns_a_4xx_into_a_500(ingest, project, logged, monkeypatch):
    def broken(*_: Any) -> dict[str, Any]:
        raise RuntimeError(SENTINEL)

    monkeypatch.setattr(rejections, "rejection_fields", broken)
    reply = ingest({"event": {"event_type": "nope"}}, token=project.token)
    assert reply.status == 422
    output = logged()
    assert '"message":"rejected submission not logged"' in output and '"error":"RuntimeError"' in output
    assert SENTINEL not in output
