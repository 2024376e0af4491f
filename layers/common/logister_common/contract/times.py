"""Times on the wire: parsing client timestamps as Logister's `Time.zone.parse` (UTC zone) does, and
the ISO-8601 form we write. Pure.

ISO-8601 is what every SDK sends; RFC 2822 dates are accepted too. A value without an offset is
UTC. A value that names a date that does not exist (2026-02-30) is "out of range": Logister falls
back to now for spans in that case, while an unusable value parses to nothing. So is a value whose
conversion to UTC leaves years 1 to 9999 ("0001-01-01T00:00:00+01:00"): Ruby's range error.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

_DATE_SHAPE = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}")
_ZULU = re.compile(r"[zZ]$")
_FRACTION = re.compile(r"(\.\d{6})\d+")


class OutOfRange(ValueError):
    """Looks like a date, but is not one (Ruby's ArgumentError)."""


def parse_time(value: Any) -> datetime | None:
    """A timezone-aware UTC datetime, None when the value is not a usable time.

    Raises OutOfRange for date-shaped strings that name no real moment.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", _ZULU.sub("+00:00", text)))
    except ValueError:
        parsed = _parse_rfc2822(text)
    if parsed is None:
        if _DATE_SHAPE.match(text):
            raise OutOfRange(text) from None
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise OutOfRange(text) from None


def parse_time_or_none(value: Any) -> datetime | None:
    """Like parse_time, with out-of-range values treated as unusable."""
    try:
        return parse_time(value)
    except OutOfRange:
        return None


def _parse_rfc2822(text: str) -> datetime | None:
    from email.utils import parsedate_to_datetime  # rare: SDKs send ISO-8601

    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def iso_utc(moment: datetime) -> str:
    """ISO-8601 in UTC with microseconds and a Z, e.g. 2026-11-27T18:46:54.123456Z.

    The year is padded here: strftime's %Y writes year 1 as "1" on Linux.
    """
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%S.%fZ")
