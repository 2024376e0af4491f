"""Reads of events, spans and error groups for the operator CLI. Queries only, never a Scan.

- What arrived: the events table's by_day index, whose partition is (project, UTC day of arrival,
  shard) and sort key received_at. Walking days backwards from now, the shards of each day are
  queried newest first (in parallel) and merged, until the limit or the start of the window.
- A trace: one Query of the spans table on (project + trace_id).
- The error inbox: one Query of the project's error groups, newest activity first.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import Any

from ..clock import iso_utc
from ..settings import get_settings
from . import clients
from .event_store import DAY_SHARDS, SPAN_SIGNAL, day_key, trace_key
from .items import plain

DAY_INDEX = "by_day"
_PARALLEL_QUERIES = 10  # botocore keeps 10 connections per client by default


def recent_events(
    project_id: str,
    *,
    since: datetime,
    now: datetime,
    limit: int,
    event_type: str | None = None,
    environment: str | None = None,
) -> list[dict[str, Any]]:
    """Up to `limit` records received in [since, now] (events, check-ins and spans), newest first.

    `event_type` "span" selects spans; any other value selects events of that type. Days are read in
    rounds of 1, 2, 4, ... days (each partition newest first, at most what is still wanted), so a
    busy project costs one round and a quiet one a few, however long the window.
    """
    client = clients.dynamodb()  # created here: boto3 clients are thread-safe, their creation is not
    filters = _filters(event_type, environment)
    lower = iso_utc(since)
    first_day = since.astimezone(UTC).date()
    day = now.astimezone(UTC).date()
    found: list[dict[str, Any]] = []
    days_per_round = 1
    with ThreadPoolExecutor(max_workers=_PARALLEL_QUERIES) as pool:
        while day >= first_day and len(found) < limit:
            wanted = limit - len(found)
            days = [day - timedelta(days=offset) for offset in range(days_per_round)]
            keys = [
                day_key(project_id, moment.isoformat(), shard)
                for moment in days
                if moment >= first_day
                for shard in range(DAY_SHARDS)
            ]
            pages = pool.map(_newest, repeat(client), keys, repeat(lower), repeat(wanted), repeat(filters))
            merged = sorted(
                (item for page in pages for item in page),
                key=lambda item: (item["received_at"], item["uuid"]),
                reverse=True,
            )
            found += merged[:wanted]
            day -= timedelta(days=days_per_round)
            days_per_round *= 2
    return [_listed(project_id, item) for item in found]


def _filters(event_type: str | None, environment: str | None) -> dict[str, Any]:
    clauses, names, values = [], {}, {}
    if event_type == SPAN_SIGNAL:
        clauses.append("#signal = :signal")
        names["#signal"], values[":signal"] = "signal", {"S": SPAN_SIGNAL}
    elif event_type:
        clauses.append("event_type = :type")
        values[":type"] = {"S": event_type}
    if environment:
        clauses.append("#environment = :environment")
        names["#environment"], values[":environment"] = "environment", {"S": environment}
    if not clauses:
        return {}
    filters: dict[str, Any] = {"FilterExpression": " AND ".join(clauses), "ExpressionAttributeValues": values}
    if names:
        filters["ExpressionAttributeNames"] = names
    return filters


def _newest(client: Any, key: str, lower: str, wanted: int, filters: dict[str, Any]) -> list[dict[str, Any]]:
    """Up to `wanted` items of one partition received at or after `lower`, newest first."""
    arguments: dict[str, Any] = {
        "TableName": get_settings().events_table,
        "IndexName": DAY_INDEX,
        "KeyConditionExpression": "project_day = :day AND received_at >= :lower",
        "ScanIndexForward": False,
        **filters,
    }
    arguments["ExpressionAttributeValues"] = {
        ":day": {"S": key},
        ":lower": {"S": lower},
        **filters.get("ExpressionAttributeValues", {}),
    }
    if not filters:
        arguments["Limit"] = wanted  # with a filter, a page's Limit counts the items read, not those kept
    items: list[dict[str, Any]] = []
    while len(items) < wanted:
        response = client.query(**arguments)
        items += response["Items"]
        if "LastEvaluatedKey" not in response:
            break
        arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    return [plain(item) for item in items[:wanted]]


def _listed(project_id: str, item: dict[str, Any]) -> dict[str, Any]:
    is_span = item.get("signal") == SPAN_SIGNAL
    return {
        "id": item["uuid"],
        "type": SPAN_SIGNAL if is_span else item.get("event_type"),
        "level": item.get("level"),
        "environment": item.get("environment"),
        "title": item.get("title"),
        "occurred_at": item.get("occurred_at"),
        "received_at": item["received_at"],
        "trace_id": item["trace_key"].removeprefix(f"{project_id}#") if is_span and "trace_key" in item else None,
    }


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


def error_groups(project_id: str) -> list[dict[str, Any]]:
    """The project's error groups, most recently seen first."""
    paginator = clients.dynamodb().get_paginator("query")
    groups = []
    for page in paginator.paginate(
        TableName=get_settings().error_groups_table,
        KeyConditionExpression="project_id = :project",
        ExpressionAttributeValues={":project": {"S": project_id}},
        ConsistentRead=True,
    ):
        groups += [plain(item) for item in page["Items"]]
    groups.sort(key=lambda group: (group.get("last_seen") or "", group["group_id"]), reverse=True)
    return groups
