"""Transaction aggregates per (project, environment, hour, transaction name): projections/performance.py
writes them from the events stream, the operator CLI reads them (`logister-admin performance`).

Keyed `project_id#environment` / `hour#name` (hour: YYYY-MM-DDTHH of arrival, UTC), so a time range of
one project and environment is one Query. Two more kinds of item share each hour's key range:
- `hour` alone: the hour's name directory (NAMES), the digests of the names admitted under the cap;
- `hour!other`: the names past the cap, folded into one aggregate ('!' sorts before '#').
And per project, keyed `project_id` alone (no environment's key, which always holds '#') / `hour`: the
hour's environment directory, the digests of the environments admitted under their cap.
Every write is a Put conditional on the version read (read-modify-write): the caller retries a lost race.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from logister_common.runtime.settings import get_settings
from logister_common.storage import clients

OTHER_MARK = "!other"
NAMES = "names"


@dataclass(slots=True)
class Aggregate:
    """One stored aggregate: `applied` holds the tokens of the last units written into it, oldest first."""

    project_id: str
    environment: str
    hour: str
    name: str | None  # None: the names folded past the cap
    count: int = 0
    errors: int = 0
    duration_sum: float = 0.0
    sketch: bytes = b""
    applied: list[str] = field(default_factory=list)
    expires_at: int = 0
    version: int = 0  # 0: not stored yet


def partition(project_id: str, environment: str) -> str:
    return f"{project_id}#{environment}"


def slot(hour: str, name: str | None) -> str:
    return hour + OTHER_MARK if name is None else f"{hour}#{name}"


def read(project_id: str, environment: str, hour: str, name: str | None) -> Aggregate:
    """The stored aggregate (strongly consistent), or an empty one at version 0."""
    item = _get(partition(project_id, environment), slot(hour, name))
    if item is None:
        return Aggregate(project_id, environment, hour, name)
    return _aggregate(project_id, environment, item)


def write(aggregate: Aggregate) -> bool:
    """Store `aggregate` as its next version; False when another writer changed it since it was read."""
    item = {
        "pk": {"S": partition(aggregate.project_id, aggregate.environment)},
        "sk": {"S": slot(aggregate.hour, aggregate.name)},
        "hour": {"S": aggregate.hour},
        "count": {"N": str(aggregate.count)},
        "errors": {"N": str(aggregate.errors)},
        "duration_sum": {"N": repr(aggregate.duration_sum)},
        "sketch": {"B": aggregate.sketch},
        "applied": {"L": [{"S": token} for token in aggregate.applied]},
        "expires_at": {"N": str(aggregate.expires_at)},
        "version": {"N": str(aggregate.version + 1)},
    }
    if aggregate.name is not None:
        item["name"] = {"S": aggregate.name}
    return _put_if_version(item, aggregate.version)


def admitted_names(project_id: str, environment: str, hour: str) -> tuple[set[str], int]:
    """The digests of the names the hour's directory admitted, and the directory's version (0: none)."""
    return _directory(partition(project_id, environment), hour)


def admit_names(project_id: str, environment: str, hour: str, names: set[str], version: int, expires_at: int) -> bool:
    """Store the directory as `names` (all of them, non-empty); False when it changed since `version`."""
    return _store_directory(partition(project_id, environment), hour, names, version, expires_at)


def admitted_environments(project_id: str, hour: str) -> tuple[set[str], int]:
    """The digests of the environments the project's hour admitted, and the directory's version (0: none)."""
    return _directory(project_id, hour)


def admit_environments(project_id: str, hour: str, environments: set[str], version: int, expires_at: int) -> bool:
    """Store the project's environment directory as `environments`; False when it changed since `version`."""
    return _store_directory(project_id, hour, environments, version, expires_at)


def _directory(pk: str, hour: str) -> tuple[set[str], int]:
    item = _get(pk, hour)
    if item is None:
        return set(), 0
    return set(item.get(NAMES, {}).get("SS", [])), int(item["version"]["N"])


def _store_directory(pk: str, hour: str, digests: set[str], version: int, expires_at: int) -> bool:
    item = {
        "pk": {"S": pk},
        "sk": {"S": hour},
        NAMES: {"SS": sorted(digests)},
        "expires_at": {"N": str(expires_at)},
        "version": {"N": str(version + 1)},
    }
    return _put_if_version(item, version)


def hours(project_id: str, environment: str, first_hour: str, last_hour: str) -> Iterator[Aggregate]:
    """The aggregates of these hours (inclusive), oldest first: one Query, directories skipped."""
    paginator = clients.dynamodb().get_paginator("query")
    for page in paginator.paginate(
        TableName=get_settings().performance_table,
        KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :last",
        ExpressionAttributeValues={
            ":pk": {"S": partition(project_id, environment)},
            ":first": {"S": first_hour},
            ":last": {"S": last_hour + "~"},  # '~' sorts after '#' and '!': the last hour's aggregates too
        },
    ):
        for item in page["Items"]:
            if "count" in item:
                yield _aggregate(project_id, environment, item)


def _aggregate(project_id: str, environment: str, item: dict[str, Any]) -> Aggregate:
    return Aggregate(
        project_id=project_id,
        environment=environment,
        hour=item["hour"]["S"],
        name=item["name"]["S"] if "name" in item else None,
        count=int(item["count"]["N"]),
        errors=int(item["errors"]["N"]),
        duration_sum=float(item["duration_sum"]["N"]),
        sketch=bytes(item["sketch"]["B"]),
        applied=[token["S"] for token in item.get("applied", {}).get("L", [])],
        expires_at=int(item["expires_at"]["N"]),
        version=int(item["version"]["N"]),
    )


def _get(pk: str, sk: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (
        clients.dynamodb()
        .get_item(
            TableName=get_settings().performance_table,
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return found


def _put_if_version(item: dict[str, Any], version: int) -> bool:
    condition = (
        {"ConditionExpression": "attribute_not_exists(pk)"}
        if version == 0
        else {"ConditionExpression": "version = :read", "ExpressionAttributeValues": {":read": {"N": str(version)}}}
    )
    try:
        clients.dynamodb().put_item(TableName=get_settings().performance_table, Item=item, **condition)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True
