"""The events table's stream, after acceptance: list what arrived, count errors into groups.

Both writes are idempotent for a redelivered batch (the listing item's key and the group
transaction's token derive from the batch's records), so the stream's at-least-once delivery
neither loses nor double counts.
"""

from __future__ import annotations

import hashlib
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from .error_groups import count_occurrences
from .listings import SUMMARY_FIELDS, listings
from .stores import listing_store

_deserializer = TypeDeserializer()
_READ = frozenset(
    {*SUMMARY_FIELDS, "project_id", "expires_at", "group_id", "group_title", "group_fingerprint", "group_severity"}
)


def project(records: list[dict[str, Any]]) -> dict[str, int]:
    stored = []
    for record in records:
        image = (record.get("dynamodb") or {}).get("NewImage")
        if record.get("eventName") == "INSERT" and image:
            # Only what is listed or counted: binary attributes (documents) arrive base64-encoded.
            stored.append({name: _deserializer.deserialize(image[name]) for name in _READ if name in image})
    if not stored:
        return {"listed": 0, "errors_counted": 0}
    sequence = ",".join((record.get("dynamodb") or {}).get("SequenceNumber", "") for record in records)
    token = hashlib.sha256(sequence.encode()).hexdigest()[:36]
    expires_at = max(int(item["expires_at"]) for item in stored)  # listed as long as what it lists
    for listing in listings(stored, token):
        listing_store.put(listing, expires_at)
    counted = count_occurrences([item for item in stored if "group_id" in item], token)
    return {"listed": len(stored), "errors_counted": counted}
