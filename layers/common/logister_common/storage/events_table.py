"""Events, spans and error groups: idempotent writes, one round trip per accepted record.

- An event is keyed by (project, uuid); the put is conditional on the key being new and returns
  the existing item when it is not, so a duplicate answer needs no extra read.
- An error event carries its group's id, title and fingerprint; the events table's stream counts
  it into the group after acceptance (projections/group_counts.py), so a duplicate counts nothing.
- A span is one item keyed the same way (so a uuid never serves two signals), found by trace in
  the `traces` index (traces_index.py), which also finds its span identity under another uuid.
- A batch check-in whose monitor update does not fit the batch's transaction carries it in the item
  (`pending_check_in`): the events stream applies it (projections/consumer.py).
- Event and span items carry a short `title`: the events stream's consumer lists what arrived,
  newest first, for the operator CLI.
- A transaction event carries its name, clamped duration and error flag (`transaction`), which the
  events stream aggregates per hour (projections/performance.py) without decoding the document.
"""

from __future__ import annotations

import json
import time
import uuid as uuid_module
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from logister_common.contract.errors import StoreUnavailable
from logister_common.contract.grouping import GroupKey
from logister_common.contract.normalization import Event, Span
from logister_common.contract.times import iso_utc, parse_time_or_none
from logister_common.contract.transaction_fields import transaction_fields
from logister_common.runtime.settings import get_settings
from logister_common.storage import clients, deployments_table
from logister_common.storage.documents import EncodedDocument
from logister_common.storage.monitors_table import MonitorChanged
from logister_common.storage.traces_index import stored_span_uuids, trace_key
from logister_common.storage.write_failures import store_failure

if TYPE_CHECKING:  # the request path of single events never needs the check-in modules
    from logister_common.contract.check_in_fields import CheckIn

EVENT_SIGNAL = "event"
PENDING_CHECK_IN = "pending_check_in"
# A transaction's name, duration and error flag, for the events stream's performance aggregates.
TRANSACTION = "transaction"
SPAN_SIGNAL = "span"
SHORT_TEXT_MAX = 1_024
GROUP_FINGERPRINT_MAX = 512
TITLE_MAX = 200
_NOT_EXISTS = "attribute_not_exists(pk)"
_CONFLICT_RETRIES = 3
_BATCH_GET_KEYS = 100
_UNPROCESSED_RETRIES = 5


class WriteResult(NamedTuple):
    """`uuid` is the stored record's: the original one for a duplicate."""

    created: bool
    uuid: str
    signal: str
    existing: dict[str, Any] | None = None  # the stored item, for a duplicate


def event_key(project_id: str, event_uuid: str) -> dict[str, Any]:
    return {"pk": {"S": f"{project_id}#{event_uuid}"}}


def _listing(title: str) -> dict[str, Any]:
    """A one-line title, which the events stream's consumer lists for the operator CLI."""
    line = " ".join(title.split())[:TITLE_MAX]
    return {"title": {"S": line}} if line else {}


def event_put(
    project_id: str,
    event: Event,
    document: EncodedDocument,
    s3_key: str | None,
    received_at: datetime,
    expires_at: int,
    group: GroupKey | None = None,
    pending_check_in: CheckIn | None = None,
) -> dict[str, Any]:
    """The conditional Put of an event item (the item is also the uuid's claim).

    An error event carries its group: the events stream's consumer counts it there; a check-in
    whose monitor update is not written with it carries that check-in, for the stream to apply; an event
    whose context names a deployment carries it, for the stream to index (deployments_table.py).
    """
    item = {
        **event_key(project_id, event.uuid),
        "signal": {"S": EVENT_SIGNAL},
        "project_id": {"S": project_id},
        "uuid": {"S": event.uuid},
        "event_type": {"S": event.event_type},
        "occurred_at": {"S": iso_utc(event.occurred_at)},
        "received_at": {"S": iso_utc(received_at)},
        "expires_at": {"N": str(expires_at)},
        **_listing(event.message),
        **_short_text("level", event.level),
        **_short_text("environment", event.context.get("environment")),
        **deployments_table.event_attributes(event.context, event.occurred_at, received_at),
        **_transaction(event),
        **_document_attributes(document, s3_key),
    }
    if group is not None:
        item["group_id"] = {"S": group.group_id}
        item["group_title"] = {"S": group.title[:TITLE_MAX]}
        item["group_fingerprint"] = {"S": group.fingerprint[:GROUP_FINGERPRINT_MAX]}
        item["group_severity"] = {"S": group.severity[:TITLE_MAX]}
    if pending_check_in is not None:
        item[PENDING_CHECK_IN] = {"M": _check_in_attributes(pending_check_in)}
    return {
        "TableName": get_settings().events_table,
        "Item": item,
        "ConditionExpression": _NOT_EXISTS,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def span_put(
    project_id: str,
    span: Span,
    document: EncodedDocument,
    s3_key: str | None,
    received_at: datetime,
    expires_at: int,
) -> dict[str, Any]:
    """The conditional Put of a span's item (the item is also the uuid's claim)."""
    item = {
        **event_key(project_id, span.uuid),
        "signal": {"S": SPAN_SIGNAL},
        "project_id": {"S": project_id},
        "uuid": {"S": span.uuid},
        "trace_key": {"S": trace_key(project_id, span.trace_id)},
        "span_id": {"S": span.span_id},
        "trace_id": {"S": span.trace_id},
        "name": {"S": span.name[:SHORT_TEXT_MAX]},
        "kind": {"S": span.kind},
        "started_at": {"S": iso_utc(span.started_at)},
        "ended_at": {"S": iso_utc(span.ended_at)},
        "duration_ms": {"N": _number(span.duration_ms)},
        "occurred_at": {"S": iso_utc(span.started_at)},
        "received_at": {"S": iso_utc(received_at)},
        "expires_at": {"N": str(expires_at)},
        **_listing(span.name),
        **_short_text("parent_span_id", span.parent_span_id),
        **_short_text("status", span.status),
        **_short_text("environment", span.context.get("environment")),
        **_document_attributes(document, s3_key),
    }
    return {
        "TableName": get_settings().events_table,
        "Item": item,
        "ConditionExpression": _NOT_EXISTS,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def put_event(put: dict[str, Any]) -> WriteResult:
    """Store one event; a duplicate returns the original (from the failed condition, no extra read)."""
    event_uuid = put["Item"]["uuid"]["S"]
    try:
        clients.dynamodb().put_item(**put)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return _existing(error.response.get("Item"), event_uuid)
        raise store_failure("events", error) from error
    except BotoCoreError as error:
        raise store_failure("events", error) from error
    return WriteResult(created=True, uuid=event_uuid, signal=EVENT_SIGNAL)


def put_check_in(put: dict[str, Any], monitor_put: dict[str, Any]) -> WriteResult:
    """Store a check-in event and its monitor's next state in one transaction.

    A duplicate returns the original and writes nothing; a monitor changed since it was read raises
    MonitorChanged (the caller reads it again).
    """
    event_uuid = put["Item"]["uuid"]["S"]
    existing = transact([{"Put": put}, {"Put": monitor_put}], store="events")
    if existing is None:
        return WriteResult(created=True, uuid=event_uuid, signal=EVENT_SIGNAL)
    stored_event, _changed_monitor = existing
    if stored_event is not None:
        return _existing(stored_event, event_uuid)
    raise MonitorChanged


def put_span(put: dict[str, Any]) -> WriteResult:
    """Store one span unless its identity (trace_id, span_id) is stored already, under any uuid.

    A duplicate is either the same uuid (the item exists) or the same identity under another uuid;
    both answer with the original span's uuid.
    """
    item = put["Item"]
    identity = (item["trace_id"]["S"], item["span_id"]["S"])
    stored = stored_span_uuids(item["project_id"]["S"], [identity]).get(identity)
    if stored is not None:
        return WriteResult(created=False, uuid=stored, signal=SPAN_SIGNAL)
    result = put_event(put)
    return WriteResult(created=True, uuid=result.uuid, signal=SPAN_SIGNAL) if result.created else result


def pending_check_in(image: dict[str, Any]) -> CheckIn | None:
    """The check-in a stored event item (a stream image, plain values) still has to apply, if any."""
    from logister_common.contract.check_in_fields import CheckIn
    from logister_common.contract.monitor_config import MonitorConfig

    fields = image.get(PENDING_CHECK_IN)
    if not isinstance(fields, dict):
        return None
    occurred_at = parse_time_or_none(fields["occurred_at"])
    received_at = parse_time_or_none(fields.get("received_at"))
    if occurred_at is None:  # written by event_put from a datetime: the image is at fault
        raise ValueError("pending check-in without a readable occurred_at")
    config = fields.get("config")
    return CheckIn(
        slug=str(fields["slug"]),
        environment=str(fields["environment"]),
        status=str(fields["status"]),
        occurred_at=occurred_at,
        interval_seconds=int(fields["interval_seconds"]),
        event_id=str(image["uuid"]),
        received_at=received_at,
        run_id=str(fields["run_id"]) if fields.get("run_id") else None,
        duration_ms=float(fields["duration_ms"]) if fields.get("duration_ms") is not None else None,
        config=MonitorConfig.from_dict(json.loads(config)) if config else None,
    )


def _transaction(event: Event) -> dict[str, Any]:
    fields = transaction_fields(event.event_type, event.level, event.context)
    if fields is None:
        return {}
    return {
        TRANSACTION: {
            "M": {
                "name": {"S": fields.name},
                "duration_ms": {"N": repr(fields.duration_ms)},
                "errored": {"BOOL": fields.errored},
            }
        }
    }


def _check_in_attributes(check_in: CheckIn) -> dict[str, Any]:
    attributes = {
        "slug": {"S": check_in.slug},
        "environment": {"S": check_in.environment},
        "status": {"S": check_in.status},
        "occurred_at": {"S": iso_utc(check_in.occurred_at)},
        "interval_seconds": {"N": str(check_in.interval_seconds)},
    }
    if check_in.received_at is not None:
        attributes["received_at"] = {"S": iso_utc(check_in.received_at)}
    if check_in.run_id:
        attributes["run_id"] = {"S": check_in.run_id}
    if check_in.duration_ms is not None:
        attributes["duration_ms"] = {"N": _number(check_in.duration_ms)}
    if check_in.config is not None:
        attributes["config"] = {"S": json.dumps(check_in.config.as_dict())}
    return attributes


def _document_attributes(document: EncodedDocument, s3_key: str | None) -> dict[str, Any]:
    if document.text is not None:
        return {"doc": {"S": document.text}}
    if document.compressed is not None:
        return {"doc_z": {"B": document.compressed}}
    return {"doc_s3": {"S": s3_key}}


def _short_text(name: str, value: Any) -> dict[str, Any]:
    """An indexed copy of a short string field; the document always holds the full value."""
    if isinstance(value, str) and value and len(value) <= SHORT_TEXT_MAX:
        return {name: {"S": value}}
    return {}


def _number(value: float) -> str:
    """DynamoDB numbers stop near 1e125: absurd durations are clamped in this indexed copy only."""
    return repr(min(value, 1e120))


def _existing(item: dict[str, Any] | None, requested_uuid: str) -> WriteResult:
    if item is None:  # cannot happen with ALL_OLD, but a missing item must not become a 500
        return WriteResult(created=False, uuid=requested_uuid, signal=EVENT_SIGNAL)
    return WriteResult(created=False, uuid=item["uuid"]["S"], signal=item["signal"]["S"], existing=item)


def transact(actions: list[dict[str, Any]], *, store: str) -> list[dict[str, Any] | None] | None:
    """Run the transaction: None when it committed, else per action the existing item where that
    action's condition failed (None elsewhere).

    A conflict with a concurrent transaction on the same item is retried: the retry then sees the
    winner's item and answers duplicate.
    """
    for attempt in range(_CONFLICT_RETRIES):
        try:
            clients.dynamodb().transact_write_items(TransactItems=actions, ClientRequestToken=str(uuid_module.uuid4()))
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise store_failure(store, error) from error
            reasons = error.response.get("CancellationReasons") or []
            codes = {reason.get("Code") for reason in reasons}
            if "ConditionalCheckFailed" in codes:
                return [
                    reason.get("Item") if reason.get("Code") == "ConditionalCheckFailed" else None for reason in reasons
                ]
            if "TransactionConflict" in codes and attempt + 1 < _CONFLICT_RETRIES:
                time.sleep(0.02 * (attempt + 1))
                continue
            raise store_failure(store, error) from error
        except BotoCoreError as error:
            raise store_failure(store, error) from error
        return None
    raise StoreUnavailable(store)


def existing_records(
    project_id: str, uuids: list[str], spans: list[tuple[str, str]]
) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Which uuids are claimed already (uuid -> signal) and which (trace_id, span_id) exist (-> uuid).

    Claims: BatchGetItem, 100 keys a call, strongly consistent so a just-committed batch is seen.
    Span identities: the `traces` index (traces_index.py).
    """
    table = get_settings().events_table
    claims: dict[str, str] = {}
    for start in range(0, len(uuids), _BATCH_GET_KEYS):
        keys = [event_key(project_id, uuid) for uuid in uuids[start : start + _BATCH_GET_KEYS]]
        request = {table: {"Keys": keys, "ConsistentRead": True, **_CLAIM_PROJECTION}}
        for item in _batch_get(request).get(table, []):
            claims[item["uuid"]["S"]] = item["signal"]["S"]
    return claims, stored_span_uuids(project_id, spans) if spans else {}


# Read only what duplicate detection needs.
_CLAIM_PROJECTION = {"ProjectionExpression": "#u, #s", "ExpressionAttributeNames": {"#u": "uuid", "#s": "signal"}}


def _batch_get(request: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for attempt in range(_UNPROCESSED_RETRIES):
        try:
            response = clients.dynamodb().batch_get_item(RequestItems=request)
        except (ClientError, BotoCoreError) as error:
            raise StoreUnavailable("events") from error
        for table, items in response.get("Responses", {}).items():
            found.setdefault(table, []).extend(items)
        request = response.get("UnprocessedKeys") or {}
        if not request:
            return found
        time.sleep(0.05 * 2**attempt)
    raise StoreUnavailable("events")
