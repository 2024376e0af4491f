"""local.streams: Lambda's DynamoDB stream events, partial batch responses, and shard bookkeeping."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from local.lambda_runtime import LocalFunction
from local.streams import (
    StreamPoller,
    StreamSource,
    StreamSubscription,
    first_failed_sequence_number,
    lambda_record,
    stream_event,
    stream_sources,
)
from local.template import FunctionLimits, parameter_values

STREAM_ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/monitors/stream/2024-05-01T10:00:00.000"


def boto3_record(sequence: str, event_name: str = "MODIFY", **change: Any) -> dict[str, Any]:
    """A record as boto3's get_records returns it (datetimes and bytes already decoded)."""
    return {
        "eventID": f"id-{sequence}",
        "eventName": event_name,
        "eventVersion": "1.0",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": {
            "ApproximateCreationDateTime": datetime(2024, 5, 1, 10, 0, 5, 750000, tzinfo=UTC),
            "Keys": {"project_id": {"S": "p"}, "monitor_key": {"S": "production#nightly"}},
            "SequenceNumber": sequence,
            "SizeBytes": 42,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
            **change,
        },
    }


def test_a_record_is_converted_to_lambdas_event_format():
    record = boto3_record(
        "100",
        NewImage={
            "status": {"S": "missed"},
            "blob": {"B": b"\x00\xff"},
            "blobs": {"BS": [b"a"]},
            "nested": {"M": {"raw": {"B": b"z"}, "list": {"L": [{"B": b"y"}, {"N": "1"}]}}},
            "due_at": {"N": "1714557600"},
        },
        OldImage={"status": {"S": "ok"}},
    )
    converted = lambda_record(record, STREAM_ARN)
    assert converted == {
        "eventID": "id-100",
        "eventName": "MODIFY",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1714557605.0,
            "Keys": {"project_id": {"S": "p"}, "monitor_key": {"S": "production#nightly"}},
            "NewImage": {
                "status": {"S": "missed"},
                "blob": {"B": "AP8="},
                "blobs": {"BS": ["YQ=="]},
                "nested": {"M": {"raw": {"B": "eg=="}, "list": {"L": [{"B": "eQ=="}, {"N": "1"}]}}},
                "due_at": {"N": "1714557600"},
            },
            "OldImage": {"status": {"S": "ok"}},
            "SequenceNumber": "100",
            "SizeBytes": 42,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": STREAM_ARN,
    }
    assert json.loads(json.dumps(converted)) == converted  # what a Lambda invocation carries: plain JSON


def test_an_insert_has_no_old_image_and_a_ttl_delete_names_the_service():
    insert = lambda_record(boto3_record("1", "INSERT", NewImage={"a": {"S": "b"}}), STREAM_ARN)
    assert "OldImage" not in insert["dynamodb"]
    assert list(insert["dynamodb"]) == [
        "ApproximateCreationDateTime",
        "Keys",
        "NewImage",
        "SequenceNumber",
        "SizeBytes",
        "StreamViewType",
    ]
    expired = boto3_record("2", "REMOVE", OldImage={"a": {"S": "b"}})
    expired["userIdentity"] = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
    removed = lambda_record(expired, STREAM_ARN)
    assert removed["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert stream_event([expired], STREAM_ARN) == {"Records": [removed]}


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (None, None),
        ({}, None),
        ({"batchItemFailures": []}, None),
        ({"batchItemFailures": None}, None),
        ({"batchItemFailures": [{"itemIdentifier": "30"}, {"itemIdentifier": "20"}]}, "20"),  # the lowest
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, "10"),  # invalid: the whole batch failed
        ({"batchItemFailures": [{"itemIdentifier": None}]}, "10"),
        ({"batchItemFailures": [{"id": "20"}]}, "10"),
        ({"batchItemFailures": [{"itemIdentifier": "99"}]}, "10"),
        ({"batchItemFailures": "20"}, "10"),
    ],
)
def test_partial_batch_responses(response, expected):
    assert first_failed_sequence_number(response, ["10", "20", "30"]) == expected


def test_stream_sources_of_the_real_template(template):
    sources = {source.function_id: source for source in stream_sources(template, parameter_values(template, {}))}
    assert sources["EventProjectionsFunction"] == StreamSource(
        function_id="EventProjectionsFunction",
        event_id="NewRecords",
        table_id="EventsTable",
        starting_position="TRIM_HORIZON",
        batch_size=500,
        report_batch_item_failures=True,
        maximum_retry_attempts=100,
        on_failure_queue="StreamFailureQueue",
    )
    assert sources["MonitorAlertsFunction"] == StreamSource(
        function_id="MonitorAlertsFunction",
        event_id="MonitorChanges",
        table_id="MonitorsTable",
        starting_position="TRIM_HORIZON",
        batch_size=25,
        report_batch_item_failures=True,
        maximum_retry_attempts=50,
        on_failure_queue="StreamFailureQueue",
    )


class FakeStreams:
    """A dynamodbstreams client over in-memory shards: {shard id: (parent id, records, closed)}."""

    def __init__(self) -> None:
        self.shards: dict[str, tuple[str | None, list[dict[str, Any]], bool]] = {}

    def describe_stream(self, StreamArn: str, **_: Any) -> dict[str, Any]:
        shards = [{"ShardId": shard_id, "ParentShardId": parent} for shard_id, (parent, _, _) in self.shards.items()]
        return {"StreamDescription": {"StreamArn": StreamArn, "Shards": shards}}

    def get_shard_iterator(self, ShardId: str, ShardIteratorType: str, SequenceNumber: str = "", **_: Any) -> dict:
        records = self.shards[ShardId][1]
        if ShardIteratorType == "TRIM_HORIZON":
            position = 0
        elif ShardIteratorType == "LATEST":
            position = len(records)
        else:
            position = next(i for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] == SequenceNumber)
        return {"ShardIterator": f"{ShardId}@{position}"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        shard_id, _, position = ShardIterator.partition("@")
        _, records, closed = self.shards[shard_id]
        batch = records[int(position) : int(position) + Limit]
        end = int(position) + len(batch)
        finished = closed and end == len(records)
        return {"Records": batch, "NextShardIterator": None if finished else f"{shard_id}@{end}"}


def recording_subscription(replies: list[Any]) -> tuple[StreamSubscription, list[list[str]]]:
    batches: list[list[str]] = []

    def handler(event: dict[str, Any], context: Any) -> Any:
        batches.append([record["dynamodb"]["SequenceNumber"] for record in event["Records"]])
        reply = replies.pop(0) if replies else None
        if isinstance(reply, Exception):
            raise reply
        return reply

    function = LocalFunction("Fn", "local-Fn", handler, FunctionLimits(128, 3))
    source = StreamSource("Fn", "Changes", "Table", batch_size=2, report_batch_item_failures=True)
    return StreamSubscription(source, function, STREAM_ARN), batches


def test_a_child_shard_is_read_after_its_parent_and_new_shards_are_found():
    client = FakeStreams()
    client.shards["parent"] = (None, [boto3_record("1"), boto3_record("2")], False)
    subscription, batches = recording_subscription([])
    poller = StreamPoller([subscription], client)

    client.shards["child"] = ("parent", [boto3_record("5")], False)  # a split: the parent is still open
    assert poller.poll_once() == 2
    assert batches == [["1", "2"]]

    client.shards["parent"] = (None, [*client.shards["parent"][1], boto3_record("3")], True)
    assert poller.poll_once() == 2  # the parent's last record, then (parent done) the child's
    assert batches == [["1", "2"], ["3"], ["5"]]
    assert poller.poll_once() == 0


def test_exceptions_and_reported_failures_are_retried_on_the_next_poll(capsys):
    client = FakeStreams()
    client.shards["s"] = (None, [boto3_record(str(n)) for n in (1, 2, 3)], False)
    failure = {"batchItemFailures": [{"itemIdentifier": "2"}]}
    subscription, batches = recording_subscription([RuntimeError("boom"), failure])
    poller = StreamPoller([subscription], client)

    assert poller.poll_once() == 2  # raised: the whole batch again, next time
    assert "RuntimeError: boom" in capsys.readouterr().err
    assert poller.poll_once() == 2  # record 2 reported: from record 2, next time
    assert poller.poll_once() == 2
    assert poller.poll_once() == 0
    assert batches == [["1", "2"], ["1", "2"], ["2", "3"]]


def test_without_report_batch_item_failures_the_response_is_ignored():
    client = FakeStreams()
    client.shards["s"] = (None, [boto3_record("1")], False)
    subscription, batches = recording_subscription([{"batchItemFailures": [{"itemIdentifier": "1"}]}])
    source = replace(subscription.source, report_batch_item_failures=False)
    poller = StreamPoller([replace(subscription, source=source)], client)
    assert (poller.poll_once(), poller.poll_once()) == (1, 0)
    assert batches == [["1"]]


def test_a_batch_is_skipped_after_maximum_retry_attempts(capsys):
    client = FakeStreams()
    client.shards["s"] = (None, [boto3_record(str(n)) for n in (1, 2, 3)], False)
    subscription, batches = recording_subscription([RuntimeError("boom")] * 3)
    source = replace(subscription.source, maximum_retry_attempts=2)
    poller = StreamPoller([replace(subscription, source=source)], client)
    assert [poller.poll_once() for _ in range(3)] == [2, 2, 2 + 1]  # the third failure skips records 1-2
    assert batches == [["1", "2"], ["1", "2"], ["1", "2"], ["3"]]
    assert "skipping stream records 1 to 2 after 2 retries" in capsys.readouterr().err


class FakeQueue:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send_message(self, QueueUrl: str, MessageBody: str) -> None:
        self.sent.append((QueueUrl, json.loads(MessageBody)))


def test_skipped_records_are_reported_to_the_on_failure_queue_from_the_failed_one():
    client, queue = FakeStreams(), FakeQueue()
    client.shards["s"] = (None, [boto3_record(str(n)) for n in (1, 2, 3)], False)
    subscription, _ = recording_subscription([{"batchItemFailures": [{"itemIdentifier": "2"}]}] * 2)
    source = replace(subscription.source, maximum_retry_attempts=1, on_failure_queue="Failures")
    skipping = replace(subscription, source=source, on_failure_queue_url="https://queue/failures")
    poller = StreamPoller([skipping], client, queue)

    assert [poller.poll_once() for _ in range(3)] == [2, 2, 0]  # [1, 2] fails at 2, then [2, 3] fails at 2: skipped
    assert len(queue.sent) == 1
    url, report = queue.sent[0]
    assert url == "https://queue/failures"
    assert report["DDBStreamBatchInfo"] == {
        "shardId": "s",
        "startSequenceNumber": "2",
        "endSequenceNumber": "3",
        "approximateArrivalOfFirstRecord": "2024-05-01T10:00:05Z",
        "approximateArrivalOfLastRecord": "2024-05-01T10:00:05Z",
        "batchSize": 2,
        "streamArn": STREAM_ARN,
    }
    assert report["requestContext"] | {"requestId": None} == {
        "requestId": None,
        "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:local-Fn",
        "condition": "RetryAttemptsExhausted",
        "approximateInvokeCount": 2,
    }
    assert (report["version"], report["responseContext"]["functionError"]) == ("1.0", "Unhandled")


@pytest.mark.parametrize(
    "destination_config",
    [
        {"OnFailure": {"Type": "SNS", "Destination": {"Ref": "Topic"}}},
        {"OnFailure": {"Type": "SQS", "Destination": "arn:aws:sqs:us-east-1:123456789012:elsewhere"}},
        {"OnFailure": None},
        ["not", "a", "mapping"],
    ],
)
def test_an_on_failure_destination_other_than_a_queue_arn_is_refused(destination_config):
    template = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Events": {
                        "Changes": {
                            "Type": "DynamoDB",
                            "Properties": {
                                "Stream": {"Fn::GetAtt": ["Table", "StreamArn"]},
                                "StartingPosition": "LATEST",
                                "DestinationConfig": destination_config,
                            },
                        }
                    }
                },
            }
        }
    }
    with pytest.raises(ValueError, match=r"Fn\.Changes: only `OnFailure"):
        stream_sources(template, {})
