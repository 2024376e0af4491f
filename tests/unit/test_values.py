import pytest

from logister_common.contract.ruby_values import first_truthy, is_blank, to_f, to_i


@pytest.mark.parametrize("value", [None, False, "", "   ", {}, []])
def test_blank_values(value):
    assert is_blank(value)


@pytest.mark.parametrize("value", [0, 0.0, True, "x", {"a": 1}, [0]])
def test_present_values(value):
    assert not is_blank(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12, 12.0), ("38.7", 38.7), ("12ms", 12.0), ("abc", 0.0), ("-5", -5.0), (None, 0.0), (True, 0.0), ("1e3", 1000.0)],
)
def test_to_f_reads_the_numeric_prefix_like_ruby(value, expected):
    assert to_f(value) == expected


@pytest.mark.parametrize(("value", "expected"), [("600", 600), ("600s", 600), (12.9, 12), ("abc", 0), (None, 0)])
def test_to_i_like_ruby(value, expected):
    assert to_i(value) == expected


def test_ruby_or_stops_at_an_empty_string_but_not_at_nil_or_false():
    assert first_truthy(None, False, "", "later") == ""
    assert first_truthy(None, False, "later") == "later"
