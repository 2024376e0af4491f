"""Issue 12, finding 2: one project's monitor can neither poison the alerts stream nor make another
project's alert go out twice.

Through the real check-in handler, the monitors table's stream, the local poller (as Lambda's event
source mapping, retries included) and the real alerts function. An alert is counted where SNS
accepted it: an SQS queue subscribed to the topic.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from logister_common.contract.check_in_fields import MAX_FUTURE_SKEW, MAX_INTERVAL_SECONDS
from logister_common.contract.times import iso_utc
from logister_common.operator import provisioning
from logister_common.runtime.settings import get_settings
from logister_common.storage import clients
from logister_common.storage.monitors_table import monitor_key
from tests.support import drain_queue

HUGE_INTERVAL = 300_000_000_000  # ~9,500 years: due_at past year 9999
NEAR_YEAR_9999 = "9999-12-31T23:59:00Z"


@pytest.fixture
def other_project(aws) -> provisioning.IssuedToken:
    return provisioning.issue_token(provisioning.create_project("bystander"))


@pytest.fixture
def published(aws) -> Callable[[], list[dict[str, Any]]]:
    """The alerts SNS accepted since the last call, with their message attributes."""
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="published")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns").subscribe(TopicArn=aws.environment["ALERT_TOPIC_ARN"], Protocol="sqs", Endpoint=queue_arn)
    return lambda: [
        {**json.loads(body["Message"]), "attributes": body["MessageAttributes"]} for body in drain_queue(queue_url)
    ]


@pytest.fixture
def skipped(aws) -> Callable[[], list[dict[str, Any]]]:
    """What reached StreamFailureQueue since the last call."""
    return lambda: drain_queue(aws.queue_urls()["StreamFailureQueue"])


@pytest.fixture
def redeliver(aws, template) -> Callable[[], int]:
    """Deliver the whole monitors stream again from its start, as Lambda does when it retries a batch."""
    from local.lambda_runtime import load_template_functions
    from local.streams import StreamPoller, stream_sources, stream_subscriptions, streams_client
    from tests.conftest import ROOT

    def deliver_again() -> int:
        sources = [source for source in stream_sources(template, aws.params) if source.table_id == "MonitorsTable"]
        functions = load_template_functions(template, ROOT, [source.function_id for source in sources], aws.params)
        subscriptions = stream_subscriptions(sources, functions, aws.stream_arns(), aws.queue_urls())
        return StreamPoller(subscriptions, streams_client(), boto3.client("sqs")).poll_once()

    return deliver_again


def summary(alerts: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return sorted((alert["project_id"], alert["kind"], alert["slug"]) for alert in alerts)


def error_then_recovery(check_in, token: str, slug: str, **recovery: Any) -> None:
    check_in({"check_in": {"slug": slug, "status": "error"}}, token=token)
    check_in({"check_in": {"slug": slug, "status": "ok", **recovery}}, token=token)


@pytest.mark.parametrize(
    "recovery",
    [{"expected_interval_seconds": HUGE_INTERVAL}, {"occurred_at": NEAR_YEAR_9999}],
    ids=["huge interval", "occurred_at near 9999"],
)
def test_a_monitor_due_after_year_9999_alerts_like_any_other(
    check_in, project, other_project, deliver_streams, redeliver, published, skipped, recovery
):
    error_then_recovery(check_in, project.token, "far", **recovery)
    check_in({"check_in": {"slug": "backup", "status": "error"}}, token=other_project.token)

    deliver_streams()
    alerts = published()
    assert summary(alerts) == sorted(
        [
            (project.project_id, "monitor_error", "far"),
            (project.project_id, "monitor_recovered", "far"),
            (other_project.project_id, "monitor_error", "backup"),
        ]
    )
    (recovered,) = [alert for alert in alerts if alert["kind"] == "monitor_recovered"]
    # Bounded at the contract's edge now (an interval of at most a year, occurred_at at most a day
    # ahead), so the due time renders, and within those bounds: not in year 9999.
    latest = datetime.now(UTC) + MAX_FUTURE_SKEW + timedelta(seconds=MAX_INTERVAL_SECONDS * 1.5 + 1)
    assert recovered["due_at"] is not None and recovered["due_at"] <= iso_utc(latest)
    assert skipped() == []

    assert redeliver() > 0
    assert published() == []  # every transition was claimed: a redelivered batch publishes nothing


def poison_monitor(project_id: str) -> None:
    """A stored monitor the alerts function cannot read (a number attribute that is not one), in error."""
    clients.dynamodb().put_item(
        TableName=get_settings().monitors_table,
        Item={
            "project_id": {"S": project_id},
            "monitor_key": {"S": monitor_key("test", "poison")},
            "slug": {"S": "poison"},
            "environment": {"S": "test"},
            "status": {"S": "error"},
            "interval_seconds": {"S": "not a number"},
            "last_event_id": {"S": "e"},
        },
    )


def test_a_record_whose_alert_cannot_be_built_is_reported_alone_and_skipped_at_once(
    aws, check_in, project, other_project, deliver_streams, redeliver, published, skipped, record_calls
):
    publishes = record_calls("sns", "Publish")
    poison_monitor(project.project_id)
    check_in({"check_in": {"slug": "backup", "status": "error"}}, token=other_project.token)

    deliver_streams()
    assert summary(published()) == [(other_project.project_id, "monitor_error", "backup")]
    (report,) = skipped()  # the record alone, at once: not Lambda's report of a batch after its retries
    assert report["part"] == "monitor_alerts"
    assert "alert cannot be built" in report["reason"]
    assert report["Keys"]["project_id"] == {"S": project.project_id}
    assert report["SequenceNumber"] and report["eventSourceARN"] == aws.stream_arns()["MonitorsTable"]
    assert len(publishes) == 1

    redeliver()
    assert published() == []
    assert len(publishes) == 1


def test_an_alert_sns_refuses_is_reported_and_the_others_go_out_once(
    check_in, project, other_project, deliver_streams, published, skipped, inject_fault
):
    refused = ClientError({"Error": {"Code": "InvalidParameter", "Message": "Invalid parameter"}}, "Publish")
    inject_fault("Publish", refused, service="sns", when=lambda params: "refused" in params["Subject"], times=1)
    check_in({"check_in": {"slug": "refused", "status": "error"}}, token=project.token)
    check_in({"check_in": {"slug": "backup", "status": "error"}}, token=other_project.token)

    deliver_streams()
    assert summary(published()) == [(other_project.project_id, "monitor_error", "backup")]
    (report,) = skipped()
    assert "SNS refused" in report["reason"]


def test_an_alert_sns_throttled_is_published_once_on_the_retry(
    check_in, project, other_project, deliver_streams, published, skipped, inject_fault
):
    throttled = ClientError(
        {"Error": {"Code": "Throttling", "Message": "Rate exceeded"}, "ResponseMetadata": {"HTTPStatusCode": 400}},
        "Publish",
    )
    inject_fault("Publish", throttled, service="sns", when=lambda params: "busy" in params["Subject"], times=1)
    check_in({"check_in": {"slug": "busy", "status": "error"}}, token=project.token)
    check_in({"check_in": {"slug": "backup", "status": "error"}}, token=other_project.token)

    deliver_streams()  # the throttled record fails: the stream retries from it on the next poll
    deliver_streams()
    assert summary(published()) == sorted(
        [(project.project_id, "monitor_error", "busy"), (other_project.project_id, "monitor_error", "backup")]
    )
    assert skipped() == []


def test_a_publish_with_no_answer_is_never_repeated_but_reported(
    check_in, project, other_project, deliver_streams, published, skipped, inject_fault
):
    """At most once: when SNS did not answer, the alert may have gone out, so the retry does not
    publish it again; it reports it instead, for an operator to check."""
    no_answer = ReadTimeoutError(endpoint_url="https://sns.us-east-1.amazonaws.com/")
    inject_fault("Publish", no_answer, service="sns", when=lambda params: "silent" in params["Subject"], times=1)
    check_in({"check_in": {"slug": "silent", "status": "error"}}, token=project.token)
    check_in({"check_in": {"slug": "backup", "status": "error"}}, token=other_project.token)

    deliver_streams()
    deliver_streams()
    assert summary(published()) == [(other_project.project_id, "monitor_error", "backup")]
    (report,) = skipped()
    assert "never confirmed" in report["reason"]


def test_alerts_carry_the_project_id_as_a_message_attribute(check_in, project, deliver_streams, published):
    check_in({"check_in": {"slug": "backup", "status": "error"}}, token=project.token)
    deliver_streams()
    (alert,) = published()
    assert alert["attributes"]["project_id"] == {"Type": "String", "Value": project.project_id}
    assert alert["attributes"]["kind"] == {"Type": "String", "Value": "monitor_error"}


def test_a_subscriber_can_filter_one_projects_alerts(aws, check_in, project, other_project, deliver_streams):
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="one-project")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns").subscribe(
        TopicArn=aws.environment["ALERT_TOPIC_ARN"],
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"FilterPolicy": json.dumps({"project_id": [other_project.project_id]})},
    )
    check_in({"check_in": {"slug": "mine", "status": "error"}}, token=project.token)
    check_in({"check_in": {"slug": "theirs", "status": "error"}}, token=other_project.token)
    deliver_streams()
    assert [json.loads(body["Message"])["slug"] for body in drain_queue(queue_url)] == ["theirs"]
