"""Monitor alerts, published to the alerts SNS topic."""

from __future__ import annotations

import json
from typing import Any

from logister_common.runtime.settings import get_settings
from logister_common.storage import clients


def publish(subject: str, message: dict[str, Any], kind: str) -> None:
    """One message per transition; its `transition_id` lets subscribers drop a redelivered one."""
    clients.sns().publish(
        TopicArn=get_settings().alert_topic_arn,
        Subject=subject,
        Message=json.dumps(message, separators=(",", ":")),
        MessageAttributes={"kind": {"DataType": "String", "StringValue": kind}},
    )
