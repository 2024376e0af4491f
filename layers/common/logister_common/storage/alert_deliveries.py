"""Alert deliveries: one claim per transition_id, written before its alert is published.

The monitors stream delivers a record again whenever a batch is retried, so the alerts function
claims each transition with a conditional write before publishing, and publishes only when the
claim is new: at most one message per transition, however often its record comes back.

An item is keyed by transition_id and holds `claimed_at` while a publish may have happened, then
`published_at` once SNS accepted the message. A claim is released (claimed_at removed) only when
SNS answered that it published nothing, so the retry can publish. A claim found without
`published_at` is "unconfirmed": the function stopped between claim and confirmation (a crash, a
timeout, no answer from SNS), and whether the alert went out is unknown; it is not published again.
Items expire (TTL) well after the stream's 24 hours, past any redelivery.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from botocore.exceptions import ClientError

from logister_common.contract.times import iso_utc
from logister_common.runtime.settings import get_settings
from logister_common.storage import clients

KEEP_SECONDS = 7 * 86_400


class Claim(Enum):
    NEW = "new"  # this caller publishes
    PUBLISHED = "published"  # published before
    UNCONFIRMED = "unconfirmed"  # claimed before, publish unknown


def claim(transition_id: str, project_id: str, kind: str, now: datetime) -> Claim:
    """Claim the transition's alert; only a NEW claim may publish it."""
    try:
        clients.dynamodb().update_item(
            **_key(transition_id),
            UpdateExpression="SET claimed_at = :now, project_id = :project, alert_kind = :kind, expires_at = :expires",
            ConditionExpression="attribute_not_exists(claimed_at)",
            ExpressionAttributeValues={
                ":now": {"S": iso_utc(now)},
                ":project": {"S": project_id},
                ":kind": {"S": kind},
                ":expires": {"N": str(int(now.timestamp()) + KEEP_SECONDS)},
            },
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        existing = error.response.get("Item") or {}
        return Claim.PUBLISHED if "published_at" in existing else Claim.UNCONFIRMED
    return Claim.NEW


def confirm(transition_id: str, now: datetime) -> None:
    """SNS accepted the alert."""
    clients.dynamodb().update_item(
        **_key(transition_id),
        UpdateExpression="SET published_at = :now",
        ExpressionAttributeValues={":now": {"S": iso_utc(now)}},
    )


def release(transition_id: str) -> None:
    """SNS published nothing: the next delivery of the record may claim and publish again."""
    clients.dynamodb().update_item(**_key(transition_id), UpdateExpression="REMOVE claimed_at")


def _key(transition_id: str) -> dict[str, Any]:
    return {"TableName": get_settings().alert_deliveries_table, "Key": {"transition_id": {"S": transition_id}}}
