"""The events table's stream, after acceptance: list what arrived, count errors into groups, apply
the check-ins a batch left to it (projections/pending_check_ins.py), and index the deployments events
name (projections/telemetry_deployments.py), and aggregate transactions per hour
(projections/performance.py).

Listings, group counts, pending check-ins, deployments and performance are independent parts, each
written in units (a listing item, a group transaction, a deployment, an hour's aggregate) whose keys
and tokens derive from the records they cover. A unit that fails for good
(the data is at fault: a validation error, an item too large, a value that cannot be rendered)
has its records reported to StreamFailureQueue and skipped at once, with a metric; the rest of the
batch, whoever sent it, is written exactly once. A unit that fails for now (throttling, a timeout)
leaves its records to the stream: the batch is reported failed from the first record still to do,
moved back to the first record of any unit written now that reaches past it, so the redelivery
rewrites whole units with the same keys and tokens (the same listing items; a repeated transaction
token, which DynamoDB ignores for 10 minutes, or that an aggregate remembers) instead of listing or
counting anything twice.
Check-ins and deployments are written only when newer than what is stored, so rewriting them in
part is harmless: their units need not move the restart back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)

from logister_common.projections.arrivals import SUMMARY_FIELDS, list_arrivals
from logister_common.projections.group_counts import count_occurrences
from logister_common.projections.pending_check_ins import apply_pending
from logister_common.projections.performance import aggregate_transactions
from logister_common.projections.telemetry_deployments import index_deployments
from logister_common.projections.units import RecordKey
from logister_common.runtime.telemetry import logger
from logister_common.storage import failure_queue
from logister_common.storage.deployments_table import EVENT_ATTRIBUTE as DEPLOYMENT
from logister_common.storage.events_table import PENDING_CHECK_IN, TRANSACTION
from logister_common.storage.write_failures import reason

# The parts a record can fail in.
LISTINGS, GROUP_COUNTS, CHECK_INS, DEPLOYMENTS, PERFORMANCE, IMAGE = (
    "listings",
    "error_groups",
    "pending_check_ins",
    "deployments",
    "performance",
    "image",
)

_READ = frozenset(
    {
        *SUMMARY_FIELDS,
        "project_id",
        "expires_at",
        "group_id",
        "group_title",
        "group_fingerprint",
        "group_severity",
        PENDING_CHECK_IN,
        DEPLOYMENT,
        TRANSACTION,
    }
)
_KEYS = ("project_id", "uuid", "received_at")


@dataclass(frozen=True, slots=True)
class Outcome:
    listed: int
    errors_counted: int
    check_ins_applied: int
    deployments_indexed: int  # events whose deployment was written (one per deployment and batch)
    transactions_aggregated: int
    isolated: int  # records reported to StreamFailureQueue and skipped
    retry_from: str | None  # the sequence number the stream is to redeliver from; None when all is done


def project(records: list[DynamoDBRecord]) -> Outcome:
    stored: list[dict[str, Any]] = []
    where: dict[RecordKey, int] = {}  # each stored record's position in the batch
    rejected: list[tuple[int, str, str]] = []  # (position, part, reason)
    for position, record in enumerate(records):
        if record.event_name != DynamoDBRecordEventName.INSERT or not (
            record.dynamodb and record.dynamodb.get("NewImage")
        ):
            continue
        try:
            item = _read(record)
        except Exception as error:  # an image we cannot read now will not be readable later
            rejected.append((position, IMAGE, reason(error)))
            continue
        where[(item["project_id"], item["uuid"])] = position
        stored.append(item)
    listed = list_arrivals(stored)
    counted = count_occurrences([item for item in stored if "group_id" in item])
    applied = apply_pending([item for item in stored if PENDING_CHECK_IN in item])
    indexed = index_deployments([item for item in stored if DEPLOYMENT in item])
    aggregated = aggregate_transactions([item for item in stored if TRANSACTION in item])
    rejected += [(where[key], LISTINGS, why) for key, why in listed.rejected]
    rejected += [(where[key], GROUP_COUNTS, why) for key, why in counted.rejected]
    rejected += [(where[key], CHECK_INS, why) for key, why in applied.rejected]
    rejected += [(where[key], DEPLOYMENTS, why) for key, why in indexed.rejected]
    rejected += [(where[key], PERFORMANCE, why) for key, why in aggregated.rejected]
    pending = {
        where[key] for key in listed.pending + counted.pending + applied.pending + indexed.pending + aggregated.pending
    }
    units = [[where[key] for key in unit] for unit in listed.written + counted.written + aggregated.written]
    isolated = _isolate(records, rejected, pending, before=_restart(pending, units))
    restart = _restart(pending, units)  # earlier when a report failed
    retry_record = None if restart is None else records[restart].dynamodb
    return Outcome(
        listed=sum(len(unit) for unit in listed.written),
        errors_counted=sum(len(unit) for unit in counted.written),
        check_ins_applied=len(applied.written),
        deployments_indexed=len(indexed.written),
        transactions_aggregated=sum(len(unit) for unit in aggregated.written),
        isolated=isolated,
        retry_from=retry_record.sequence_number if retry_record else None,
    )


def _read(record: DynamoDBRecord) -> dict[str, Any]:
    """What is listed or counted of a stored item, with the keys every record has."""
    image = record.dynamodb.new_image if record.dynamodb else {}
    item = {name: image[name] for name in _READ if name in image}
    missing = [name for name in _KEYS if not isinstance(item.get(name), str)]
    if missing:
        raise ValueError(f"image without {', '.join(missing)}")
    int(item["expires_at"])
    return item


def _isolate(
    records: list[DynamoDBRecord], rejected: list[tuple[int, str, str]], pending: set[int], *, before: int | None
) -> int:
    """Report the rejected records to StreamFailureQueue; those at or after `before` are left to the
    redelivery, which reports them. A record whose report fails becomes pending. Returns how many."""
    isolated = 0
    for position, part, why in rejected:
        if before is not None and position >= before:
            continue
        try:
            failure_queue.report(records[position].raw_event, part, why)
        except Exception:
            logger.exception("StreamFailureQueue refused a report: the stream redelivers the record")
            pending.add(position)
            continue
        isolated += 1
        logger.warning("stream record skipped", extra={"part": part, "reason": why, "position": position})
    return isolated


def _restart(pending: set[int], units: list[list[int]]) -> int | None:
    """Where the redelivery starts: the first pending record, moved back to the first record of any unit
    written now that reaches it, so that unit is rewritten whole (same key or token), never in part."""
    if not pending:
        return None
    start = min(pending)
    moved = True
    while moved:
        moved = False
        for unit in units:
            if min(unit) < start <= max(unit):
                start, moved = min(unit), True
    return start
