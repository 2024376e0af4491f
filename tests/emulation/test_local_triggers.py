"""local.streams and local.schedules against moto: the monitors table's stream and a schedule, with stub handlers.

The tables come from template.yaml; the functions are stubs from a temporary template, so these tests
check the emulation of the triggers, not the alerting logic.
"""

from __future__ import annotations

import importlib
import json
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.background import Repeater
from local.emulation import ProvisionedStack, provision_stack
from local.lambda_runtime import LocalFunction, load_template_functions
from local.schedules import ScheduleRunner, schedule_sources
from local.streams import StreamPoller, stream_sources, stream_subscriptions, streams_client
from local.template import load_template, parameter_values

STUB_MODULE = "local_test_trigger_stub"

STUB_TEMPLATE = """
Resources:
  StubStreamFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/stub/
      Handler: local_test_trigger_stub.on_stream
      Events:
        MonitorChanges:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt MonitorsTable.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 2
            FunctionResponseTypes: [ReportBatchItemFailures]
            MaximumRetryAttempts: 1
            DestinationConfig:
              OnFailure:
                Type: SQS
                Destination: !GetAtt StreamFailureQueue.Arn
  StubScheduledFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/stub/
      Handler: local_test_trigger_stub.on_schedule
      Timeout: 60
      Events:
        Sweep:
          Type: Schedule
          Properties:
            Schedule: rate(1 minute)
"""

STUB_HANDLERS = """
calls = []  # (handler, event)
replies = []  # per invocation, what on_stream returns, raises (an exception) or computes (a callable); then None


def on_stream(event, context):
    calls.append(("stream", event))
    reply = replies.pop(0) if replies else None
    if isinstance(reply, Exception):
        raise reply
    return reply(event) if callable(reply) else reply


def on_schedule(event, context):
    calls.append(("schedule", event))
    return {"items_read": 0, "function": context.function_name}
"""


@pytest.fixture(scope="module")
def stub_functions(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, LocalFunction]]:
    root: Path = tmp_path_factory.mktemp("triggers")
    (root / "template.yaml").write_text(textwrap.dedent(STUB_TEMPLATE))
    (root / "functions" / "stub").mkdir(parents=True)
    (root / "functions" / "stub" / f"{STUB_MODULE}.py").write_text(textwrap.dedent(STUB_HANDLERS))
    template = load_template(root / "template.yaml")
    ids = ["StubStreamFunction", "StubScheduledFunction"]
    return template, load_template_functions(template, root, ids, parameter_values(template, {}))


@pytest.fixture
def stub() -> Iterator[ModuleType]:
    module = importlib.import_module(STUB_MODULE)
    module.calls.clear()
    module.replies.clear()
    yield module
    module.replies.clear()


@pytest.fixture
def stack(template) -> Iterator[ProvisionedStack]:
    with mock_aws():
        yield provision_stack(template, environ={})


def poller_for(stub_functions, stack: ProvisionedStack) -> StreamPoller:
    stub_template, functions = stub_functions
    sources = stream_sources(stub_template, {})
    subscriptions = stream_subscriptions(sources, functions, stack.stream_arns(), stack.queue_urls())
    return StreamPoller(subscriptions, streams_client(), boto3.client("sqs"))


def key(slug: str) -> dict[str, Any]:
    return {"project_id": {"S": "project-1"}, "monitor_key": {"S": f"production#{slug}"}}


def put_monitor(slug: str, status: str) -> None:
    boto3.client("dynamodb").put_item(
        TableName="logister-local-MonitorsTable", Item={**key(slug), "status": {"S": status}, "n": {"N": "1"}}
    )


def set_status(slug: str, status: str) -> None:
    boto3.client("dynamodb").update_item(
        TableName="logister-local-MonitorsTable",
        Key=key(slug),
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": status}},
    )


def summary(record: dict[str, Any]) -> tuple[str, str, str]:
    image = record["dynamodb"]["NewImage"]
    return record["eventName"], image["monitor_key"]["S"].removeprefix("production#"), image["status"]["S"]


def stream_batches(stub: ModuleType) -> list[list[tuple[str, str, str]]]:
    """(event name, slug, new status) of each record of each stream invocation."""
    return [[summary(record) for record in event["Records"]] for name, event in stub.calls if name == "stream"]


def test_an_insert_then_a_modify_reach_the_function_with_their_images(stub_functions, stack, stub):
    poller = poller_for(stub_functions, stack)
    assert poller.poll_once() == 0

    put_monitor("nightly", "ok")
    set_status("nightly", "missed")
    assert poller.poll_once() == 2
    ((name, event),) = stub.calls
    assert name == "stream"
    insert, modify = event["Records"]
    stream_arn = stack.stream_arns()["MonitorsTable"]
    for record in (insert, modify):
        assert record["eventSourceARN"] == stream_arn
        assert (record["eventSource"], record["eventVersion"], record["awsRegion"]) == (
            "aws:dynamodb",
            "1.1",
            "us-east-1",
        )
        assert record["dynamodb"]["Keys"] == key("nightly")
        assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], float)
    assert insert["eventName"] == "INSERT"
    assert insert["dynamodb"]["NewImage"] == {**key("nightly"), "status": {"S": "ok"}, "n": {"N": "1"}}
    assert "OldImage" not in insert["dynamodb"]
    assert modify["eventName"] == "MODIFY"
    assert modify["dynamodb"]["OldImage"] == insert["dynamodb"]["NewImage"]
    assert modify["dynamodb"]["NewImage"] == {**key("nightly"), "status": {"S": "missed"}, "n": {"N": "1"}}
    assert int(modify["dynamodb"]["SequenceNumber"]) > int(insert["dynamodb"]["SequenceNumber"])

    assert poller.poll_once() == 0  # checkpointed: nothing is delivered twice
    set_status("nightly", "ok")
    assert poller.poll_once() == 1
    assert stream_batches(stub)[-1] == [("MODIFY", "nightly", "ok")]


def fail_on(slug: str):
    """A reply reporting the record of that monitor as failed, as Powertools' BatchProcessor would."""

    def reply(event: dict[str, Any]) -> dict[str, Any]:
        failed = [
            {"itemIdentifier": record["dynamodb"]["SequenceNumber"]}
            for record in event["Records"]
            if record["dynamodb"]["Keys"]["monitor_key"]["S"] == f"production#{slug}"
        ]
        return {"batchItemFailures": failed}

    return reply


def test_a_reported_failure_is_retried_from_that_record_on_the_next_poll(stub_functions, stack, stub):
    poller = poller_for(stub_functions, stack)
    for slug in ("a", "b", "c"):
        put_monitor(slug, "ok")
    stub.replies.append(fail_on("b"))

    assert poller.poll_once() == 2  # [a, b]: b failed, so the shard waits for the next poll
    assert poller.poll_once() == 2  # from b: [b, c]
    assert poller.poll_once() == 0
    a, b, c = ("INSERT", "a", "ok"), ("INSERT", "b", "ok"), ("INSERT", "c", "ok")
    assert stream_batches(stub) == [[a, b], [b, c]]


def test_a_raised_exception_retries_the_whole_batch(stub_functions, stack, stub, capsys):
    poller = poller_for(stub_functions, stack)
    put_monitor("nightly", "ok")
    assert poller.poll_once() == 1
    set_status("nightly", "missed")
    set_status("nightly", "ok")
    stub.replies.append(RuntimeError("SNS is down"))

    assert poller.poll_once() == 2
    assert "StubStreamFunction failed" in (err := capsys.readouterr().err)
    assert "RuntimeError: SNS is down" in err
    assert poller.poll_once() == 2
    assert poller.poll_once() == 0
    missed, recovered = ("MODIFY", "nightly", "missed"), ("MODIFY", "nightly", "ok")
    assert stream_batches(stub)[1:] == [[missed, recovered], [missed, recovered]]


def test_records_skipped_after_the_retries_are_reported_to_the_on_failure_queue(stub_functions, stack, stub, capsys):
    poller = poller_for(stub_functions, stack)
    put_monitor("a", "ok")
    put_monitor("b", "ok")
    stub.replies.extend([fail_on("b"), fail_on("b")])  # the first attempt and its one retry

    assert poller.poll_once() == 2  # [a, b]: b failed
    assert poller.poll_once() == 1  # [b] failed again: MaximumRetryAttempts (1) spent, b is skipped
    assert poller.poll_once() == 0
    assert "skipping stream records" in capsys.readouterr().err

    sqs = boto3.client("sqs")
    queue_url = stack.queue_urls()["StreamFailureQueue"]
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    report = json.loads(messages[0]["Body"])
    skipped = stub.calls[-1][1]["Records"][0]["dynamodb"]
    assert report["DDBStreamBatchInfo"] | {"approximateArrivalOfFirstRecord": None} == {
        "shardId": report["DDBStreamBatchInfo"]["shardId"],
        "startSequenceNumber": skipped["SequenceNumber"],
        "endSequenceNumber": skipped["SequenceNumber"],
        "approximateArrivalOfFirstRecord": None,
        "approximateArrivalOfLastRecord": report["DDBStreamBatchInfo"]["approximateArrivalOfFirstRecord"],
        "batchSize": 1,
        "streamArn": stack.stream_arns()["MonitorsTable"],
    }
    assert report["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert report["requestContext"]["functionArn"].endswith(":function:logister-local-StubStreamFunction")


def test_scheduled_functions_get_eventbridges_event(stub_functions, stub):
    stub_template, functions = stub_functions
    runner = ScheduleRunner(schedule_sources(stub_template, {}), functions)
    assert runner.run_once() == {
        "StubScheduledFunction.Sweep": {"items_read": 0, "function": "logister-local-StubScheduledFunction"}
    }
    ((name, event),) = stub.calls
    assert name == "schedule"
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert (event["account"], event["region"]) == ("123456789012", "us-east-1")
    assert event["resources"] == [
        "arn:aws:events:us-east-1:123456789012:rule/logister-local-StubScheduledFunctionSweep"
    ]


def test_a_repeater_invokes_the_schedule_every_interval(stub_functions, stub):
    stub_template, functions = stub_functions
    runner = ScheduleRunner(schedule_sources(stub_template, {}), functions)
    three = threading.Event()

    def run() -> None:
        runner.run_once()
        if len(stub.calls) >= 3:
            three.set()

    repeater = Repeater("test-schedule", 0.05, run).start()
    try:
        assert three.wait(5)
    finally:
        repeater.stop()
    assert len({event["id"] for _, event in stub.calls}) == len(stub.calls)
