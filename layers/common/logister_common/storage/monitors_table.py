"""Monitors: one conditional write per check-in, a sharded sparse index of due monitors.

An item is keyed by (project, environment#slug) and holds what monitors/rules.py reads as a
`Monitor`. Alerts are not sent from here: the monitors table's stream carries every change to the
alerts function, which publishes one message per status transition.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from logister_common.contract.check_in_fields import MISSED, CheckIn
from logister_common.contract.errors import StoreUnavailable
from logister_common.contract.times import iso_utc
from logister_common.runtime.settings import get_settings
from logister_common.storage import clients
from logister_common.storage.items import plain
from logister_common.storage.write_failures import store_failure

DUE_INDEX = "due"
# The due index is spread over SHARDS partitions so that no partition gets hot.
SHARDS = 16
# Only applied when newer than the latest applied check-in (or the monitor is new).
_NEWER = (
    "attribute_not_exists(project_id) OR last_check_in_us < :moment "
    "OR (last_check_in_us = :moment AND last_event_id < :event)"
)
_BATCH_GET_KEYS = 100
_UNPROCESSED_RETRIES = 5


def monitor_key(environment: str, slug: str) -> str:
    """Sort key within a project; '%' and '#' in the environment are escaped so keys never collide."""
    return f"{environment.replace('%', '%25').replace('#', '%23')}#{slug}"


def shard_for(project_id: str, key: str) -> str:
    digest = hashlib.sha256(f"{project_id}/{key}".encode()).digest()
    return str(digest[0] % SHARDS)


@dataclass(frozen=True, slots=True)
class DueMonitor:
    project_id: str
    monitor_key: str
    due_at: int
    paused: bool


def existing_monitor_keys(project_id: str, keys: Collection[str]) -> set[str]:
    """Which of the project's monitor keys exist (BatchGetItem, keys only).

    Eventually consistent is enough: monitors are never deleted, so a stale read can only miss a
    monitor just created, which then costs its registration's conditional write (auth_table).
    """
    table = get_settings().monitors_table
    found: set[str] = set()
    wanted = list(keys)
    for start in range(0, len(wanted), _BATCH_GET_KEYS):
        request: dict[str, Any] = {
            table: {
                "Keys": [_key(project_id, key) for key in wanted[start : start + _BATCH_GET_KEYS]],
                "ProjectionExpression": "monitor_key",
            }
        }
        for attempt in range(_UNPROCESSED_RETRIES):
            try:
                response = clients.dynamodb().batch_get_item(RequestItems=request)
            except (ClientError, BotoCoreError) as error:
                raise StoreUnavailable("monitors") from error
            found.update(item["monitor_key"]["S"] for item in response.get("Responses", {}).get(table, []))
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            time.sleep(0.05 * 2**attempt)
        else:
            raise StoreUnavailable("monitors")
    return found


def _key(project_id: str, key: str) -> dict[str, Any]:
    return {"project_id": {"S": project_id}, "monitor_key": {"S": key}}


def check_in_order(check_in: CheckIn) -> tuple[int, str]:
    """The order `_NEWER` applies check-ins in: the later one wins, ties broken by event id.

    Microseconds, as precise as the ISO times clients send: two check-ins in one second still order.
    """
    return round(check_in.occurred_at.timestamp() * 1_000_000), check_in.event_id


def check_in_update(
    project_id: str, check_in: CheckIn, *, status: str, due_at: int | None, now: datetime
) -> dict[str, Any]:
    """The conditional Update recording the check-in on its monitor with the status and due time
    the rules gave it; it applies only when newer than the monitor's latest check-in.

    `due_at` None takes the monitor out of the due index: the rules' answer for an error check-in,
    which this records as the monitor's last error.
    """
    key = monitor_key(check_in.environment, check_in.slug)
    moment, _ = check_in_order(check_in)
    values: dict[str, Any] = {
        ":slug": {"S": check_in.slug},
        ":environment": {"S": check_in.environment},
        ":interval": {"N": str(check_in.interval_seconds)},
        ":at": {"S": iso_utc(check_in.occurred_at)},
        ":moment": {"N": str(moment)},
        ":status": {"S": check_in.status[:256]},
        ":health": {"S": status},
        ":event": {"S": check_in.event_id},
        ":now": {"S": iso_utc(now)},
    }
    assignments = [
        "slug = :slug",
        "environment = :environment",
        "interval_seconds = :interval",
        "last_check_in_at = :at",
        "last_check_in_us = :moment",
        "last_status = :status",
        "#status = :health",
        "last_event_id = :event",
        "updated_at = :now",
        "created_at = if_not_exists(created_at, :now)",
    ]
    if due_at is None:
        assignments.append("last_error_at = :at")
        expression = f"SET {', '.join(assignments)} REMOVE due_at, due_shard, missed_due_at"
    else:
        values[":due"] = {"N": str(due_at)}
        values[":shard"] = {"S": shard_for(project_id, key)}
        values[":zero"] = {"N": "0"}
        # Logister quirk, kept on purpose (contract §7): the missed counter is reset by every
        # non-error check-in and never incremented anywhere.
        assignments += ["due_at = :due", "due_shard = :shard", "consecutive_missed_count = :zero"]
        expression = f"SET {', '.join(assignments)} REMOVE missed_due_at"
    return {
        "TableName": get_settings().monitors_table,
        "Key": {"project_id": {"S": project_id}, "monitor_key": {"S": key}},
        "UpdateExpression": expression,
        "ConditionExpression": _NEWER,
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": values,
    }


def record_check_in(project_id: str, check_in: CheckIn, *, status: str, due_at: int | None, now: datetime) -> bool:
    """Apply the check-in to its monitor alone (`check_in_update`); False when a newer one was applied already."""
    try:
        clients.dynamodb().update_item(**check_in_update(project_id, check_in, status=status, due_at=due_at, now=now))
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise store_failure("monitors", error) from error
    except BotoCoreError as error:
        raise store_failure("monitors", error) from error
    return True


def due_monitors(now_epoch: int) -> Iterator[DueMonitor]:
    """Monitors whose due_at has passed: one Query per shard of the sparse index, never a Scan."""
    paginator = clients.dynamodb().get_paginator("query")
    for shard in range(SHARDS):
        for page in paginator.paginate(
            TableName=get_settings().monitors_table,
            IndexName=DUE_INDEX,
            KeyConditionExpression="due_shard = :shard AND due_at <= :now",
            ExpressionAttributeValues={":shard": {"S": str(shard)}, ":now": {"N": str(now_epoch)}},
        ):
            for item in page["Items"]:
                yield DueMonitor(
                    project_id=item["project_id"]["S"],
                    monitor_key=item["monitor_key"]["S"],
                    due_at=int(item["due_at"]["N"]),
                    paused="paused_at" in item,
                )


def mark_missed(monitor: DueMonitor, now: datetime) -> bool:
    """Flip to missed, keyed on the due_at that was read: of overlapping sweeps exactly one wins."""
    return _leave_index(
        monitor,
        "SET #status = :missed, missed_due_at = :due, missed_at = :now REMOVE due_at, due_shard",
        {":missed": {"S": MISSED}, ":now": {"S": iso_utc(now)}},
    )


def drop_from_index(monitor: DueMonitor) -> bool:
    """A paused monitor, or one of an archived project, leaves the index without a transition."""
    return _leave_index(monitor, "REMOVE due_at, due_shard", {})


def _leave_index(monitor: DueMonitor, expression: str, values: dict[str, Any]) -> bool:
    arguments: dict[str, Any] = {
        "TableName": get_settings().monitors_table,
        "Key": {"project_id": {"S": monitor.project_id}, "monitor_key": {"S": monitor.monitor_key}},
        "UpdateExpression": expression,
        "ConditionExpression": "due_at = :due",
        "ExpressionAttributeValues": {":due": {"N": str(monitor.due_at)}, **values},
    }
    if "#status" in expression:
        arguments["ExpressionAttributeNames"] = {"#status": "status"}
    try:
        clients.dynamodb().update_item(**arguments)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


# The operator CLI (logister-admin).


def project_monitors(project_id: str) -> list[dict[str, Any]]:
    """Every monitor of the project (one Query, paginated), as plain values."""
    monitors = []
    for page in (
        clients.dynamodb()
        .get_paginator("query")
        .paginate(
            TableName=get_settings().monitors_table,
            KeyConditionExpression="project_id = :project",
            ExpressionAttributeValues={":project": {"S": project_id}},
            ConsistentRead=True,
        )
    ):
        monitors += [plain(item) for item in page["Items"]]
    return monitors


def pause(project_id: str, key: str, now: datetime) -> dict[str, Any] | None:
    """Pause the monitor: it leaves the due index (check-ins still apply). None when there is no such monitor."""
    return _operator_update(
        project_id,
        key,
        "SET paused_at = if_not_exists(paused_at, :now) REMOVE due_at, due_shard",
        "attribute_exists(project_id)",
        {":now": {"S": iso_utc(now)}},
    )


def resume(project_id: str, key: str, last_check_in_us: int | None, due_at: int | None) -> dict[str, Any] | None:
    """Unpause the monitor, back in the due index at `due_at` (None: it cannot become missed now).

    Applies only if no check-in arrived since `last_check_in_us` was read (None when the caller must retry).
    """
    values: dict[str, Any] = {}
    if last_check_in_us is None:
        condition = "attribute_exists(project_id) AND attribute_not_exists(last_check_in_us)"
    else:
        condition = "last_check_in_us = :seen"
        values[":seen"] = {"N": str(last_check_in_us)}
    if due_at is None:
        expression = "REMOVE paused_at, due_at, due_shard"
    else:
        expression = "SET due_at = :due, due_shard = :shard REMOVE paused_at"
        values[":due"] = {"N": str(due_at)}
        values[":shard"] = {"S": shard_for(project_id, key)}
    return _operator_update(project_id, key, expression, condition, values)


def _operator_update(
    project_id: str, key: str, expression: str, condition: str, values: dict[str, Any]
) -> dict[str, Any] | None:
    arguments: dict[str, Any] = {
        "TableName": get_settings().monitors_table,
        "Key": {"project_id": {"S": project_id}, "monitor_key": {"S": key}},
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ReturnValues": "ALL_NEW",
    }
    if values:
        arguments["ExpressionAttributeValues"] = values
    try:
        return plain(clients.dynamodb().update_item(**arguments)["Attributes"])
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
