"""Turning changes of the monitors table (its DynamoDB stream) into alerts."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from .monitors import transition
from .stores import alert_publisher
from .telemetry import count, logger

_deserializer = TypeDeserializer()


def alert_for_change(record: dict[str, Any]) -> None:
    """Publish the alert one stream record calls for, if any. Raises to have the record retried."""
    change = record.get("dynamodb") or {}
    if "NewImage" not in change:
        return  # a removed monitor alerts nothing
    new = _plain(change["NewImage"])
    old = _plain(change["OldImage"]) if "OldImage" in change else None
    alert = transition(old, new)
    if alert is None:
        return
    alert_publisher.publish(alert)
    count(alert.kind)
    logger.info("alert published", extra=alert.message())


def _plain(image: dict[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in image.items()}
