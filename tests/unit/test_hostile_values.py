"""The contract's parsers against crafted values (issue 13): each answers what the contract says for
an unusable value, or refuses with the contract's error, never another exception."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rich.markup import escape

from admin.output import parse_time as parse_time_for_display
from admin.output import printable, text, when
from admin.waterfall import layout
from logister_common.admission.tokens import digest
from logister_common.contract.batch_lines import decode
from logister_common.contract.check_in_fields import MAX_INTERVAL_SECONDS, check_in_time, interval_from
from logister_common.contract.deployment_fields import deployment_fields
from logister_common.contract.envelopes import load_json, parse_json_body
from logister_common.contract.errors import BadRequest
from logister_common.contract.payload_limits import PayloadLimitExceeded
from logister_common.contract.ruby_values import SATURATED_INT, to_f, to_i
from logister_common.contract.times import OutOfRange, iso_utc, parse_time, parse_time_or_none

JSON = {"content-type": "application/json"}
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_time_whose_utc_conversion_overflows_is_out_of_range(value):
    with pytest.raises(OutOfRange):
        parse_time(value)
    assert parse_time_or_none(value) is None


def test_the_extreme_times_that_convert_are_kept():
    assert parse_time("0001-01-01T00:00:00-01:00") == datetime(1, 1, 1, 1, tzinfo=UTC)
    assert parse_time("9999-12-31T23:59:59+01:00") == datetime(9999, 12, 31, 22, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00.000000Z"),
        (datetime(999, 12, 31, 23, 59, 59, 5, tzinfo=UTC), "0999-12-31T23:59:59.000005Z"),
        (datetime(2026, 11, 27, 18, 46, 54, 123456, tzinfo=UTC), "2026-11-27T18:46:54.123456Z"),
    ],
)
def test_iso_utc_pads_the_year_to_four_digits(moment, text):
    assert iso_utc(moment) == text
    assert datetime.fromisoformat(text) == moment


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9" * 5_000, SATURATED_INT),
        ("-" + "9" * 5_000, -SATURATED_INT),
        ("0" * 5_000 + "42s", 42),
        ("600s", 600),
        ("9" * 38, SATURATED_INT),
        ("1" + "0" * 38, SATURATED_INT),
        ("abc", 0),
    ],
)
def test_to_i_saturates_instead_of_hitting_the_digit_limit(value, expected):
    assert to_i(value) == expected


def test_to_f_of_an_integer_beyond_float_range_is_not_finite_so_zero():
    assert to_f(10**400) == 0.0
    assert to_f("9" * 5_000) == 0.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9" * 5_000, MAX_INTERVAL_SECONDS),
        (10**40, MAX_INTERVAL_SECONDS),
        (MAX_INTERVAL_SECONDS, MAX_INTERVAL_SECONDS),
        ("600", 600),
        (0, 300),
    ],
)
def test_intervals_are_clamped_to_a_year(value, expected):
    assert interval_from(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-01T12:00:00Z", datetime(2026, 12, 1, 12, tzinfo=UTC)),  # exactly a day ahead: kept
        ("2026-12-01T12:00:01Z", NOW),
        ("9999-01-01T00:00:00Z", NOW),
        ("0001-01-01T00:00:00+01:00", NOW),
        ("2026-11-30T11:00:00Z", NOW - timedelta(hours=1)),
    ],
)
def test_a_check_in_time_more_than_a_day_ahead_is_the_receive_time(value, expected):
    assert check_in_time(value, NOW) == expected


@pytest.mark.parametrize(
    "text",
    [
        '{"a":"\\ud800"}',
        '{"a":"x\\udfff"}',
        '{"\\udc00":1}',
        '[[[{"deep":["\\ud83d"]}]]]',
        '{"a":"\\ude00\\ud83d"}',  # a pair in the wrong order is two lone surrogates
        "[1e400]",
        "[-1E999]",
        "[NaN]",
        "[Infinity]",
        "[-Infinity]",
    ],
)
def test_load_json_refuses_what_cannot_be_stored(text):
    with pytest.raises(ValueError):
        load_json(text)
    with pytest.raises(BadRequest) as refused:
        parse_json_body(JSON, text.encode())
    assert refused.value.body["code"] == "invalid_json"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a":"\\ud83d\\ude00"}', {"a": "\U0001f600"}),
        ('{"a":"\\\\ud800"}', {"a": "\\ud800"}),  # an escaped backslash, then text
        ("[1e300, 0.5, -2]", [1e300, 0.5, -2]),
    ],
)
def test_load_json_keeps_what_is_valid(text, expected):
    assert load_json(text) == expected


def test_a_batch_line_with_a_lone_surrogate_or_infinite_number_is_invalid_json():
    uuid = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    for event in ('{"message":"\\ud800"}', '{"context":{"n":1e400}}'):
        line = '{"event":{"uuid":"' + uuid + '",' + event[1:] + "}"
        with pytest.raises(BadRequest) as refused:
            decode(line.encode(), None)
        assert refused.value.body["code"] == "invalid_json"


def test_a_deployment_is_held_to_the_payload_depth_rule():
    value: dict = {"leaf": 1}
    for _ in range(990):
        value = {"nested": value}
    with pytest.raises(PayloadLimitExceeded) as refused:
        deployment_fields({"deployment": {"release": "r", "details": value}})
    assert refused.value.code == "context_depth"


def test_a_token_with_a_lone_surrogate_has_a_digest_no_token_has():
    assert digest("logister_\ud800") != digest("logister_")
    assert len(digest("logister_\ud800")) == 64


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("title\x1b]0;owned\x07!", "title!"),  # OSC: sets the terminal title
        ("a\x1b[2Jb\x1b[1;31mc", "abc"),  # CSI: erase, colour
        ("a\x9b2Kb\x9d0;t\x9cc", "abc"),  # the same as C1 characters
        ("line\r\nover\x00\x7f\x85", "lineover"),
        ("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),  # a hyperlink
        ("plain [text] ü", "plain [text] ü"),
    ],
)
def test_the_cli_shows_stored_text_without_terminal_control(stored, shown):
    assert printable(stored) == shown
    assert text(stored) == escape(shown)


def test_the_cli_reads_unpadded_years_and_epochs_beyond_9999():
    now = datetime(2026, 11, 30, tzinfo=UTC)
    assert parse_time_for_display("1-01-01T00:00:00.000000Z") == datetime(1, 1, 1, tzinfo=UTC)
    assert when("1-01-01T00:00:00.000000Z", now).startswith("0001-01-01 00:00:00 (")
    assert when(10**20, now) == str(10**20)
    assert when("\x1b[2Jsoon", now) == "soon"


def test_a_waterfall_of_spans_with_unreadable_times():
    spans = [
        {"span_id": "root", "started_at": "2026-11-30T12:00:00Z", "ended_at": "nonsense"},
        {"span_id": "child", "parent_span_id": "root", "duration_ms": 5},
        {"span_id": "old", "started_at": "1-01-01T00:00:00Z", "ended_at": "1-01-01T00:00:01Z"},
    ]
    drawn = layout(spans)
    assert [(row.span["span_id"], row.duration_ms) for row in drawn.rows] == [
        ("old", 1000.0),
        ("root", 0.0),
        ("child", 5.0),
    ]
    assert drawn.started_at == datetime(1, 1, 1, tzinfo=UTC)
