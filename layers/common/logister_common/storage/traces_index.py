"""The events table's `traces` index: span items by (project + trace id, span id).

A span is one item of the events table, keyed by its uuid like every record, so one conditional
Put stores it and a batch of 100 spans fits one transaction. The index finds a trace's spans and a
span identity stored under another uuid. It is eventually consistent (usually well under a second):
SDKs send no uuid, so a span's uuid is derived from its identity (contract §1.6) and the uuid key
alone keeps each span once; only two different client uuids for one span identity, sent within the
index's lag, can both be stored, and a trace is read with one span per span id.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from logister_common.runtime.settings import get_settings
from logister_common.storage import clients
from logister_common.storage.items import plain
from logister_common.storage.write_failures import store_failure

INDEX_NAME = "traces"
# Duplicate checks of a batch's span identities run this many queries at a time (a batch holds 100 at most).
_PARALLEL_QUERIES = 8
_TRACE_FIELDS = "span_id, parent_span_id, #name, kind, #status, started_at, ended_at, duration_ms, #uuid, received_at"


def trace_key(project_id: str, trace_id: str) -> str:
    return f"{project_id}#{trace_id}"


def trace_spans(project_id: str, trace_id: str) -> list[dict[str, Any]]:
    """Every stored span of the trace, one per span id (the earliest received), in no particular order."""
    paginator = clients.dynamodb().get_paginator("query")
    spans: dict[str, dict[str, Any]] = {}
    for page in paginator.paginate(
        TableName=get_settings().events_table,
        IndexName=INDEX_NAME,
        KeyConditionExpression="trace_key = :trace",
        ExpressionAttributeValues={":trace": {"S": trace_key(project_id, trace_id)}},
        ProjectionExpression=_TRACE_FIELDS,
        ExpressionAttributeNames={"#name": "name", "#status": "status", "#uuid": "uuid"},
    ):
        for item in page["Items"]:
            span = plain(item)
            known = spans.get(span["span_id"])
            if known is None or _arrival(span) < _arrival(known):
                spans[span["span_id"]] = span
    return list(spans.values())


def _arrival(span: dict[str, Any]) -> tuple[str, str]:
    return str(span.get("received_at", "")), str(span["uuid"])


def stored_span_uuids(project_id: str, identities: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Which (trace_id, span_id) are stored already, and under which uuid."""
    wanted = list(dict.fromkeys(identities))
    if len(wanted) <= 1:
        found = [_stored_uuid(project_id, identity) for identity in wanted]
    else:
        with ThreadPoolExecutor(max_workers=min(_PARALLEL_QUERIES, len(wanted))) as pool:
            # Each query runs in a copy of this context: the request's deadline applies to it too.
            found = list(pool.map(lambda identity: copy_context().run(_stored_uuid, project_id, identity), wanted))
    return {identity: uuid for identity, uuid in zip(wanted, found, strict=True) if uuid is not None}


def _stored_uuid(project_id: str, identity: tuple[str, str]) -> str | None:
    trace_id, span_id = identity
    try:
        response = clients.dynamodb().query(
            TableName=get_settings().events_table,
            IndexName=INDEX_NAME,
            KeyConditionExpression="trace_key = :trace AND span_id = :span",
            ExpressionAttributeValues={
                ":trace": {"S": trace_key(project_id, trace_id)},
                ":span": {"S": span_id},
            },
            ProjectionExpression="#uuid, received_at",
            ExpressionAttributeNames={"#uuid": "uuid"},
        )
    except (ClientError, BotoCoreError) as error:
        raise store_failure("spans", error) from error
    items = sorted(response["Items"], key=lambda item: (item.get("received_at", {}).get("S", ""), item["uuid"]["S"]))
    return items[0]["uuid"]["S"] if items else None
