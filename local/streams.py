"""DynamoDB stream event source mappings: read a table's stream and invoke the function, as Lambda would.

A function event of Type DynamoDB (`Stream: !GetAtt Table.StreamArn`) becomes a StreamSubscription.
StreamPoller.poll_once() reads every shard through the dynamodbstreams API, invokes the function with
batches of up to BatchSize records in Lambda's event format, and checkpoints like Lambda: a raised
exception retries the whole batch, and with ReportBatchItemFailures a reported failure retries from the
lowest failed sequence number, on the next poll. After MaximumRetryAttempts retries the batch is skipped,
and with an OnFailure destination (`DestinationConfig: {OnFailure: {Destination: !GetAtt Queue.Arn}}`)
Lambda's invocation record of the skipped records goes to that queue.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import traceback
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .lambda_runtime import LocalFunction
from .template import ACCOUNT_ID, REGION, function_events, resolve

DEFAULT_BATCH_SIZE = 100  # Lambda's default for DynamoDB streams
EVENT_VERSION = "1.1"


@dataclass(frozen=True, slots=True)
class StreamSource:
    function_id: str
    event_id: str
    table_id: str  # the logical id of the streamed table
    starting_position: str = "TRIM_HORIZON"
    batch_size: int = DEFAULT_BATCH_SIZE
    report_batch_item_failures: bool = False
    maximum_retry_attempts: int = -1  # -1: retry until the records expire, as Lambda does
    enabled: bool = True
    on_failure_queue: str | None = None  # the logical id of the queue skipped records are reported to


def stream_sources(template: Mapping[str, Any], params: Mapping[str, str]) -> list[StreamSource]:
    """Every enabled DynamoDB event of every function, in template order."""
    found: list[StreamSource] = []
    for function_id, event_id, raw in function_events(template, "DynamoDB"):
        stream = raw.get("Stream")
        get_att = stream.get("Fn::GetAtt") if isinstance(stream, dict) else None
        if not (isinstance(get_att, list) and len(get_att) == 2 and get_att[1] == "StreamArn"):
            raise ValueError(f"{function_id}.{event_id}: only `Stream: !GetAtt <Table>.StreamArn` can be emulated")
        props = resolve(template, {key: value for key, value in raw.items() if key not in _ARNS}, params)
        source = StreamSource(
            function_id=function_id,
            event_id=event_id,
            table_id=str(get_att[0]),
            starting_position=str(props.get("StartingPosition", "TRIM_HORIZON")).upper(),
            batch_size=int(props.get("BatchSize", DEFAULT_BATCH_SIZE)),
            report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
            maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
            enabled=str(props.get("Enabled", True)).lower() != "false",
            on_failure_queue=_on_failure_queue(f"{function_id}.{event_id}", raw.get("DestinationConfig")),
        )
        if source.enabled:
            found.append(source)
    return found


_ARNS = ("Stream", "DestinationConfig")  # resolved from what provisioning created, not from parameters


def _on_failure_queue(where: str, destination_config: Any) -> str | None:
    """The logical id of the OnFailure queue, from `{OnFailure: {Type: SQS, Destination: !GetAtt <Queue>.Arn}}`."""
    if not destination_config:
        return None
    on_failure = destination_config.get("OnFailure") if isinstance(destination_config, dict) else None
    on_failure = on_failure if isinstance(on_failure, dict) else {}
    destination = on_failure.get("Destination")
    get_att = destination.get("Fn::GetAtt") if isinstance(destination, dict) else None
    if on_failure.get("Type", "SQS") != "SQS" or not (
        isinstance(get_att, list) and len(get_att) == 2 and get_att[1] == "Arn"
    ):
        raise ValueError(f"{where}: only `OnFailure: {{Type: SQS, Destination: !GetAtt <Queue>.Arn}}` can be emulated")
    return str(get_att[0])


@dataclass(frozen=True, slots=True)
class StreamSubscription:
    source: StreamSource
    function: LocalFunction
    stream_arn: str
    on_failure_queue_url: str | None = None


def stream_subscriptions(
    sources: Iterable[StreamSource],
    functions: Mapping[str, LocalFunction],
    stream_arns: Mapping[str, str],
    queue_urls: Mapping[str, str] | None = None,
) -> list[StreamSubscription]:
    """Pair each source with its loaded function, its table's stream ARN and its on-failure queue's URL.

    See ProvisionedStack.stream_arns and ProvisionedStack.queue_urls.
    """
    queue_urls = queue_urls or {}
    subscriptions: list[StreamSubscription] = []
    for source in sources:
        if source.table_id not in stream_arns:
            raise ValueError(f"{source.function_id}: table {source.table_id} has no stream (StreamSpecification)")
        if source.on_failure_queue is not None and source.on_failure_queue not in queue_urls:
            raise ValueError(f"{source.function_id}: {source.on_failure_queue} is not a queue of the template")
        function = functions[source.function_id]
        queue_url = queue_urls.get(source.on_failure_queue or "")
        subscriptions.append(StreamSubscription(source, function, stream_arns[source.table_id], queue_url))
    return subscriptions


def _json_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """An AttributeValue as Lambda's JSON has it: binary values base64-encoded (boto3 hands us bytes)."""
    ((kind, item),) = value.items()
    if kind == "B":
        return {kind: _base64(item)}
    if kind == "BS":
        return {kind: [_base64(member) for member in item]}
    if kind == "L":
        return {kind: [_json_attribute(member) for member in item]}
    if kind == "M":
        return {kind: _json_image(item)}
    return {kind: item}


def _base64(value: bytes | str) -> str:
    return base64.b64encode(value).decode("ascii") if isinstance(value, bytes | bytearray) else value


def _json_image(image: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _json_attribute(value) for name, value in image.items()}


def _epoch_seconds(value: datetime | float | str) -> float:
    # Lambda gives whole seconds since the epoch, as a JSON number (1693997155.0).
    seconds = value.timestamp() if isinstance(value, datetime) else float(value)
    return float(int(seconds))


def lambda_record(record: Mapping[str, Any], event_source_arn: str) -> dict[str, Any]:
    """One GetRecords record (as boto3 returns it) as a record of Lambda's DynamoDB stream event."""
    change = record["dynamodb"]
    dynamodb: dict[str, Any] = {}
    if "ApproximateCreationDateTime" in change:
        dynamodb["ApproximateCreationDateTime"] = _epoch_seconds(change["ApproximateCreationDateTime"])
    for key in ("Keys", "NewImage", "OldImage"):
        if key in change:
            dynamodb[key] = _json_image(change[key])
    for key in ("SequenceNumber", "SizeBytes", "StreamViewType"):
        if key in change:
            dynamodb[key] = change[key]
    converted: dict[str, Any] = {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": EVENT_VERSION,
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion") or event_source_arn.split(":")[3],
        "dynamodb": dynamodb,
        "eventSourceARN": event_source_arn,
    }
    identity = record.get("userIdentity")
    if identity:  # items TTL deleted
        converted["userIdentity"] = {"type": identity.get("Type"), "principalId": identity.get("PrincipalId")}
    return converted


def stream_event(records: Iterable[Mapping[str, Any]], event_source_arn: str) -> dict[str, Any]:
    """The event Lambda invokes a DynamoDB stream function with."""
    return {"Records": [lambda_record(record, event_source_arn) for record in records]}


def failure_record(
    subscription: StreamSubscription, shard_id: str, records: Sequence[Mapping[str, Any]], attempts: int
) -> dict[str, Any]:
    """What Lambda sends an OnFailure destination when it skips stream records: where they are, not the records."""
    arrivals = [_iso(record["dynamodb"]["ApproximateCreationDateTime"]) for record in records]
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{subscription.function.name}",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": attempts,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": arrivals[0],
            "approximateArrivalOfLastRecord": arrivals[-1],
            "batchSize": len(records),
            "streamArn": subscription.stream_arn,
        },
    }


def _iso(value: datetime | float | str) -> str:
    moment = datetime.fromtimestamp(_epoch_seconds(value), UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def first_failed_sequence_number(response: Any, sequence_numbers: Sequence[str]) -> str | None:
    """Where a ReportBatchItemFailures response asks the retry to start; None when the batch succeeded.

    As Lambda: no response, an empty one, or an empty or null batchItemFailures is a success; an item
    without a valid itemIdentifier (empty, null, not in the batch) fails the whole batch.
    """
    if not response:
        return None
    failures = response.get("batchItemFailures") if isinstance(response, dict) else None
    if not failures:
        return None
    if not isinstance(failures, list):
        return sequence_numbers[0]
    identifiers = [failure.get("itemIdentifier") if isinstance(failure, dict) else None for failure in failures]
    if any(identifier not in sequence_numbers for identifier in identifiers):
        return sequence_numbers[0]
    return min(identifiers, key=int)  # type: ignore[arg-type]


@dataclass
class _Shard:
    shard_id: str
    parent_id: str | None
    iterator: str | None
    failed_at: str | None = None  # the sequence number the next attempt starts at, after a failure
    failed_attempts: int = 0
    closed: bool = False


class StreamPoller:
    """Reads the subscribed streams and invokes their functions. Create it right after provisioning.

    Works with any dynamodbstreams client: a moto server's, or an in-process one inside `moto.mock_aws()`
    (see streams_client). Shards that appear later are read from their start, once their parent is done.
    """

    def __init__(
        self, subscriptions: Iterable[StreamSubscription], streams_client: Any, sqs_client: Any = None
    ) -> None:
        self.subscriptions = list(subscriptions)
        if sqs_client is None and any(subscription.on_failure_queue_url for subscription in self.subscriptions):
            raise ValueError("an OnFailure destination needs an sqs_client")
        self._client = streams_client
        self._sqs = sqs_client
        self._shards: list[dict[str, _Shard]] = [{} for _ in self.subscriptions]
        self._lock = threading.Lock()
        for index, subscription in enumerate(self.subscriptions):
            self._discover(index, subscription.source.starting_position)

    def poll_once(self) -> int:
        """Deliver what every stream holds; return how many records were handed to functions (retries too)."""
        with self._lock:
            return sum(self._poll(index) for index in range(len(self.subscriptions)))

    def _poll(self, index: int) -> int:
        self._discover(index, "TRIM_HORIZON")
        shards = self._shards[index]
        delivered = 0
        for shard in list(shards.values()):
            parent = shards.get(shard.parent_id or "")
            if not shard.closed and (parent is None or parent.closed):
                delivered += self._drain(self.subscriptions[index], shard)
        return delivered

    def _discover(self, index: int, starting_position: str) -> None:
        subscription, shards = self.subscriptions[index], self._shards[index]
        kwargs: dict[str, Any] = {"StreamArn": subscription.stream_arn}
        while True:
            description = self._client.describe_stream(**kwargs)["StreamDescription"]
            for shard in description.get("Shards") or []:
                if shard["ShardId"] not in shards:
                    iterator = self._iterator(subscription, shard["ShardId"], starting_position)
                    shards[shard["ShardId"]] = _Shard(shard["ShardId"], shard.get("ParentShardId"), iterator)
            if not description.get("LastEvaluatedShardId"):
                return
            kwargs["ExclusiveStartShardId"] = description["LastEvaluatedShardId"]

    def _iterator(self, subscription: StreamSubscription, shard_id: str, kind: str, sequence: str | None = None) -> str:
        kwargs = {"StreamArn": subscription.stream_arn, "ShardId": shard_id, "ShardIteratorType": kind}
        if sequence is not None:
            kwargs["SequenceNumber"] = sequence
        iterator: str = self._client.get_shard_iterator(**kwargs)["ShardIterator"]
        return iterator

    def _drain(self, subscription: StreamSubscription, shard: _Shard) -> int:
        delivered = 0
        while not shard.closed:
            if shard.iterator is None:
                shard.iterator = self._iterator(subscription, shard.shard_id, "AT_SEQUENCE_NUMBER", shard.failed_at)
            response = self._client.get_records(ShardIterator=shard.iterator, Limit=subscription.source.batch_size)
            records, next_iterator = response.get("Records") or [], response.get("NextShardIterator")
            if records:
                delivered += len(records)
                retry_at = self._invoke(subscription, records)
                if retry_at is not None and not self._give_up(subscription, shard, retry_at, records):
                    shard.failed_at, shard.iterator = retry_at, None
                    return delivered  # retried on the next poll
                shard.failed_at, shard.failed_attempts = None, 0
            shard.iterator = next_iterator
            shard.closed = next_iterator is None
            if not records:
                break
        return delivered

    def _invoke(self, subscription: StreamSubscription, records: list[dict[str, Any]]) -> str | None:
        sequence_numbers: list[str] = [record["dynamodb"]["SequenceNumber"] for record in records]
        function = subscription.function
        try:
            response = function.invoke(stream_event(records, subscription.stream_arn))
        except Exception:
            print(f"{function.function_id} failed on a batch of {len(records)} stream records:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            return sequence_numbers[0]
        if not subscription.source.report_batch_item_failures:
            return None
        return first_failed_sequence_number(response, sequence_numbers)

    def _give_up(
        self, subscription: StreamSubscription, shard: _Shard, retry_at: str, records: list[dict[str, Any]]
    ) -> bool:
        if retry_at != shard.failed_at:
            shard.failed_attempts = 0  # progress: a new record is failing
        shard.failed_attempts += 1
        limit = subscription.source.maximum_retry_attempts
        if limit < 0 or shard.failed_attempts <= limit:
            return False
        skipped = records[[r["dynamodb"]["SequenceNumber"] for r in records].index(retry_at) :]
        last = skipped[-1]["dynamodb"]["SequenceNumber"]
        print(
            f"{subscription.function.function_id}: skipping stream records {retry_at} to {last} "
            f"after {limit} retries (MaximumRetryAttempts)",
            file=sys.stderr,
        )
        if subscription.on_failure_queue_url is not None:
            record = failure_record(subscription, shard.shard_id, skipped, shard.failed_attempts)
            self._sqs.send_message(QueueUrl=subscription.on_failure_queue_url, MessageBody=json.dumps(record))
        return True


def streams_client(endpoint_url: str | None = None, region_name: str | None = None) -> Any:
    """A dynamodbstreams client that moto understands.

    Recent botocore sends DynamoDB Streams calls to account-based hosts (<account>.streams-ddb...),
    which moto's in-process mock does not recognise; the classic endpoint works with both mocks.
    """
    import boto3
    from botocore.config import Config

    config = Config(account_id_endpoint_mode="disabled")
    return boto3.client("dynamodbstreams", endpoint_url=endpoint_url, region_name=region_name, config=config)
