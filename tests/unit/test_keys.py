import pytest

from logister_common.contract.key_casing import alias_context, normalize_top_level, underscore


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("eventType", "event_type"),
        ("EVENT_TYPE", "event_type"),
        ("traceID", "trace_id"),
        ("HTTPStatus", "http_status"),
        ("event-type", "event_type"),
        ("TRACEID", "traceid"),
        ("Foo::Bar", "foo/bar"),
        ("a1B", "a1_b"),
        ("already_snake", "already_snake"),
    ],
)
def test_underscore_follows_rails(key, expected):
    assert underscore(key) == expected


def test_top_level_keys_are_replaced_and_the_later_collision_wins():
    assert normalize_top_level({"eventType": "log", "event_type": "error"}) == {"event_type": "error"}
    assert normalize_top_level({"event_type": "error", "EventType": "log"}) == {"event_type": "log"}


def test_context_keeps_originals_and_adds_aliases_recursively():
    assert alias_context({"TRACE": {"TRACEID": "x"}}) == {
        "TRACE": {"TRACEID": "x", "traceid": "x"},
        "trace": {"TRACEID": "x", "traceid": "x"},
    }


def test_explicit_snake_case_key_wins_over_an_alias_whatever_the_order():
    assert alias_context({"traceId": "camel", "trace_id": "snake"})["trace_id"] == "snake"
    assert alias_context({"trace_id": "snake", "traceId": "camel"})["trace_id"] == "snake"


def test_hashes_inside_arrays_are_aliased():
    assert alias_context({"dependencyCalls": [{"durationMs": 3}, "x", [{"spanId": 1}]]}) == {
        "dependencyCalls": [{"durationMs": 3, "duration_ms": 3}, "x", [{"spanId": 1, "span_id": 1}]],
        "dependency_calls": [{"durationMs": 3, "duration_ms": 3}, "x", [{"spanId": 1, "span_id": 1}]],
    }
