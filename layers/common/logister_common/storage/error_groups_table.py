"""Error groups, keyed by (project, group id): counted by the events stream's consumer
(projections/group_counts.py), read by the operator CLI's error inbox.

Logister quirk, kept on purpose (contract §1.5): a group keeps the stage of its first event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from logister_common.runtime.settings import get_settings
from logister_common.storage import clients
from logister_common.storage.items import plain

SHORT_TEXT_MAX = 1_024
MAX_TRANSACTION_ACTIONS = 100


@dataclass(slots=True)
class Occurrences:
    project_id: str
    group_id: str
    fingerprint: str
    title: str
    count: int
    first_seen: str
    last_seen: str
    last_event_id: str
    severity: str
    stage: str


def add_occurrences(groups: list[Occurrences], token: str) -> None:
    """Count the occurrences in one transaction (at most MAX_TRANSACTION_ACTIONS groups); `token` makes
    a repeat of the same transaction within DynamoDB's 10-minute window a no-op."""
    if len(groups) > MAX_TRANSACTION_ACTIONS:
        raise ValueError(f"{len(groups)} groups: at most {MAX_TRANSACTION_ACTIONS} per transaction")
    clients.dynamodb().transact_write_items(
        TransactItems=[{"Update": _update(group)} for group in groups], ClientRequestToken=token
    )


def _update(group: Occurrences) -> dict[str, Any]:
    return {
        "TableName": get_settings().error_groups_table,
        "Key": {"project_id": {"S": group.project_id}, "group_id": {"S": group.group_id}},
        "UpdateExpression": (
            "ADD occurrences :count "
            "SET fingerprint = if_not_exists(fingerprint, :fingerprint), title = if_not_exists(title, :title), "
            "first_seen = if_not_exists(first_seen, :first), last_seen = :last, severity = :severity, "
            "stage = if_not_exists(stage, :stage), last_event_id = :event"
        ),
        "ExpressionAttributeValues": {
            ":count": {"N": str(group.count)},
            ":fingerprint": {"S": group.fingerprint[:SHORT_TEXT_MAX]},
            ":title": {"S": group.title[:SHORT_TEXT_MAX]},
            ":first": {"S": group.first_seen},
            ":last": {"S": group.last_seen},
            ":severity": {"S": group.severity[:SHORT_TEXT_MAX]},
            ":stage": {"S": group.stage[:SHORT_TEXT_MAX]},
            ":event": {"S": group.last_event_id},
        },
    }


def project_groups(project_id: str) -> list[dict[str, Any]]:
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
