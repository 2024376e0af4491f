"""How the CLI prints: Rich tables for people, plain JSON (and nothing else) with --json."""

from __future__ import annotations

import json
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
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def when(value: Any, now: datetime | None = None) -> str:
    """`2026-11-25 18:46:54 (2d ago)`, or `18:46:54 (3m ago)` today (UTC), for an ISO time or epoch seconds."""
    moment = datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) else parse_time(value)
    if moment is None:
        return NONE if value in (None, "") else escape(str(value))
    now = now or datetime.now(UTC)
    moment = moment.astimezone(UTC)
    shown = f"{moment:%H:%M:%S}" if moment.date() == now.astimezone(UTC).date() else f"{moment:%Y-%m-%d %H:%M:%S}"
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
    """A stored value for a table cell: escaped (titles may hold [brackets]), — for nothing."""
    return NONE if value is None or value == "" else escape(str(value))
