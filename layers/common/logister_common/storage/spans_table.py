"""Spans, keyed by (project + trace id, span id): written with their uuid claims (events_table.py),
read a trace at a time by the operator CLI."""

from __future__ import annotations

from typing import Any

from logister_common.runtime.settings import get_settings
from logister_common.storage import clients
from logister_common.storage.items import plain


def trace_key(project_id: str, trace_id: str) -> str:
    return f"{project_id}#{trace_id}"


def trace_spans(project_id: str, trace_id: str) -> list[dict[str, Any]]:
    """Every stored span of the trace (one Query, paginated), in no particular order."""
    paginator = clients.dynamodb().get_paginator("query")
    spans = []
    for page in paginator.paginate(
        TableName=get_settings().spans_table,
        KeyConditionExpression="trace_key = :trace",
        ExpressionAttributeValues={":trace": {"S": trace_key(project_id, trace_id)}},
        ProjectionExpression=(
            "span_id, parent_span_id, #name, kind, #status, started_at, ended_at, duration_ms, #uuid, received_at"
        ),
        ExpressionAttributeNames={"#name": "name", "#status": "status", "#uuid": "uuid"},
        ConsistentRead=True,
    ):
        spans += [plain(item) for item in page["Items"]]
    return spans
