"""POST /api/v1/ingest_events through the real handler against emulated DynamoDB (contract §11)."""

from __future__ import annotations

import os

import pytest

from logister_common.operator import provisioning
from logister_common.runtime.settings import get_settings
from logister_common.storage import clients
from tests.support import all_items, event_item, stored_document

ERROR_EVENT = {
    "event": {
        "event_type": "error",
        "level": "error",
        "message": "NoMethodError: undefined method\n  at app.rb:1",
        "context": {"exception": {"class": "NoMethodError", "backtrace": ["a", ["b", {"deep": True}]]}},
    }
}
UUID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def test_valid_error_event_is_stored_with_its_context(ingest, project):
    reply = ingest(ERROR_EVENT, token=project.token)
    assert reply.status == 201, reply
    assert reply.json["status"] == "accepted"
    assert set(reply.json) == {"id", "legacy_id", "status"}
    assert isinstance(reply.json["legacy_id"], int)
    item = event_item(project.project_id, reply.json["id"])
    document = stored_document(item)
    assert document["context"]["exception"]["backtrace"] == ["a", ["b", {"deep": True}]]
    assert document["context"]["environment"] == "test"
    assert item["event_type"]["S"] == "error"
    assert reply.headers["content-type"].startswith("application/json")


def test_client_uuid_is_idempotent_and_counts_one_occurrence(ingest, project, deliver_streams):
    body = {"event": {**ERROR_EVENT["event"], "uuid": UUID.upper()}}
    first = ingest(body, token=project.token)
    second = ingest(body, token=project.token)
    deliver_streams()
    assert first.status == 201 and first.json["id"] == UUID
    assert second.status == 200
    assert second.json == {"id": UUID, "legacy_id": first.json["legacy_id"], "status": "accepted", "duplicate": True}
    groups = all_items(get_settings().error_groups_table)
    assert [group["occurrences"]["N"] for group in groups] == ["1"]


def test_duplicate_wins_even_when_the_event_type_differs(ingest, project):
    ingest({"event": {"event_type": "error", "message": "m", "uuid": UUID}}, token=project.token)
    reply = ingest({"event": {"event_type": "log", "message": "other", "uuid": UUID}}, token=project.token)
    assert reply.status == 200 and reply.json["duplicate"] is True
    assert stored_document(event_item(project.project_id, UUID))["message"] == "m"


def test_uuid_scope_is_per_project(ingest, project):
    other = provisioning.issue_token(provisioning.create_project("other"))
    body = {"event": {"event_type": "log", "message": "m", "uuid": UUID}}
    assert ingest(body, token=project.token).status == 201
    assert ingest(body, token=other.token).status == 201


def test_error_events_group_by_first_message_line(ingest, project, deliver_streams):
    for text in ("Boom\nline 2", "  Boom  \nline 3"):
        assert ingest({"event": {"event_type": "error", "message": text}}, token=project.token).status == 201
    ingest({"event": {"event_type": "error", "message": "Other", "fingerprint": "fp-1"}}, token=project.token)
    deliver_streams()
    groups = {group["title"]["S"]: group for group in all_items(get_settings().error_groups_table)}
    assert groups["Boom"]["occurrences"]["N"] == "2"
    assert groups["Boom"]["severity"]["S"] == "error"
    assert groups["Boom"]["stage"]["S"] == "test"
    assert groups["Other"]["fingerprint"]["S"] == "fp-1"


def test_invalid_uuid_is_422_and_stores_nothing(ingest, project):
    reply = ingest({"event": {"event_type": "log", "message": "m", "uuid": "not-a-uuid"}}, token=project.token)
    assert reply.status == 422
    assert reply.json == {"errors": ["Uuid is invalid"]}
    assert all_items(get_settings().events_table) == []


def test_invalid_token_is_401(ingest, project):
    reply = ingest(ERROR_EVENT, token="invalid-token")
    assert reply.status == 401
    assert reply.json == {"error": "Unauthorized"}
    assert reply.headers["x-ratelimit-limit"] == "120"


def test_missing_token_is_401(ingest, project):
    assert ingest(ERROR_EVENT).status == 401


def test_oversized_body_is_413_before_any_credential_lookup(ingest, project, record_calls):
    lookups = record_calls("dynamodb", "GetItem")
    body = b'{"event":{"message":"' + b"x" * (2 * 1024 * 1024) + b'"}}'
    reply = ingest(body, token=project.token)
    assert reply.status == 413
    assert reply.json == {"error": "telemetry request exceeds 2097152 bytes", "code": "request_bytes", "limit": 2097152}
    assert lookups == []


def test_x_api_key_alone_is_accepted(ingest, project):
    assert ingest(ERROR_EVENT, headers={"X-Api-Key": project.token}).status == 201


def test_json_suffix_route(ingest, project):
    assert ingest(ERROR_EVENT, token=project.token, path="/api/v1/ingest_events.json").status == 201


def test_accepted_limit_of_one(ingest, project, settings_env):
    settings_env(LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS="1")
    first = ingest(ERROR_EVENT, token=project.token)
    second = ingest(ERROR_EVENT, token=project.token)
    assert first.status == 201
    assert (first.headers["x-ratelimit-limit"], first.headers["x-ratelimit-remaining"]) == ("1", "0")
    assert "retry-after" not in first.headers
    assert second.status == 429
    assert second.json["error"] == "Rate limit exceeded"
    assert (second.json["limit"], second.json["window_seconds"]) == (1, 60)
    assert 1 <= second.json["retry_after"] <= 60
    assert second.headers["retry-after"] == str(second.json["retry_after"])
    assert second.headers["x-ratelimit-remaining"] == "0"
    assert int(second.headers["x-ratelimit-reset"]) % 60 == 0


def test_project_override_wins_over_the_global_limit(ingest, project, settings_env):
    settings_env(LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS="10")
    provisioning.set_rate_limits(project.project_id, {"requests": 1})
    assert ingest(ERROR_EVENT, token=project.token).headers["x-ratelimit-limit"] == "1"
    assert ingest(ERROR_EVENT, token=project.token).status == 429


def test_auth_failure_limit_of_one(ingest, project, settings_env):
    settings_env(LOGISTER_PUBLIC_API_AUTH_FAILURE_RATE_LIMIT_REQUESTS="1")
    assert ingest(ERROR_EVENT, token="bad").status == 401
    reply = ingest(ERROR_EVENT, token="bad")
    assert reply.status == 429 and reply.json["limit"] == 1


def test_revoked_token_uses_its_projects_auth_failure_override(ingest, project):
    provisioning.set_rate_limits(project.project_id, {"auth_failures": 1})
    provisioning.revoke_token(project.token)
    first = ingest(ERROR_EVENT, token=project.token)
    assert first.status == 401 and first.headers["x-ratelimit-limit"] == "1"
    second = ingest(ERROR_EVENT, token=project.token)
    assert second.status == 429 and second.json["limit"] == 1


def test_every_token_of_an_archived_project_is_refused(ingest, project):
    second = provisioning.issue_token(project.project_id, name="second")
    provisioning.archive_project(project.project_id)
    assert ingest(ERROR_EVENT, token=project.token).status == 401
    assert ingest(ERROR_EVENT, token=second.token).status == 401
    with pytest.raises(LookupError):
        provisioning.issue_token(project.project_id)


def test_pre_auth_limit_answers_429_without_a_credential_lookup(ingest, project, settings_env, record_calls):
    settings_env(LOGISTER_PUBLIC_API_PRE_AUTH_RATE_LIMIT_REQUESTS="1")
    assert ingest(ERROR_EVENT, token=project.token).status == 201
    lookups = record_calls("dynamodb", "GetItem")
    reply = ingest(ERROR_EVENT, token=project.token)
    assert reply.status == 429
    assert set(reply.json) >= {"error", "limit"}
    assert {"retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(reply.headers)
    assert lookups == []
    # Another IP has its own pre-auth window.
    assert ingest(ERROR_EVENT, token=project.token, source_ip="198.51.100.1").status == 201


def test_forwarded_headers_do_not_change_the_client_ip(ingest, project, settings_env):
    settings_env(LOGISTER_PUBLIC_API_PRE_AUTH_RATE_LIMIT_REQUESTS="1")
    assert ingest(ERROR_EVENT, token=project.token).status == 201
    spoofed = ingest(ERROR_EVENT, token=project.token, headers={"X-Forwarded-For": "10.0.0.9", "X-Real-Ip": "10.0.0.9"})
    assert spoofed.status == 429


def test_transaction_top_level_fields_are_copied_into_context(ingest, project):
    body = {
        "event": {
            "event_type": "transaction",
            "message": "GET /users",
            "duration_ms": 245.7,
            "transaction_name": "GET /users",
            "trace_id": "trace-1",
            "request_id": "req-1",
            "release": "1.2.3",
            "context": {"status": 200},
        }
    }
    reply = ingest(body, token=project.token)
    context = stored_document(event_item(project.project_id, reply.json["id"]))["context"]
    assert {key: context[key] for key in ("duration_ms", "transaction_name", "trace_id", "request_id", "release")} == {
        "duration_ms": 245.7,
        "transaction_name": "GET /users",
        "trace_id": "trace-1",
        "request_id": "req-1",
        "release": "1.2.3",
    }


def test_span_is_stored_in_the_trace(ingest, project):
    body = {
        "event": {
            "event_type": "span",
            "name": "SELECT users",
            "kind": "db",
            "trace_id": "trace-9",
            "span_id": "span-db",
            "parent_span_id": "span-root",
            "duration_ms": 40.2,
            "started_at": "2026-11-27T12:00:00Z",
            "request_id": "req-9",
        }
    }
    reply = ingest(body, token=project.token)
    assert reply.status == 201
    assert reply.json["type"] == "span" and set(reply.json) == {"id", "legacy_id", "status", "type"}
    spans = clients.dynamodb().query(
        TableName=get_settings().events_table,
        IndexName="traces",
        KeyConditionExpression="trace_key = :t",
        ExpressionAttributeValues={":t": {"S": f"{project.project_id}#trace-9"}},
    )["Items"]
    spans = [event_item(project.project_id, span["uuid"]["S"]) for span in spans]
    assert len(spans) == 1
    span = spans[0]
    assert (span["span_id"]["S"], span["kind"]["S"], span["duration_ms"]["N"]) == ("span-db", "db", "40.2")
    assert span["parent_span_id"]["S"] == "span-root"
    assert span["ended_at"]["S"] == "2026-11-27T12:00:00.040200Z"
    context = stored_document(span)["context"]
    assert (context["trace_id"], context["request_id"]) == ("trace-9", "req-9")


def test_span_retries_are_duplicates_with_the_original_uuid(ingest, project):
    span = {"event_type": "span", "trace_id": "t", "span_id": "s", "duration_ms": 1}
    first = ingest({"event": span}, token=project.token)
    again = ingest({"event": span}, token=project.token)
    new_uuid = ingest({"event": {**span, "uuid": UUID}}, token=project.token)
    assert first.status == 201
    assert again.status == 200 and again.json["duplicate"] is True and again.json["type"] == "span"
    assert again.json["id"] == first.json["id"]
    assert new_uuid.status == 200 and new_uuid.json["id"] == first.json["id"]


def test_a_uuid_serves_one_signal_only(ingest, project):
    span = {"event_type": "span", "trace_id": "t", "span_id": "s", "uuid": UUID}
    assert ingest({"event": span}, token=project.token).status == 201
    reply = ingest({"event": {"event_type": "log", "message": "m", "uuid": UUID}}, token=project.token)
    assert reply.status == 422
    assert reply.json == {"errors": ["Uuid has already been used for another telemetry signal"]}
    other = "bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee"
    assert ingest({"event": {"event_type": "log", "message": "m", "uuid": other}}, token=project.token).status == 201
    reply = ingest({"event": {**span, "span_id": "s2", "uuid": other}}, token=project.token)
    assert reply.status == 422


def test_uppercase_envelope_and_keys(ingest, project):
    body = {
        "EVENT": {
            "EVENT_TYPE": "error",
            "LEVEL": "error",
            "MESSAGE": "Boom",
            "FINGERPRINT": "boom",
            "OCCURRED_AT": "2026-11-27T10:00:00Z",
            "CONTEXT": {
                "ENVIRONMENT": "production",
                "SERVICE": "api",
                "TRANSACTION_NAME": "GET /",
                "DURATION_MS": 12,
                "TRACE": {"TRACEID": "abc"},
            },
        }
    }
    reply = ingest(body, token=project.token)
    assert reply.status == 201
    context = stored_document(event_item(project.project_id, reply.json["id"]))["context"]
    assert (context["environment"], context["service"], context["transaction_name"], context["duration_ms"]) == (
        "production",
        "api",
        "GET /",
        12,
    )
    assert context["trace"]["traceid"] == "abc"


@pytest.mark.parametrize(
    "body",
    [{"payload": {"event_type": "log"}}, {"event": {}}, {"event": "text"}, {"event": [1]}, [{"event": {}}], "null"],
)
def test_missing_or_malformed_envelope_is_400(ingest, project, body):
    reply = ingest(body, token=project.token)
    assert reply.status == 400
    assert reply.json == {"error": "param is missing or the value is empty or invalid: event"}
    assert reply.headers["x-ratelimit-limit"] == "1200"


def test_invalid_json_is_400(ingest, project):
    for body in ('{"event":', '{"event": NaN}', b"\xff\xfe", "[" * 100_000):
        reply = ingest(body, token=project.token)
        assert reply.status == 400, body[:20]
        assert reply.json["code"] == "invalid_json"


def test_a_non_json_content_type_is_a_missing_envelope(ingest, project):
    reply = ingest(ERROR_EVENT, token=project.token, content_type="application/x-www-form-urlencoded")
    assert reply.status == 400


def test_error_without_message_is_422(ingest, project):
    reply = ingest({"event": {"event_type": "error"}}, token=project.token)
    assert reply.status == 422
    assert "Message can't be blank" in reply.json["errors"]


def test_payload_limits_answer_413_with_rate_limit_headers(ingest, project):
    reply = ingest({"event": {"event_type": "log", "message": "x" * 70_000}}, token=project.token)
    assert reply.status == 413
    assert reply.json == {
        "error": "telemetry payload message bytes exceeds 65536",
        "code": "message_bytes",
        "limit": 65536,
        "actual": 70000,
    }
    assert reply.headers["x-ratelimit-limit"] == "1200"


def test_a_large_incompressible_event_is_stored_whole(ingest, project):
    context = {f"blob{i}": os.urandom(180_000).hex()[:250_000] for i in range(3)}
    reply = ingest({"event": {"event_type": "log", "message": "big", "context": context}}, token=project.token)
    assert reply.status == 201, reply
    item = event_item(project.project_id, reply.json["id"])
    assert "doc_s3" in item
    assert stored_document(item)["context"]["blob2"] == context["blob2"]


def test_a_medium_event_is_compressed_in_the_item(ingest, project):
    context = {"text": "repetitive " * 20_000}
    reply = ingest({"event": {"event_type": "log", "message": "medium", "context": context}}, token=project.token)
    item = event_item(project.project_id, reply.json["id"])
    assert "doc_z" in item
    assert stored_document(item)["context"]["text"] == context["text"]


def test_a_store_failure_answers_503_and_accepts_nothing(ingest, project, inject_fault):
    from botocore.exceptions import ClientError

    inject_fault("PutItem", ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "PutItem"))
    reply = ingest({"event": {"event_type": "log", "message": "m"}}, token=project.token)
    assert reply.status == 503
    assert reply.headers["retry-after"] == "1"
    assert reply.json["code"] == "store_unavailable"
    assert "Traceback" not in reply.raw_body


def test_an_auth_store_failure_answers_503(ingest, project, inject_fault):
    from botocore.exceptions import EndpointConnectionError

    inject_fault("GetItem", EndpointConnectionError(endpoint_url="https://dynamodb"))
    assert ingest(ERROR_EVENT, token=project.token).status == 503


def test_a_counter_store_failure_falls_back_to_this_containers_share_with_headers(ingest, project, inject_fault):
    from botocore.exceptions import ClientError

    error = ClientError({"Error": {"Code": "InternalServerError", "Message": "x"}}, "UpdateItem")
    inject_fault("UpdateItem", error, table=get_settings().rate_limits_table)
    reply = ingest(ERROR_EVENT, token=project.token)
    assert reply.status == 201
    assert reply.headers["x-ratelimit-limit"] == "120"  # 1,200 / 10 expected containers (bounded fail-open)


def test_dynamodb_calls_per_single_event(ingest, project, settings_env, record_calls):
    settings_env(LOGISTER_TOKEN_CACHE_SECONDS="10")
    calls = record_calls("dynamodb")
    ingest({"event": {"event_type": "log", "message": "m"}}, token=project.token)
    # The pre-auth count is buffered (default limit 12,000: written every 12 requests).
    assert calls.operations == ["GetItem", "UpdateItem", "PutItem"]
    calls.clear()
    ingest({"event": {"event_type": "log", "message": "m"}}, token=project.token)
    assert calls.operations == ["UpdateItem", "PutItem"]  # the token's lookup is cached


def test_a_cached_token_is_refused_once_its_cache_entry_expires(ingest, project, settings_env):
    from logister_common.admission import credentials

    settings_env(LOGISTER_TOKEN_CACHE_SECONDS="10")
    assert ingest(ERROR_EVENT, token=project.token).status == 201
    provisioning.revoke_token(project.token)
    assert ingest(ERROR_EVENT, token=project.token).status == 201  # within the documented cache time
    credentials.forget_all()  # what the passing of LOGISTER_TOKEN_CACHE_SECONDS does
    assert ingest(ERROR_EVENT, token=project.token).status == 401


def test_forwarded_headers_do_not_change_the_ip_of_the_auth_failure_limit(ingest, project, settings_env):
    settings_env(LOGISTER_PUBLIC_API_AUTH_FAILURE_RATE_LIMIT_REQUESTS="1")
    assert ingest(ERROR_EVENT, token="bad").status == 401
    spoofed = ingest(ERROR_EVENT, token="bad", headers={"X-Forwarded-For": "10.0.0.9", "Forwarded": "for=10.0.0.9"})
    assert spoofed.status == 429
