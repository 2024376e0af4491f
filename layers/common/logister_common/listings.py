"""What arrived, listed for the operator CLI: built from the events stream after acceptance. Pure.

Each stream batch becomes one listing item per (project, UTC day) holding the batch's records as
compressed summaries. An index entry per event would cost a write unit per event; a listing item
per batch costs a few units per hundred events. The item's sort key starts with the newest
arrival it holds, so reading a day newest first only needs to look past an item when its newest
arrival is older than what is still wanted.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# The fields the CLI lists; everything else stays in the event itself.
SUMMARY_FIELDS = (
    "uuid",
    "signal",
    "event_type",
    "level",
    "environment",
    "occurred_at",
    "received_at",
    "title",
    "trace_key",
)


@dataclass(frozen=True, slots=True)
class Listing:
    project_id: str
    day: str  # YYYY-MM-DD of arrival, UTC
    slot: str  # newest received_at in the item, then the batch token: unique and newest-first sortable
    entries: list[dict[str, Any]]


def listings(records: Iterable[dict[str, Any]], batch_token: str) -> list[Listing]:
    """One listing per (project, day) for these stored events and span claims (plain values)."""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records:
        summary = {name: record[name] for name in SUMMARY_FIELDS if record.get(name) is not None}
        grouped.setdefault((record["project_id"], record["received_at"][:10]), []).append(summary)
    return [
        Listing(
            project_id=project_id,
            day=day,
            slot=f"{max(entry['received_at'] for entry in entries)}#{batch_token}",
            entries=sorted(entries, key=lambda entry: (entry["received_at"], entry["uuid"]), reverse=True),
        )
        for (project_id, day), entries in grouped.items()
    ]


def pack(entries: list[dict[str, Any]]) -> bytes:
    return zlib.compress(json.dumps(entries, separators=(",", ":")).encode(), 6)


def unpack(blob: bytes) -> list[dict[str, Any]]:
    return json.loads(zlib.decompress(blob))
