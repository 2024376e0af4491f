"""Ruby/Rails value semantics the contract depends on (blank?, presence, to_f, to_i). Pure."""

from __future__ import annotations

import json
import math
import re
from typing import Any

_FLOAT_PREFIX = re.compile(r"\s*[+-]?(?:\d[\d_]*)?(?:\.\d+)?(?:[eE][+-]?\d+)?")
_INT_PREFIX = re.compile(r"\s*([+-]?)0*(\d+)")
# Integers parsed from client text saturate at this many digits: int() refuses strings over 4,300
# digits (a ValueError), and nothing the contract counts in needs more than DynamoDB's 38.
MAX_INT_DIGITS = 38
SATURATED_INT = 10**MAX_INT_DIGITS - 1


def is_blank(value: Any) -> bool:
    """Rails `blank?`: nil, false, empty or whitespace-only strings, empty hashes and arrays."""
    if value is None or value is False:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, dict | list):
        return not value
    return False


def is_present(value: Any) -> bool:
    return not is_blank(value)


def first_truthy(*values: Any) -> Any:
    """Ruby `a || b || c`: the first value that is neither nil nor false (an empty string stops it)."""
    for value in values:
        if value is not None and value is not False:
            return value
    return None


def first_present(*values: Any) -> Any:
    for value in values:
        if is_present(value):
            return value
    return None


def to_f(value: Any) -> float:
    """Ruby `to_f`: numbers as they are, strings by their numeric prefix ("12ms" -> 12.0), else 0.0."""
    if isinstance(value, bool):
        return 0.0
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an int beyond float's range is Ruby's Infinity, not finite either
            return 0.0
        return number if math.isfinite(number) else 0.0
    if isinstance(value, str):
        match = _FLOAT_PREFIX.match(value)
        text = match.group(0).strip().replace("_", "") if match else ""
        try:
            number = float(text)
        except ValueError:
            return 0.0
        return number if math.isfinite(number) else 0.0
    return 0.0


def to_i(value: Any) -> int:
    """Ruby `to_i`: floats truncated, strings by their integer prefix ("600s" -> 600), else 0.

    A prefix longer than MAX_INT_DIGITS saturates at +/-SATURATED_INT (Ruby would read it whole).
    """
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else 0
    if isinstance(value, str):
        match = _INT_PREFIX.match(value)
        if match is None:
            return 0
        sign, digits = match.groups()
        magnitude = SATURATED_INT if len(digits) > MAX_INT_DIGITS else int(digits)
        return -magnitude if sign == "-" else magnitude
    return 0


def to_text(value: Any) -> str:
    """Ruby `to_s` for the scalars clients send as ids or names (strings kept, numbers printed)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
