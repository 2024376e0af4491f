"""Monitors: read, computed by monitors/rules.py, written back conditional on the version read; a
sharded sparse index of due monitors.

An item is keyed by (project, environment#slug) and holds what monitors/rules.py reads as a
`Monitor`. Alerts are not sent from here: the monitors table's stream carries every change to the
alerts function, which publishes one message per status transition.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Collection, Iterator
from typing import Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from logister_common.contract.errors import StoreUnavailable
from logister_common.runtime.settings import get_settings
from logister_common.storage import clients
from logister_common.storage.items import plain, typed
from logister_common.storage.write_failures import store_failure

DUE_INDEX = "due"
# The due index is spread over SHARDS partitions so that no partition gets hot.
SHARDS = 16
_BATCH_GET_KEYS = 100
_UNPROCESSED_RETRIES = 5


def monitor_key(environment: str, slug: str) -> str:
    """Sort key within a project; '%' and '#' in the environment are escaped so keys never collide."""
    return f"{environment.replace('%', '%25').replace('#', '%23')}#{slug}"


def shard_for(project_id: str, key: str) -> str:
    digest = hashlib.sha256(f"{project_id}/{key}".encode()).digest()
    return str(digest[0] % SHARDS)


class MonitorChanged(Exception):
    """Another writer changed the monitor since it was read: read it again."""


class DueMonitor(NamedTuple):
    project_id: str
    monitor_key: str
    due_at: int
    paused: bool


def monitor_items(project_id: str, keys: Collection[str]) -> dict[str, dict[str, Any]]:
    """The project's monitors with these keys that exist, as plain values (BatchGetItem, strongly consistent:
    a check-in computes the monitor's next state from what it reads)."""
    table = get_settings().monitors_table
    found: dict[str, dict[str, Any]] = {}
    wanted = list(keys)
    for start in range(0, len(wanted), _BATCH_GET_KEYS):
        request: dict[str, Any] = {
            table: {
                "Keys": [_key(project_id, key) for key in wanted[start : start + _BATCH_GET_KEYS]],
                "ConsistentRead": True,
            }
        }
        for attempt in range(_UNPROCESSED_RETRIES):
            try:
                response = clients.dynamodb().batch_get_item(RequestItems=request)
            except (ClientError, BotoCoreError) as error:
                raise StoreUnavailable("monitors") from error
            for item in response.get("Responses", {}).get(table, []):
                found[item["monitor_key"]["S"]] = plain(item)
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            time.sleep(0.05 * 2**attempt)
        else:
            raise StoreUnavailable("monitors")
    return found


def monitor_item(project_id: str, key: str) -> dict[str, Any] | None:
    """One monitor, strongly consistent; None when there is none."""
    try:
        response = clients.dynamodb().get_item(
            TableName=get_settings().monitors_table, Key=_key(project_id, key), ConsistentRead=True
        )
    except (ClientError, BotoCoreError) as error:
        raise StoreUnavailable("monitors") from error
    item = response.get("Item")
    return plain(item) if item else None


def _key(project_id: str, key: str) -> dict[str, Any]:
    return {"project_id": {"S": project_id}, "monitor_key": {"S": key}}


def monitor_put(item: dict[str, Any], read_seq: int | None, existed: bool) -> dict[str, Any]:
    """The Put of a monitor's next state (plain values from monitors/rules.py), conditional on the version
    read: a concurrent writer (another check-in, the sweeper, an operator) makes it fail, and the caller
    reads again. A monitor in the due index gets its shard."""
    project_id, key = item["project_id"], item["monitor_key"]
    stored = {**item, "seq": (read_seq or 0) + 1}
    stored.pop("due_shard", None)
    if stored.get("due_at") is not None:
        stored["due_shard"] = shard_for(project_id, key)
    values: dict[str, Any] = {}
    if not existed:
        condition = "attribute_not_exists(project_id)"
    elif read_seq is None:  # stored before monitors had versions
        condition = "attribute_exists(project_id) AND attribute_not_exists(seq)"
    else:
        condition, values = "seq = :seq", {":seq": {"N": str(read_seq)}}
    put: dict[str, Any] = {
        "TableName": get_settings().monitors_table,
        "Item": typed(stored),
        "ConditionExpression": condition,
    }
    if values:
        put["ExpressionAttributeValues"] = values
    return put


def write_monitor(put: dict[str, Any]) -> bool:
    """Write a monitor's next state alone; False when another writer changed it since it was read."""
    try:
        clients.dynamodb().put_item(**put)
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
