"""How the CLI prints: Rich tables for people, plain JSON (and nothing else) with --json."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:  # pydantic is loaded by the commands that print, never by --help
    from .shapes import Shape

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)
NONE = "—"
# Tenant text must not drive the operator's terminal: escape sequences (CSI, OSC, two-character) go
# whole, then every other C0/C1 control character (newlines and tabs too: a cell is one line).
_ESCAPE_SEQUENCES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[ -~]"
)
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def emit_json(shown: Shape | Sequence[Shape]) -> None:
    """A shape of admin/shapes.py, or a list of them, as JSON (and nothing else)."""
    data = (
        [item.model_dump(mode="json") for item in shown]
        if isinstance(shown, Sequence)
        else shown.model_dump(mode="json")
    )
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def table(*columns: str, title: str | None = None, ids: tuple[int, ...] = ()) -> Table:
    """A table whose `ids` columns never wrap (ids are for copying into the next command)."""
    grid = Table(title=title, title_justify="left", header_style="bold", expand=False)
    for index, column in enumerate(columns):
        if index in ids:
            grid.add_column(column, no_wrap=True, min_width=36)
        else:
            grid.add_column(column, overflow="fold")
    return grid


def parse_time(value: Any) -> datetime | None:
    """An ISO time as stored, also one written before years were zero-padded ("1-01-01T…"); else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(_UNPADDED_YEAR.sub(lambda year: year.group(1).zfill(4) + "-", value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_UNPADDED_YEAR = re.compile(r"^(\d{1,3})-")


def from_epoch(value: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):  # a stored epoch beyond the years 1..9999
        return None


def when(value: Any, now: datetime | None = None) -> str:
    """`2026-11-25 18:46:54 (2d ago)`, or `18:46:54 (3m ago)` today (UTC), for an ISO time or epoch seconds."""
    moment = from_epoch(value) if isinstance(value, int | float) else parse_time(value)
    if moment is None:
        return text(value)
    now = now or datetime.now(UTC)
    moment = moment.astimezone(UTC)
    shown = f"{moment:%H:%M:%S}"
    if moment.date() != now.astimezone(UTC).date():
        shown = f"{moment.year:04d}-{moment:%m-%d} {shown}"  # %Y does not pad years before 1000
    return f"{shown} ({relative(moment, now)})"


def relative(moment: datetime, now: datetime) -> str:
    seconds = int((now - moment).total_seconds())
    span = abs(seconds)
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if span >= size:
            amount = f"{span // size}{unit}"
            break
    else:
        amount = f"{span}s"
    return f"{amount} ago" if seconds >= 0 else f"in {amount}"


def refused_within() -> str:
    """When a revocation reaches every function: at once, or within the stack's token cache time."""
    from logister_common.runtime.settings import get_settings

    seconds = getattr(get_settings(), "token_cache_seconds", 0)
    return f"within {seconds}s (the functions' token cache)" if seconds > 0 else "at once"


def text(value: Any) -> str:
    """A stored value for a table cell: printable, escaped (titles may hold [brackets]), — for nothing."""
    return NONE if value is None or value == "" else escape(printable(value))


def printable(value: Any) -> str:
    """A stored value without the control characters and escape sequences that would drive the terminal."""
    return _CONTROL_CHARACTERS.sub("", _ESCAPE_SEQUENCES.sub("", str(value)))
