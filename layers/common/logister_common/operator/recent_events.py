"""What arrived, for the operator CLI (`logister-admin events`). Queries only, never a Scan.

The listing items the events stream's consumer writes (projections/arrivals.py), read a day at a
time backwards from now, each day newest first, until the limit or the start of the window. A
record the stream delivered twice can be in two items (a redelivered batch split differently): it
is listed once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from logister_common.contract.times import iso_utc
from logister_common.storage import listings_table
from logister_common.storage.events_table import SPAN_SIGNAL


def recent_events(
    project_id: str,
    *,
    since: datetime,
    now: datetime,
    limit: int,
    event_type: str | None = None,
    environment: str | None = None,
) -> list[dict[str, Any]]:
    """Up to `limit` records received in [since, now] (events, check-ins and spans), newest first.

    `event_type` "span" selects spans; any other value selects events of that type. Reads the
    listing items of each day, newest first, and stops once no older item can hold anything newer
    than the oldest record still kept.
    """
    lower = iso_utc(since)
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    day = now.astimezone(UTC).date()
    while day >= since.astimezone(UTC).date():
        for newest, entries in listings_table.newest_first(project_id, day.isoformat(), lower):
            if len(found) >= limit and newest < found[limit - 1]["received_at"]:
                return [_listed(project_id, entry) for entry in found[:limit]]
            for entry in entries:
                if entry["uuid"] in seen or entry["received_at"] < lower:
                    continue
                seen.add(entry["uuid"])
                if _wanted(entry, event_type, environment):
                    found.append(entry)
            found.sort(key=lambda entry: (entry["received_at"], entry["uuid"]), reverse=True)
        day -= timedelta(days=1)
    return [_listed(project_id, entry) for entry in found[:limit]]


def _wanted(entry: dict[str, Any], event_type: str | None, environment: str | None) -> bool:
    if event_type == SPAN_SIGNAL and entry.get("signal") != SPAN_SIGNAL:
        return False
    if event_type and event_type != SPAN_SIGNAL and entry.get("event_type") != event_type:
        return False
    return not environment or entry.get("environment") == environment


def _listed(project_id: str, item: dict[str, Any]) -> dict[str, Any]:
    is_span = item.get("signal") == SPAN_SIGNAL
    return {
        "id": item["uuid"],
        "type": SPAN_SIGNAL if is_span else item.get("event_type"),
        "level": item.get("level"),
        "environment": item.get("environment"),
        "title": item.get("title"),
        "occurred_at": item.get("occurred_at"),
        "received_at": item["received_at"],
        "trace_id": item["trace_key"].removeprefix(f"{project_id}#") if is_span and "trace_key" in item else None,
    }
