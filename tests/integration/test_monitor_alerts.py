"""Alerts: the monitors table's stream through the real alerts function to the SNS topic.

The stream is delivered by the local emulation's poller (as Lambda's event source mapping would),
and an SQS queue subscribed to the topic collects what was published.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from logister_common.monitors.sweep import sweep
from tests.support import drain_queue


@pytest.fixture
def alerts(aws, deliver_streams) -> Callable[[], list[dict]]:
    """Deliver pending stream records; return the alert messages published since the last call."""
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic_arn = aws.environment["ALERT_TOPIC_ARN"]
    boto3.client("sns").subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )

    def deliver() -> list[dict]:
        deliver_streams()
        return drain_queue(queue_url)

    return deliver


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def kinds(messages: list[dict]) -> list[tuple[str, str]]:
    return [(message["kind"], message["slug"]) for message in messages]


def test_missed_then_recovered(check_in, project, alerts):
    late = iso(datetime.now(UTC) - timedelta(minutes=10))
    check_in(
        {"check_in": {"slug": "nightly", "expected_interval_seconds": 60, "occurred_at": late}}, token=project.token
    )
    assert alerts() == []  # a new ok monitor alerts nothing
    sweep()
    missed = alerts()
    assert kinds(missed) == [("monitor_missed", "nightly")]
    message = missed[0]
    assert (message["status"], message["previous_status"], message["environment"]) == ("missed", "ok", "test")
    assert message["project_id"] == project.project_id
    assert message["due_at"] and message["last_check_in_at"] and message["transition_id"]

    check_in({"check_in": {"slug": "nightly", "expected_interval_seconds": 60}}, token=project.token)
    recovered = alerts()
    assert kinds(recovered) == [("monitor_recovered", "nightly")]
    assert recovered[0]["previous_status"] == "missed"


def test_error_then_ok(check_in, project, alerts):
    check_in({"check_in": {"slug": "backup", "status": "error"}}, token=project.token)
    check_in({"check_in": {"slug": "backup", "status": "error"}}, token=project.token)
    check_in({"check_in": {"slug": "backup", "status": "ok"}}, token=project.token)
    assert kinds(alerts()) == [("monitor_error", "backup"), ("monitor_recovered", "backup")]


def test_two_overlapping_sweeps_send_one_alert(check_in, project, alerts):
    late = iso(datetime.now(UTC) - timedelta(minutes=10))
    check_in(
        {"check_in": {"slug": "nightly", "expected_interval_seconds": 60, "occurred_at": late}}, token=project.token
    )
    sweep()
    sweep()
    assert kinds(alerts()) == [("monitor_missed", "nightly")]


def test_a_duplicate_or_older_check_in_sends_nothing(check_in, project, alerts):
    now = datetime.now(UTC)
    uuid = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    check_in({"check_in": {"slug": "s", "status": "error", "uuid": uuid}}, token=project.token)
    assert kinds(alerts()) == [("monitor_error", "s")]
    check_in({"check_in": {"slug": "s", "status": "error", "uuid": uuid}}, token=project.token)
    older = iso(now - timedelta(hours=1))
    check_in({"check_in": {"slug": "s", "status": "ok", "occurred_at": older}}, token=project.token)
    assert alerts() == []


def test_a_paused_monitor_records_check_ins_but_alerts_nothing(check_in, project, alerts):
    from logister_common.runtime.settings import get_settings
    from logister_common.storage import clients
    from logister_common.storage.monitors_table import monitor_key

    check_in({"check_in": {"slug": "paused", "status": "ok"}}, token=project.token)
    clients.dynamodb().update_item(
        TableName=get_settings().monitors_table,
        Key={"project_id": {"S": project.project_id}, "monitor_key": {"S": monitor_key("test", "paused")}},
        UpdateExpression="SET paused_at = :now",
        ExpressionAttributeValues={":now": {"S": iso(datetime.now(UTC))}},
    )
    check_in({"check_in": {"slug": "paused", "status": "error"}}, token=project.token)
    assert alerts() == []


def test_a_sweep_that_fails_halfway_and_is_retried_alerts_each_monitor_once(check_in, project, alerts, inject_fault):
    from botocore.exceptions import ClientError

    late = iso(datetime.now(UTC) - timedelta(minutes=10))
    for slug in ("a", "b", "c"):
        body = {"check_in": {"slug": slug, "expected_interval_seconds": 60, "occurred_at": late}}
        check_in(body, token=project.token)
    inject_fault(
        "PutItem",
        ClientError({"Error": {"Code": "InternalServerError", "Message": "x"}}, "PutItem"),
        when=lambda params: params["Item"].get("status") == {"S": "missed"},
        skip=1,
        times=1,  # the second flip fails
    )
    first = sweep()  # the others go ahead; the failed one stays due for the next sweep
    assert (first.missed, first.failed) == (2, 1)
    assert sweep().missed == 1
    assert sorted(kinds(alerts())) == [("monitor_missed", "a"), ("monitor_missed", "b"), ("monitor_missed", "c")]
