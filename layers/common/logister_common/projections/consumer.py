"""The events table's stream, after acceptance: list what arrived, count errors into groups.

Both writes are idempotent for a redelivered batch (the listing item's key and the group
transaction's token derive from the batch's records), so the stream's at-least-once delivery
neither loses nor double counts.
"""

from __future__ import annotations

import hashlib
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from logister_common.projections.arrivals import SUMMARY_FIELDS, listings
from logister_common.projections.group_counts import count_occurrences
from logister_common.storage import listings_table

_READ = frozenset(
    {*SUMMARY_FIELDS, "project_id", "expires_at", "group_id", "group_title", "group_fingerprint", "group_severity"}
)


def project(records: list[DynamoDBRecord]) -> dict[str, int]:
    stored: list[dict[str, Any]] = []
    for record in records:
        if record.event_name == DynamoDBRecordEventName.INSERT and record.dynamodb and record.dynamodb.get("NewImage"):
            image = record.dynamodb.new_image
            stored.append({name: image[name] for name in _READ if name in image})  # what is listed or counted
    if not stored:
        return {"listed": 0, "errors_counted": 0}
    sequence = ",".join((record.dynamodb and record.dynamodb.sequence_number) or "" for record in records)
    token = hashlib.sha256(sequence.encode()).hexdigest()[:36]
    expires_at = max(int(item["expires_at"]) for item in stored)  # listed as long as what it lists
    for listing in listings(stored, token):
        listings_table.put(listing, expires_at)
    counted = count_occurrences([item for item in stored if "group_id" in item], token)
    return {"listed": len(stored), "errors_counted": counted}
