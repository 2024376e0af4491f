"""context.telemetry_evidence, as Logister's TelemetryEvidenceNormalizer writes it (issue 15, parity point 5)."""

from datetime import UTC, datetime

from logister_common.contract.normalization import Event, normalize

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
RECEIVED = "2026-11-27T12:00:00.000000Z"
SERVER = {"owner": "server", "normalizer": "TelemetryEvidenceNormalizer", "sensitive_key_filter_applied": True}


def event(**fields) -> Event:
    record = normalize(
        {"event_type": "error", "message": "m", **fields}, project_id="p1", default_environment="production", now=NOW
    )
    assert isinstance(record, Event)
    return record


def test_a_plain_api_event_is_received_only_with_the_received_time():
    record = event()
    assert record.context["telemetry_evidence"] == {
        "schema_version": 1,
        "source": "api",
        "capture_mode": "api",
        "evidence_kind": "event_payload",
        "identity_scope": "occurrence",
        "fatality": "unknown",
        "time": {"precision": "received_only", "received_at": RECEIVED},
        "normalization": SERVER,
    }
    assert record.occurred_at == NOW


def test_a_client_occurred_at_is_exact():
    record = event(occurred_at="2026-11-27T11:59:58.5+01:00")
    assert record.context["telemetry_evidence"]["time"] == {
        "precision": "exact",
        "occurred_at": "2026-11-27T10:59:58.500000Z",
        "received_at": RECEIVED,
    }
    assert record.occurred_at == datetime(2026, 11, 27, 10, 59, 58, 500000, tzinfo=UTC)


def test_a_reporting_period_is_kept_and_its_end_is_the_occurred_at():
    period = {"start": "2026-11-26T00:00:00Z", "end": "2026-11-27T00:00:00Z"}
    record = event(evidence={"source": "App Store-Connect", "reporting_period": period})
    evidence = record.context["telemetry_evidence"]
    assert evidence["time"] == {
        "precision": "reporting_interval",
        "reporting_start": "2026-11-26T00:00:00.000000Z",
        "reporting_end": "2026-11-27T00:00:00.000000Z",
        "received_at": RECEIVED,
    }
    assert record.occurred_at == datetime(2026, 11, 27, tzinfo=UTC)
    # Logister's tokens: lowercased, spaces and dashes as underscores; an aggregate source counts intervals.
    assert (evidence["source"], evidence["identity_scope"], evidence["evidence_kind"]) == (
        "app_store_connect",
        "interval_aggregate",
        "aggregate_counter",
    )


def test_a_backwards_reporting_period_is_dropped():
    diagnostic = {"reporting_start": "2026-11-28T00:00:00Z", "reporting_end": "2026-11-27T00:00:00Z"}
    record = event(context={"diagnostic": diagnostic})
    assert record.context["telemetry_evidence"]["time"] == {"precision": "received_only", "received_at": RECEIVED}
    assert record.occurred_at == NOW


def test_only_logisters_reporting_keys_count():
    """Logister reads no `begin` key but the diagnostic's time_stamp_begin and timestamp_begin."""
    record = event(context={"evidence": {"reporting_period": {"begin": "2026-11-26T00:00:00Z"}}})
    assert record.context["telemetry_evidence"]["time"]["precision"] == "received_only"
    assert record.occurred_at == NOW
    record = event(context={"diagnostic": {"timestamp_begin": "2026-11-26T00:00:00Z"}})
    assert record.context["telemetry_evidence"]["time"]["reporting_start"] == "2026-11-26T00:00:00.000000Z"
    assert record.occurred_at == datetime(2026, 11, 26, tzinfo=UTC)


def test_a_client_sent_telemetry_evidence_is_replaced():
    forged = {"schema_version": 9, "source": "forged", "time": {"precision": "exact"}}
    record = event(context={"telemetry_evidence": forged})
    evidence = record.context["telemetry_evidence"]
    assert (evidence["schema_version"], evidence["source"], evidence["time"]["precision"]) == (
        1,
        "api",
        "received_only",
    )


def test_mobile_crash_facets_and_producer():
    record = event(
        context={
            "platform": "ios",
            "sdk": {"name": " logister-ios ", "version": 3},
            "error": {"fatal": True, "mechanism": "Native Crash"},
            "evidence": {"producer": {"decoder_version": "d1"}},
        }
    )
    evidence = record.context["telemetry_evidence"]
    assert (evidence["source"], evidence["kind"], evidence["evidence_kind"], evidence["fatality"]) == (
        "sdk",
        "native_crash",
        "crashed_stack",
        "fatal",
    )
    assert evidence["producer"] == {
        "sdk_name": "logister-ios",
        "sdk_version": "3",
        "telemetry_schema_version": 1,  # the mobile default, set before the evidence is written
        "decoder_version": "d1",
    }


def test_an_empty_source_is_unknown_not_the_default():
    """Ruby's `||` stops at an empty string, which then normalizes to nothing."""
    record = event(context={"evidence": {"source": ""}})
    assert record.context["telemetry_evidence"]["source"] == "unknown"
    assert record.context["telemetry_evidence"]["capture_mode"] == "unknown"


def test_a_huge_schema_version_stays_encodable():
    record = event(context={"telemetry_schema_version": "0x" + "f" * 10_000})
    version = record.context["telemetry_evidence"]["producer"]["telemetry_schema_version"]
    assert 0 < version < 10**38
    assert event(context={"telemetry_schema_version": "010"}).context["telemetry_evidence"]["producer"] == {
        "telemetry_schema_version": 8
    }
    assert "producer" not in event(context={"telemetry_schema_version": "-1"}).context["telemetry_evidence"]
