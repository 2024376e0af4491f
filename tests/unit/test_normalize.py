from datetime import UTC, datetime, timedelta

import pytest

from logister_common.contract.errors import Unprocessable
from logister_common.contract.normalization import Event, Span, normalize

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def event(raw: dict, default_environment: str = "production") -> Event:
    record = normalize(raw, project_id="p1", default_environment=default_environment, now=NOW)
    assert isinstance(record, Event)
    return record


def span(raw: dict) -> Span:
    record = normalize({"event_type": "span", **raw}, project_id="p1", default_environment="production", now=NOW)
    assert isinstance(record, Span)
    return record


def errors_of(raw: dict) -> list[str]:
    with pytest.raises(Unprocessable) as raised:
        normalize(raw, project_id="p1", default_environment="production", now=NOW)
    return raised.value.body["errors"]


def test_transaction_top_level_fields_are_copied_into_context():
    record = event(
        {
            "event_type": "transaction",
            "message": "GET /",
            "duration_ms": 245.7,
            "transaction_name": "GET /",
            "trace_id": "t1",
            "request_id": "r1",
            "release": "1.0",
            "status": 200,
            "context": {"route": "/"},
        }
    )
    assert record.context.pop("telemetry_evidence")["time"] == {
        "precision": "received_only",
        "received_at": "2026-11-27T12:00:00.000000Z",
    }
    assert record.context == {
        "route": "/",
        "environment": "production",
        "release": "1.0",
        "trace_id": "t1",
        "request_id": "r1",
        "transaction_name": "GET /",
        "duration_ms": 245.7,
        "transaction_status": 200,
    }


def test_status_becomes_check_in_status_for_check_ins_and_nothing_for_others():
    assert event({"event_type": "check_in", "message": "m", "status": "ok"}).context["check_in_status"] == "ok"
    record = event({"event_type": "log", "message": "m", "status": "ok"})
    assert "status" not in record.context
    assert "transaction_status" not in record.context
    assert "check_in_status" not in record.context


def test_context_values_win_and_only_present_values_are_copied():
    record = event(
        {
            "event_type": "error",
            "message": "m",
            "release": "top",
            "handled": False,
            "duration_ms": 0,
            "branch": "  ",
            "context": {"release": "ctx"},
        }
    )
    assert record.context["release"] == "ctx"
    assert "handled" not in record.context
    assert record.context["duration_ms"] == 0
    assert "branch" not in record.context


def test_an_empty_string_source_blocks_later_sources():
    assert "commit_sha" not in event({"event_type": "log", "message": "m", "commit_sha": "", "sha": "abc1234"}).context
    assert event({"event_type": "log", "message": "m", "sha": "abc1234"}).context["commit_sha"] == "abc1234"
    assert event({"event_type": "log", "message": "m", "monitorSlug": "nightly"}).context["check_in_slug"] == "nightly"


def test_environment_defaults_to_the_server_environment():
    assert event({"event_type": "log", "message": "m"}, default_environment="test").context["environment"] == "test"
    assert event({"event_type": "log", "message": "m", "environment": "staging"}).context["environment"] == "staging"


def test_other_top_level_keys_are_dropped_for_events():
    record = event({"event_type": "log", "message": "m", "service": "api", "kind": "db", "tags": {"a": 1}})
    assert set(record.context) == {"environment", "telemetry_evidence"}


def test_evidence_keeps_only_allow_listed_keys():
    record = event(
        {
            "event_type": "log",
            "message": "m",
            "evidence": {
                "source": "sdk",
                "secret": "x",
                "reporting_period": {"start": "a", "end": "b", "other": 1},
                "producer": {"sdk_name": "n", "extra": 1},
            },
        }
    )
    assert record.context["evidence"] == {
        "source": "sdk",
        "reporting_period": {"start": "a", "end": "b"},
        "producer": {"sdk_name": "n"},
    }


def test_device_identifiers_and_client_telemetry_evidence_are_removed():
    record = event(
        {
            "event_type": "error",
            "message": "m",
            "context": {
                "device": {"IMEI": "1", "advertising_id": "2", "model": "x"},
                "items": [{"Serial": "3", "ok": 1}],
                "telemetry_evidence": {"forged": True},
            },
        }
    )
    assert record.context["device"] == {"model": "x"}
    assert record.context["items"] == [{"ok": 1}]
    assert "forged" not in record.context["telemetry_evidence"]
    assert record.context["telemetry_evidence"]["normalization"]["owner"] == "server"


def test_uppercase_keys_from_the_logister_spec():
    record = event(
        {
            "EVENT_TYPE": "error",
            "LEVEL": "error",
            "MESSAGE": "boom",
            "FINGERPRINT": "fp",
            "OCCURRED_AT": "2026-01-01T00:00:00Z",
            "CONTEXT": {"ENVIRONMENT": "prod", "SERVICE": "api", "TRACE": {"TRACEID": "abc"}},
        }
    )
    assert (record.level, record.fingerprint, record.message) == ("error", "fp", "boom")
    assert record.context["environment"] == "prod"
    assert record.context["service"] == "api"
    assert record.context["trace"]["traceid"] == "abc"
    assert record.occurred_at == datetime(2026, 1, 1, tzinfo=UTC)


def test_validation_messages():
    assert errors_of({"event_type": "error"}) == ["Message can't be blank"]
    assert errors_of({"event_type": "ERROR", "message": "m"}) == ["Event type is not included in the list"]
    assert errors_of({"message": "m"}) == ["Event type is not included in the list"]
    assert errors_of({"event_type": "log", "message": "   "}) == ["Message can't be blank"]
    assert errors_of({"event_type": "log", "message": "m", "uuid": "not-a-uuid"}) == ["Uuid is invalid"]


def test_occurred_at_fallbacks():
    assert event({"event_type": "log", "message": "m", "occurred_at": "garbage"}).occurred_at == NOW
    assert event({"event_type": "log", "message": "m", "occurred_at": "2026-01-01 10:00:00"}).occurred_at == datetime(
        2026, 1, 1, 10, tzinfo=UTC
    )
    assert event({"event_type": "log", "message": "m", "occurred_at": "2026-01-01T10:00:00+02:00"}).occurred_at == (
        datetime(2026, 1, 1, 8, tzinfo=UTC)
    )
    reported = {"diagnostic": {"reporting_period": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z"}}}
    assert event({"event_type": "log", "message": "m", "context": reported}).occurred_at == datetime(
        2026, 1, 2, tzinfo=UTC
    )
    backwards = {"diagnostic": {"reporting_start": "2026-01-03T00:00:00Z", "reporting_end": "2026-01-02T00:00:00Z"}}
    assert event({"event_type": "log", "message": "m", "context": backwards}).occurred_at == NOW


def test_span_fields_from_the_python_sdk_shape():
    record = span(
        {
            "uuid": "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE",
            "name": "GET /users",
            "message": "GET /users",
            "trace_id": "t1",
            "span_id": "s1",
            "parent_span_id": "s0",
            "kind": "server",
            "status": "ok",
            "duration_ms": 12.5,
            "started_at": "2026-11-27T11:00:00Z",
            "request_id": "r1",
            "context": {"span_kind": "server", "name": "GET /users"},
        }
    )
    assert record.uuid == "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    assert (record.trace_id, record.span_id, record.parent_span_id) == ("t1", "s1", "s0")
    assert (record.name, record.kind, record.status, record.duration_ms) == ("GET /users", "server", "ok", 12.5)
    assert record.ended_at - record.started_at == timedelta(milliseconds=12.5)
    assert record.context["trace_id"] == "t1"
    assert record.context["request_id"] == "r1"
    assert record.context["environment"] == "production"


def test_span_defaults_and_coercions():
    record = span({"context": {"trace": {"traceId": "t", "spanId": "s"}}, "kind": "Unknown", "duration_ms": "abc"})
    assert (record.name, record.kind, record.duration_ms, record.started_at) == ("span", "internal", 0.0, NOW)
    assert record.context["span_kind"] == "Unknown"
    assert not record.uuid_from_client
    assert record.uuid == span({"context": {"traceId": "t", "spanId": "s"}}).uuid


def test_span_kind_is_underscored_and_negative_durations_become_zero():
    record = span({"trace_id": "t", "span_id": "s", "spanKind": "DB", "duration_ms": -5})
    assert record.kind == "db"
    assert record.duration_ms == 0.0


def test_span_validation():
    assert errors_of({"event_type": "span"}) == ["Trace can't be blank", "Span can't be blank"]
    assert errors_of({"event_type": "span", "trace_id": "t", "span_id": "s", "started_at": "garbage"}) == [
        "Started at can't be blank"
    ]
    assert span({"trace_id": "t", "span_id": "s", "started_at": "2026-02-30T00:00:00Z"}).started_at == NOW
    assert errors_of({"event_type": "span", "trace_id": "t" * 513, "span_id": "s"}) == [
        "Trace is too long (maximum is 512 bytes)"
    ]


def test_absurd_duration_does_not_overflow():
    record = span({"trace_id": "t", "span_id": "s", "duration_ms": 1e300})
    assert record.ended_at.year == 9999
