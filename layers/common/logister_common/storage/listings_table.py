"""Listing items (what arrived, for the operator CLI: projections/arrivals.py), keyed by (project#day, slot).

Each item holds some of a stream batch's summaries of one project and UTC day, zlib-compressed JSON
of at most PACKED_MAX_BYTES: far below DynamoDB's 400 KB item limit, whatever the summaries hold.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from logister_common.runtime.settings import get_settings
from logister_common.storage import clients

PACKED_MAX_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Listing:
    project_id: str
    day: str  # YYYY-MM-DD of arrival, UTC
    slot: str  # newest received_at in the item, then a token of its records: unique and newest-first sortable
    entries: list[dict[str, Any]]


def pack(entries: list[dict[str, Any]]) -> bytes:
    return zlib.compress(json.dumps(entries, separators=(",", ":")).encode(), 6)


def unpack(blob: bytes) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(zlib.decompress(blob))
    return entries


def day_key(project_id: str, day: str) -> str:
    return f"{project_id}#{day}"


def put(listing: Listing, expires_at: int) -> None:
    """Idempotent: a redelivered batch writes the same item (same slot, same entries) again."""
    clients.dynamodb().put_item(
        TableName=get_settings().listings_table,
        Item={
            "project_day": {"S": day_key(listing.project_id, listing.day)},
            "slot": {"S": listing.slot},
            "entries": {"B": pack(listing.entries)},
            "expires_at": {"N": str(expires_at)},
        },
    )


def newest_first(project_id: str, day: str, lower: str) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(newest arrival in the item, its entries) for the day's items whose newest arrival >= lower."""
    paginator = clients.dynamodb().get_paginator("query")
    for page in paginator.paginate(
        TableName=get_settings().listings_table,
        KeyConditionExpression="project_day = :day AND slot >= :lower",
        ExpressionAttributeValues={":day": {"S": day_key(project_id, day)}, ":lower": {"S": lower}},
        ScanIndexForward=False,
    ):
        for item in page["Items"]:
            yield item["slot"]["S"].split("#", 1)[0], unpack(item["entries"]["B"])
