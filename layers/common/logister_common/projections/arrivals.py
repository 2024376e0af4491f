"""What arrived, listed for the operator CLI: built from the events stream after acceptance.

Each stream batch becomes listing items per (project, UTC day) holding the batch's records as
compressed summaries. An index entry per event would cost a write unit per event; a listing item
per batch costs a few units per hundred events. The item's sort key starts with the newest
arrival it holds, so reading a day newest first only needs to look past an item when its newest
arrival is older than what is still wanted; it ends with a token of the records it holds, so a
redelivered batch rewrites the same items.

Items are bounded by construction, whatever a project sends: free-text summary fields are cut to a
few hundred UTF-8 bytes, and a project-day whose packed summaries exceed PACKED_MAX_BYTES is split
into several items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from logister_common.projections.units import PartResult, RecordKey, content_token
from logister_common.storage import listings_table
from logister_common.storage.listings_table import PACKED_MAX_BYTES, Listing, pack

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


# Free text an event chooses, cut to this many UTF-8 bytes in its summary (the event keeps it whole).
SUMMARY_BYTES = {"level": 64, "environment": 64, "title": 200}


def listings(
    records: Iterable[dict[str, Any]], token: Callable[[list[RecordKey]], str] = content_token
) -> list[Listing]:
    """Listings per (project, day) for these stored events and span claims (plain values), each packing
    to at most PACKED_MAX_BYTES; `token` names an item's records in its slot."""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records:
        grouped.setdefault((record["project_id"], record["received_at"][:10]), []).append(_summary(record))
    made = []
    for (project_id, day), entries in grouped.items():
        entries.sort(key=lambda entry: (entry["received_at"], entry["uuid"]), reverse=True)
        for part in _split(entries):
            covered = [(project_id, entry["uuid"]) for entry in part]
            slot = f"{part[0]['received_at']}#{token(covered)}"
            made.append(Listing(project_id=project_id, day=day, slot=slot, entries=part))
    return made


def list_arrivals(records: list[dict[str, Any]]) -> PartResult:
    """Write the listing items of these records; an item that fails for good rejects its records alone."""
    result = PartResult()
    if not records:
        return result
    expires_at = max(int(record["expires_at"]) for record in records)  # listed as long as what it lists
    for listing in listings(records):
        covered = [(listing.project_id, entry["uuid"]) for entry in listing.entries]
        error = result.attempt(covered, partial(listings_table.put, listing, expires_at))
        if error is not None:
            result.reject(covered, error)
    return result


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    summary = {}
    for name in SUMMARY_FIELDS:
        value = record.get(name)
        if isinstance(value, str):  # the listing renders strings only
            limit = SUMMARY_BYTES.get(name)
            summary[name] = value if limit is None else _cut(value, limit)
    return summary


def _cut(text: str, limit: int) -> str:
    encoded = text.encode("utf-8", "surrogatepass")
    return text if len(encoded) <= limit else encoded[:limit].decode("utf-8", "ignore")


def _split(entries: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Pack, measure, halve: newest-first runs of entries that each pack to at most PACKED_MAX_BYTES."""
    if len(entries) == 1 or len(pack(entries)) <= PACKED_MAX_BYTES:
        return [entries]
    middle = len(entries) // 2
    return _split(entries[:middle]) + _split(entries[middle:])
