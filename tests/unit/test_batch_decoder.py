import gzip
import json
import tracemalloc

import pytest

from logister_common.contract.batch_lines import batch_id, check_media_type, decode
from logister_common.contract.errors import ApiError

UUID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def lines(*envelopes) -> bytes:
    return "\n".join(e if isinstance(e, str) else json.dumps(e) for e in envelopes).encode()


def error_of(body: bytes, encoding: str | None = None) -> ApiError:
    with pytest.raises(ApiError) as raised:
        decode(body, encoding)
    return raised.value


def event(**fields) -> dict:
    return {"event": {"event_type": "log", "message": "m", "uuid": UUID, **fields}}


def test_gzip_and_plain_ndjson_decode_the_same():
    body = lines(event(), "", "   ", event(uuid="bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee"))
    plain = decode(body, None)
    assert [(line.index, line.line_number) for line in plain] == [(0, 1), (1, 4)]
    assert [line.uuid for line in decode(gzip.compress(body), "gzip")] == [line.uuid for line in plain]
    assert decode(body, "identity")[0].uuid == UUID


@pytest.mark.parametrize("encoding", ["br", "br, gzip", "gzip, identity", "deflate"])
def test_unsupported_encodings(encoding):
    error = error_of(lines(event()), encoding)
    assert (error.status, error.body["code"]) == (415, "unsupported_encoding")


def test_media_types():
    check_media_type({"content-type": "application/x-ndjson; charset=utf-8"})
    check_media_type({"content-type": "Application/NDJSON"})
    with pytest.raises(ApiError) as raised:
        check_media_type({"content-type": "application/json"})
    assert raised.value.status == 415
    assert raised.value.body == {
        "error": "Batch ingest requires application/x-ndjson",
        "code": "unsupported_content_type",
    }


def test_decoder_errors_carry_codes_and_line_numbers():
    assert error_of(b"not-gzip", "gzip").body["code"] == "invalid_gzip"
    assert error_of(b"[]").body["code"] == "invalid_envelope"
    missing = error_of(lines({"payload": {}}))
    assert missing.body["code"] == "missing_event" and "line 1" in missing.body["error"]
    assert error_of(lines({"event": []})).body["code"] == "missing_event"
    assert error_of(lines({"EVENT": event()["event"]})).body["code"] == "missing_event"
    assert error_of(lines({"event": {"event_type": "log", "message": "m"}})).body["code"] == "missing_identity"
    assert error_of(lines(event(uuid="   "))).body["code"] == "missing_identity"
    assert error_of(lines({"event": {"event_id": "invalid"}})).body["code"] == "invalid_identity"
    conflicting = event(event_id="bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee")
    assert error_of(lines(conflicting)).body["code"] == "conflicting_identity"
    assert error_of(b"\n\n").body["code"] == "empty_batch"
    bad = error_of(lines(event(), "{not json"))
    assert bad.body["code"] == "invalid_json"
    assert bad.body["error"].startswith("telemetry batch line 2 is invalid JSON: ")


def test_event_id_only_and_case_insensitive_identity():
    [line] = decode(lines({"event": {"eventId": UUID.upper(), "event_type": "log", "message": "m"}}), None)
    assert line.uuid == UUID


def test_at_most_100_events():
    body = lines(*[event(uuid=f"{i:08x}-bbbb-cccc-dddd-eeeeeeeeeeee") for i in range(101)])
    error = error_of(body)
    assert (error.status, error.body) == (413, {"error": "telemetry batch exceeds 100 events", "code": "event_count"})
    assert len(decode(lines(*[event()] * 100), None)) == 100


def test_compressed_size_is_capped_at_2_mib():
    error = error_of(b"x" * (2 * 1024 * 1024 + 1))
    assert error.body == {"error": "telemetry batch exceeds 2097152 bytes", "code": "compressed_bytes"}


def test_a_gzip_bomb_is_refused_without_expanding_it():
    bomb = gzip.compress(b" " * (200 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 300_000
    tracemalloc.start()
    error = error_of(bomb, "gzip")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (error.status, error.body["code"]) == (413, "decompressed_bytes")
    assert peak < 40 * 1024 * 1024  # the 8 MiB cap plus working buffers, never the 200 MiB


def test_per_event_payload_limits_apply():
    error = error_of(lines(event(message="x" * 70_000)))
    assert (error.status, error.body["code"], error.body["actual"]) == (413, "message_bytes", 70_000)


def test_batch_id_is_truncated_and_blank_is_absent():
    assert batch_id({"x-logister-batch-id": "b" * 200}) == "b" * 128
    assert batch_id({"x-logister-batch-id": "  "}) is None
    assert batch_id({}) is None
