"""Turning changes of the monitors table (its DynamoDB stream) into alerts."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from logister_common.monitors.rules import Monitor, transition
from logister_common.runtime.telemetry import count, logger
from logister_common.storage import alert_topic


def alert_for_change(record: DynamoDBRecord) -> None:
    """Publish the alert one stream record calls for, if any. Raises to have the record retried."""
    change = record.dynamodb
    if change is None or not change.get("NewImage"):
        return  # a removed monitor alerts nothing
    old = Monitor.from_item(change.old_image) if change.get("OldImage") else None
    alert = transition(old, Monitor.from_item(change.new_image))
    if alert is None:
        return
    alert_topic.publish(alert.subject, alert.message(), alert.kind)
    count(alert.kind)
    logger.info("alert published", extra=alert.message())
