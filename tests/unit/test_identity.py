import re

import pytest

from logister_common.contract.event_ids import InvalidUuid, client_uuid, legacy_id, span_uuid


def test_client_uuid_is_stripped_lowercased_and_nibbles_are_not_checked():
    assert client_uuid({"uuid": " AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE "}) == "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def test_blank_uuid_falls_back_to_event_id():
    assert client_uuid({"uuid": "  ", "event_id": "cccccccc-dddd-eeee-ffff-aaaaaaaaaaaa"}) == (
        "cccccccc-dddd-eeee-ffff-aaaaaaaaaaaa"
    )
    assert client_uuid({}) is None


@pytest.mark.parametrize("value", ["not-a-uuid", 123, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeeeX"])
def test_invalid_uuid(value):
    with pytest.raises(InvalidUuid):
        client_uuid({"uuid": value})


def test_span_uuid_is_deterministic_and_shaped_like_v5():
    first = span_uuid("p1", "trace", "span")
    assert first == span_uuid("p1", "trace", "span")
    assert first != span_uuid("p2", "trace", "span")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first)


def test_span_uuid_matches_logisters_recipe():
    # sha256("logister:span:1:t:s")[:32] with hex[12]=5 and the variant nibble forced to 8-b.
    import hashlib

    raw = hashlib.sha256(b"logister:span:1:t:s").hexdigest()[:32]
    variant = "89ab"[int(raw[16], 16) & 3]
    expected = f"{raw[:8]}-{raw[8:12]}-5{raw[13:16]}-{variant}{raw[17:20]}-{raw[20:32]}"
    assert span_uuid("1", "t", "s") == expected


def test_legacy_id_is_a_javascript_safe_integer_from_the_uuid():
    value = legacy_id("ffffffff-ffff-ffff-ffff-ffffffffffff")
    assert value == 2**52 - 1
    assert legacy_id("00000000-0000-4000-8000-000000000001") == 4
