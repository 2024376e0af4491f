"""Crafted values through the real handlers (issue 13, findings 1 and 6): never a 500, the contract's
4xx for what cannot be taken, nothing stored on a refusal, and what is taken stored as ISO 8601."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from logister_common.container import reset_container_state
from logister_common.runtime.settings import get_settings
from tests.integration.conftest import poster
from tests.support import Reply, all_items, event_item, ndjson, span_items, stored_document

UUID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
OVERFLOWING_TIMES = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]
LONE_SURROGATE = "\\ud800"  # the JSON escape, as a client would send it
DEPLOYMENT = {"release": "r1", "repository": "acme/shop", "commit_sha": "abcdef1"}


@pytest.fixture
def deploy(aws) -> Callable[..., Reply]:
    import deployments_handler

    reset_container_state()
    return poster(deployments_handler.lambda_handler, "DeploymentsFunction", "/api/v1/deployments")


def events() -> list[dict]:
    return all_items(get_settings().events_table)


def nothing_stored() -> bool:
    settings = get_settings()
    tables = (settings.events_table, settings.monitors_table, settings.deployments_table)
    return not any(all_items(table) for table in tables)


def received_recently(stored: str) -> bool:
    moment = datetime.fromisoformat(stored)
    return abs(datetime.now(UTC) - moment) < timedelta(minutes=5)


@pytest.mark.parametrize("value", OVERFLOWING_TIMES)
def test_an_overflowing_occurred_at_falls_back_to_the_receive_time(ingest, project, value):
    reply = ingest({"event": {"event_type": "log", "message": "m", "occurred_at": value}}, token=project.token)
    assert reply.status == 201
    [item] = events()
    assert received_recently(item["occurred_at"]["S"])


@pytest.mark.parametrize("value", OVERFLOWING_TIMES)
def test_an_overflowing_span_time_is_out_of_range_and_starts_now(ingest, project, value):
    span = {"event_type": "span", "trace_id": "t", "span_id": "s", "started_at": value, "ended_at": value}
    reply = ingest({"event": span}, token=project.token)
    assert reply.status == 201
    claim = event_item(project.project_id, reply.json["id"])
    assert claim is not None and received_recently(claim["occurred_at"]["S"])
    [stored] = span_items()
    assert received_recently(stored["started_at"]["S"])
    assert received_recently(stored["ended_at"]["S"])  # unusable: started_at + duration


@pytest.mark.parametrize("value", OVERFLOWING_TIMES)
def test_an_overflowing_time_in_a_batch_line(batch, project, value):
    line = {"event": {"uuid": UUID, "event_type": "log", "message": "m", "occurred_at": value}}
    reply = batch(ndjson(line), token=project.token)
    assert reply.status == 202
    assert received_recently(events()[0]["occurred_at"]["S"])


@pytest.mark.parametrize("value", OVERFLOWING_TIMES)
def test_an_overflowing_check_in_time_is_the_receive_time(check_in, project, value):
    reply = check_in({"check_in": {"slug": "nightly", "occurred_at": value}}, token=project.token)
    assert reply.status == 201
    [monitor] = all_items(get_settings().monitors_table)
    assert received_recently(monitor["last_check_in_at"]["S"])


@pytest.mark.parametrize("value", OVERFLOWING_TIMES)
def test_an_overflowing_deployed_at_is_the_receive_time(deploy, project, value):
    reply = deploy({"deployment": {**DEPLOYMENT, "deployed_at": value}}, token=project.token)
    assert reply.status == 201
    [stored] = all_items(get_settings().deployments_table)
    assert received_recently(stored["deployed_at"]["S"])


def test_years_before_1000_are_stored_zero_padded(ingest, project):
    reply = ingest(
        {"event": {"event_type": "log", "message": "m", "occurred_at": "0999-03-04T05:06:07Z"}}, token=project.token
    )
    assert reply.status == 201
    assert events()[0]["occurred_at"]["S"] == "0999-03-04T05:06:07.000000Z"


def test_a_far_future_check_in_does_not_freeze_its_monitor(check_in, project):
    reply = check_in({"check_in": {"slug": "nightly", "occurred_at": "9999-01-01T00:00:00Z"}}, token=project.token)
    assert reply.status == 201
    [monitor] = all_items(get_settings().monitors_table)
    assert received_recently(monitor["last_check_in_at"]["S"])


def test_a_far_future_check_in_event_does_not_freeze_its_monitor(ingest, batch, project):
    context = {"check_in_slug": "nightly"}
    single = {"event_type": "check_in", "message": "nightly", "context": context, "occurred_at": "9999-01-01T00:00:00Z"}
    assert ingest({"event": single}, token=project.token).status == 201
    assert batch(ndjson({"event": {**single, "uuid": UUID}}), token=project.token).status == 202
    [monitor] = all_items(get_settings().monitors_table)
    assert received_recently(monitor["last_check_in_at"]["S"])
    assert all(item["occurred_at"]["S"].startswith("9999-01-01") for item in events())  # §1.7: the event keeps it


@pytest.mark.parametrize("interval", ["9" * 5_000, 10**40, "1e400"])
def test_a_huge_interval_is_clamped_to_a_year(check_in, project, interval):
    reply = check_in({"check_in": {"slug": "nightly", "expected_interval_seconds": interval}}, token=project.token)
    assert reply.status == 201
    [monitor] = all_items(get_settings().monitors_table)
    assert monitor["interval_seconds"]["N"] == str(365 * 24 * 3600 if interval != "1e400" else 1)


def test_a_check_in_event_with_a_5000_digit_interval_reaches_its_monitor(ingest, project):
    context = {"check_in_slug": "nightly", "expected_interval_seconds": "9" * 5_000}
    reply = ingest({"event": {"event_type": "check_in", "message": "nightly", "context": context}}, token=project.token)
    assert reply.status == 201
    [monitor] = all_items(get_settings().monitors_table)
    assert monitor["interval_seconds"]["N"] == str(365 * 24 * 3600)


def test_a_batch_check_in_with_a_5000_digit_interval_reaches_its_monitor(batch, project):
    context = {"check_in_slug": "nightly", "expected_interval_seconds": "9" * 5_000}
    line = {"event": {"uuid": UUID, "event_type": "check_in", "message": "nightly", "context": context}}
    assert batch(ndjson(line), token=project.token).status == 202
    [monitor] = all_items(get_settings().monitors_table)
    assert monitor["interval_seconds"]["N"] == str(365 * 24 * 3600)


def assert_invalid_json(reply: Reply) -> None:
    assert reply.status == 400 and reply.json["code"] == "invalid_json", reply
    assert nothing_stored()


def event_body(event: str) -> str:
    return '{"event":' + event + "}"


@pytest.mark.parametrize(
    "event",
    [
        '{"event_type":"error","message":"boom ' + LONE_SURROGATE + '"}',
        '{"event_type":"error","message":"m","fingerprint":"' + LONE_SURROGATE + '"}',
        '{"event_type":"span","trace_id":"' + LONE_SURROGATE + '","span_id":"s"}',
        '{"event_type":"log","message":"m","context":{"' + LONE_SURROGATE + '":1}}',
    ],
)
def test_a_lone_surrogate_is_invalid_json_on_ingest(ingest, project, event):
    assert_invalid_json(ingest(event_body(event), token=project.token))


def test_a_lone_surrogate_is_invalid_json_in_a_batch_line(batch, project):
    line = '{"event":{"uuid":"' + UUID + '","event_type":"log","message":"' + LONE_SURROGATE + '"}}'
    assert_invalid_json(batch(ndjson(line), token=project.token))


def test_a_lone_surrogate_is_invalid_json_in_a_check_in_slug(check_in, project):
    assert_invalid_json(check_in('{"check_in":{"slug":"' + LONE_SURROGATE + '"}}', token=project.token))


def test_a_lone_surrogate_is_invalid_json_in_a_deployment_release(deploy, project):
    body = json.dumps({"deployment": DEPLOYMENT}).replace('"r1"', '"' + LONE_SURROGATE + '"')
    assert_invalid_json(deploy(body, token=project.token))


def test_a_surrogate_pair_is_a_character_and_accepted(ingest, project):
    reply = ingest(event_body('{"event_type":"log","message":"\\ud83d\\ude00"}'), token=project.token)
    assert reply.status == 201
    assert stored_document(events()[0])["message"] == "\U0001f600"


@pytest.mark.parametrize("header", ["authorization", "x-api-key"])
def test_a_token_header_with_a_lone_surrogate_is_unauthorized(ingest, project, header):
    value = "Bearer logister_\ud800" if header == "authorization" else "logister_\ud800"
    reply = ingest({"event": {"event_type": "log", "message": "m"}}, headers={header: value})
    assert (reply.status, reply.json) == (401, {"error": "Unauthorized"})


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1E999"])
def test_a_non_finite_number_is_invalid_json_everywhere(ingest, batch, check_in, deploy, project, number):
    context = '{"value":' + number + "}"
    assert_invalid_json(
        ingest(event_body('{"event_type":"log","message":"m","context":' + context + "}"), token=project.token)
    )
    line = '{"event":{"uuid":"' + UUID + '","event_type":"log","message":"m","context":' + context + "}}"
    assert_invalid_json(batch(ndjson(line), token=project.token))
    assert_invalid_json(check_in('{"check_in":{"slug":"s","duration_ms":' + number + "}}", token=project.token))
    body = json.dumps({"deployment": {**DEPLOYMENT, "pull_request_number": 0}}).replace(": 0}", ": " + number + "}")
    assert_invalid_json(deploy(body, token=project.token))


def nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth):
        value = {"nested": value}
    return value


def test_a_deeply_nested_deployment_is_refused_by_the_payload_depth_rule(deploy, project):
    reply = deploy({"deployment": {**DEPLOYMENT, "details": nested(990)}}, token=project.token)
    assert reply.status == 413 and reply.json["code"] == "context_depth"
    assert nothing_stored()


def test_a_deployment_nested_within_the_limit_is_stored(deploy, project):
    reply = deploy({"deployment": {**DEPLOYMENT, "details": nested(10)}}, token=project.token)
    assert reply.status == 201


def test_a_check_in_nested_too_deep_to_parse_is_invalid_json(check_in, project):
    body = '{"check_in":{"slug":"s","context":' + '{"a":' * 100_000 + "1" + "}" * 100_000 + "}}"
    assert_invalid_json(check_in(body, token=project.token))


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"])
def test_the_extreme_times_that_convert_are_taken_everywhere(ingest, batch, check_in, deploy, project, value):
    def stored_as(text: str) -> bool:
        return text.startswith(value[:19])

    reply = ingest({"event": {"event_type": "log", "message": "m", "occurred_at": value}}, token=project.token)
    assert reply.status == 201 and stored_as(event_item(project.project_id, reply.json["id"])["occurred_at"]["S"])
    span = {"uuid": UUID, "event_type": "span", "trace_id": "t", "span_id": "s", "started_at": value, "duration_ms": 5}
    assert batch(ndjson({"event": span}), token=project.token).status == 202
    [stored_span] = span_items()
    assert stored_as(stored_span["started_at"]["S"])
    assert check_in({"check_in": {"slug": "nightly", "occurred_at": value}}, token=project.token).status == 201
    assert deploy({"deployment": {**DEPLOYMENT, "deployed_at": value}}, token=project.token).status == 201
    [deployment] = all_items(get_settings().deployments_table)
    assert stored_as(deployment["deployed_at"]["S"])
