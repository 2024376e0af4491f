"""Rate-limit counters: one atomic UpdateItem per check (ADD returns the new count)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from logister_common.contract.errors import StoreUnavailable
from logister_common.runtime.settings import get_settings
from logister_common.storage import clients


def increment(key: str, amount: int, expires_at: int) -> int:
    """Add `amount` to the counter and return its new value; StoreUnavailable when that fails."""
    try:
        response = clients.dynamodb().update_item(
            TableName=get_settings().rate_limits_table,
            Key={"key": {"S": key}},
            UpdateExpression="ADD n :amount SET expires_at = if_not_exists(expires_at, :expires_at)",
            ExpressionAttributeValues={":amount": {"N": str(amount)}, ":expires_at": {"N": str(expires_at)}},
            ReturnValues="UPDATED_NEW",
        )
    except (ClientError, BotoCoreError) as error:
        raise StoreUnavailable("rate_limits") from error
    return int(response["Attributes"]["n"]["N"])
