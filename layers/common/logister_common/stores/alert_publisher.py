"""Monitor alerts, published to the alerts SNS topic."""

from __future__ import annotations

import json

from ..monitors import Alert
from ..settings import get_settings
from . import clients


def publish(alert: Alert) -> None:
    """One message per transition; `transition_id` lets subscribers drop a redelivered one."""
    message = alert.message()
    clients.sns().publish(
        TopicArn=get_settings().alert_topic_arn,
        Subject=f"[logister] {alert.kind}: {alert.slug} ({alert.environment})"[:100],
        Message=json.dumps(message, separators=(",", ":")),
        MessageAttributes={"kind": {"DataType": "String", "StringValue": alert.kind}},
    )
