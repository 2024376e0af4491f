from datetime import UTC, datetime

import pytest

from logister_common.contract.check_in_fields import check_in_event, check_in_fields
from logister_common.contract.errors import BadRequest, Unprocessable

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def event_of(document):
    return check_in_event(check_in_fields(document), default_environment="test", now=NOW)


def test_enveloped_check_in_with_defaults():
    event, check_in = event_of({"check_in": {"slug": " nightly ", "expected_interval_seconds": "600"}})
    assert (event.event_type, event.message, event.level) == ("check_in", "nightly", "info")
    evidence = event.context.pop("telemetry_evidence")  # the server's, as Logister writes it on this route
    assert evidence["time"]["precision"] == "exact"
    assert event.context == {
        "environment": "test",
        "check_in_slug": "nightly",
        "check_in_status": "ok",
        "expected_interval_seconds": 600,
    }
    assert event.occurred_at == NOW
    assert (check_in.slug, check_in.status, check_in.interval_seconds, check_in.environment) == (
        "nightly",
        "ok",
        600,
        "test",
    )


def test_level_is_error_only_for_exactly_error():
    assert event_of({"check_in": {"slug": "s", "status": "error"}})[0].level == "error"
    assert event_of({"check_in": {"slug": "s", "status": "ERROR"}})[0].level == "info"
    assert event_of({"check_in": {"slug": "s", "status": "in_progress"}})[0].context["check_in_status"] == "in_progress"


def test_uppercase_and_unenveloped_bodies():
    event, _ = event_of(
        {"CHECK_IN": {"SLUG": "a", "STATUS": "ok", "ENVIRONMENT": "prod", "EXPECTED_INTERVAL_SECONDS": 60}}
    )
    assert (event.message, event.context["environment"], event.context["expected_interval_seconds"]) == (
        "a",
        "prod",
        60,
    )
    assert event_of({"slug": "bare", "status": "ok"})[0].message == "bare"


def test_unknown_keys_and_non_scalar_values_are_ignored():
    event, _ = event_of(
        {"check_in": {"slug": "js", "checked_at": "2026-01-01T00:00:00Z", "context": {"a": 1}, "release": {"x": 1}}}
    )
    assert event.occurred_at == NOW
    assert "release" not in event.context


def test_duration_and_optional_fields():
    event, _ = event_of(
        {"check_in": {"slug": "s", "duration_ms": "1820.5", "release": " 1.0 ", "trace_id": "t", "request_id": " r "}}
    )
    assert event.context["duration_ms"] == 1820.5
    assert (event.context["release"], event.context["trace_id"], event.context["request_id"]) == ("1.0", "t", "r")
    assert "duration_ms" not in event_of({"check_in": {"slug": "s", "duration_ms": 0}})[0].context


@pytest.mark.parametrize("document", [{"payload": {"slug": "x"}}, {}, [], "x", {"check_in": "x"}, None])
def test_no_qualifying_candidate_is_400(document):
    with pytest.raises(BadRequest) as raised:
        check_in_fields(document)
    assert raised.value.body == {"error": "param is missing or the value is empty or invalid: check_in"}


def test_blank_slug_and_invalid_uuid_are_422():
    with pytest.raises(Unprocessable) as raised:
        event_of({"check_in": {"slug": "  ", "status": "ok"}})
    assert raised.value.body == {"errors": ["Message can't be blank"]}
    with pytest.raises(Unprocessable) as raised:
        event_of({"check_in": {"slug": "s", "uuid": "nope"}})
    assert raised.value.body == {"errors": ["Uuid is invalid"]}


def test_event_id_is_used_when_uuid_is_absent():
    event, check_in = event_of({"check_in": {"slug": "s", "event_id": "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"}})
    assert event.uuid == check_in.event_id == "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
