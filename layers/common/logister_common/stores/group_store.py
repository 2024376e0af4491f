"""Error groups, keyed by (project, group id)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..settings import get_settings
from . import clients

if TYPE_CHECKING:
    from ..error_groups import Occurrences

SHORT_TEXT_MAX = 1_024
MAX_TRANSACTION_ACTIONS = 100


def add_occurrences(groups: list[Occurrences], token: str) -> None:
    """Count the occurrences, atomically per batch; `token` makes a redelivered batch a no-op."""
    for start in range(0, len(groups), MAX_TRANSACTION_ACTIONS):
        chunk = groups[start : start + MAX_TRANSACTION_ACTIONS]
        clients.dynamodb().transact_write_items(
            TransactItems=[{"Update": _update(group)} for group in chunk],
            ClientRequestToken=f"{token[:33]}{start // MAX_TRANSACTION_ACTIONS:03d}",
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
