import pytest

from logister_common.contract.payload_limits import PayloadLimitExceeded, check_event


def nested(levels: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(levels):
        value = {"nested": value}
    return value


def code_of(event: dict) -> PayloadLimitExceeded:
    with pytest.raises(PayloadLimitExceeded) as raised:
        check_event(event)
    return raised.value


def test_message_over_65536_bytes_is_checked_first():
    error = code_of({"message": "x" * 65_537, "context": nested(40)})
    assert error.body == {
        "error": "telemetry payload message bytes exceeds 65536",
        "code": "message_bytes",
        "limit": 65536,
        "actual": 65537,
    }


def test_multibyte_message_counts_bytes():
    assert code_of({"message": "é" * 32_769}).body["actual"] == 65_538


def test_seventeen_levels_under_context_fail_and_fifteen_pass():
    assert code_of({"message": "m", "context": nested(17)}).body["code"] == "context_depth"
    check_event({"message": "m", "context": nested(14)})


def test_array_of_1001_elements_fails():
    error = code_of({"message": "m", "context": {"items": list(range(1001))}})
    assert (error.body["code"], error.body["limit"], error.body["actual"]) == ("array_length", 1000, 1001)
    check_event({"message": "m", "context": {"items": list(range(1000))}})


def test_more_than_512_keys_in_all_hashes_fails():
    context = {f"k{i}": i for i in range(510)}
    check_event({"message": "m", "context": context})  # 2 top-level keys + 510
    assert code_of({"message": "m", "context": {**context, "one_more": 1}}).body["code"] == "context_keys"


def test_string_over_262144_bytes_fails():
    error = code_of({"message": "m", "context": {"blob": "x" * 262_145}})
    assert error.body["code"] == "string_bytes"
    assert error.body["error"] == "telemetry payload string bytes exceeds 262144"


def test_estimated_event_size_over_a_mebibyte_fails():
    context = {f"k{i}": "x" * 260_000 for i in range(5)}
    error = code_of({"message": "m", "context": context})
    assert error.body["code"] == "event_bytes"
    assert error.body["limit"] == 1_048_576
    assert error.body["actual"] > 1_048_576
