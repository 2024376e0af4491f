"""Turning changes of the monitors table (its DynamoDB stream) into alerts.

One record never holds the shard nor replays another project's alert: a record whose alert cannot
be built or that SNS refuses is reported to StreamFailureQueue and skipped at once, and every alert
is claimed before it is published (storage/alert_deliveries.py), so a redelivered batch publishes
nothing twice. Only transient failures (the claims table, SNS or the queue unreachable) raise, so
the stream retries from that record.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from logister_common.monitors.rules import Alert, Monitor, transition
from logister_common.runtime.clock import utc_now
from logister_common.runtime.telemetry import count, logger
from logister_common.storage import alert_deliveries, alert_topic, failure_queue
from logister_common.storage.alert_deliveries import Claim

PART = "monitor_alerts"


def alert_for_change(record: DynamoDBRecord) -> None:
    """Publish the alert one stream record calls for, if any, at most once. Raises to have the record retried."""
    try:
        alert = _alert_of(record)
        message = alert.message() if alert is not None else {}
    except Exception as error:  # pure code on this record's values: every retry would raise the same
        _skip(record, "alert_unrenderable", f"alert cannot be built: {error!r}")
        return
    if alert is None:
        return
    claim = alert_deliveries.claim(alert.transition_id, alert.project_id, alert.kind, utc_now())
    if claim is Claim.PUBLISHED:
        count("alert_already_published")
        return
    if claim is Claim.UNCONFIRMED:
        _skip(record, "alert_unconfirmed", f"alert {alert.transition_id} was claimed but never confirmed: check it")
        return
    try:
        alert_topic.publish(alert.subject, message, alert.kind, alert.project_id)
    except alert_topic.Undeliverable as error:
        alert_deliveries.release(alert.transition_id)
        _skip(record, "alert_undeliverable", f"SNS refused alert {alert.transition_id}: {error}")
        return
    except alert_topic.NotPublished:
        alert_deliveries.release(alert.transition_id)  # nothing went out: the retry publishes
        raise
    alert_deliveries.confirm(alert.transition_id, utc_now())
    count(alert.kind)
    logger.info("alert published", extra=message)


def _alert_of(record: DynamoDBRecord) -> Alert | None:
    change = record.dynamodb
    if change is None or not change.get("NewImage"):
        return None  # a removed monitor alerts nothing
    old = Monitor.from_item(change.old_image) if change.get("OldImage") else None
    return transition(old, Monitor.from_item(change.new_image))


def _skip(record: DynamoDBRecord, metric: str, reason: str) -> None:
    failure_queue.report(record.raw_event, PART, reason)
    count(metric)
    logger.warning("alert skipped", extra={"reason": reason, "event_id": record.event_id})
