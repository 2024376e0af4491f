"""What arrived, listed for the operator CLI: built from the events stream after acceptance.

Each stream batch becomes one listing item per (project, UTC day) holding the batch's records as
compressed summaries. An index entry per event would cost a write unit per event; a listing item
per batch costs a few units per hundred events. The item's sort key starts with the newest
arrival it holds, so reading a day newest first only needs to look past an item when its newest
arrival is older than what is still wanted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from logister_common.storage.listings_table import Listing

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
