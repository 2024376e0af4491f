"""Shared test helpers: API Gateway HTTP API (payload v2) events, AWS calls recorded or failed, DynamoDB reads."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.client import BaseClient

from local.apigw import HttpRequest, build_event
from logister_common.runtime.settings import get_settings
from logister_common.storage import clients
from logister_common.storage.documents import decompress

INGEST_PATH = "/api/v1/ingest_events"
BATCH_PATH = "/api/v1/ingest_events/batch"


def ndjson(*envelopes: dict | str, compress: bool = True) -> bytes:
    """An NDJSON batch body (gzip-compressed by default); strings are sent as raw lines."""
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in envelopes) + "\n"
    return gzip.compress(text.encode()) if compress else text.encode()


def http_event(
    body: bytes | str | dict | list | None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    path: str = INGEST_PATH,
    source_ip: str = "203.0.113.7",
    content_type: str | None = "application/json",
) -> dict[str, Any]:
    """The event API Gateway hands the function for a POST, built by the local gateway's builder."""
    if isinstance(body, dict | list):
        body = json.dumps(body)
    raw = body.encode() if isinstance(body, str) else (body or b"")
    all_headers = {"user-agent": "tests"}
    if content_type:
        all_headers["content-type"] = content_type
    if token:
        all_headers["authorization"] = f"Bearer {token}"
    all_headers.update({name.lower(): value for name, value in (headers or {}).items()})
    request = HttpRequest("POST", path, "HTTP/1.1", list(all_headers.items()), raw, source_ip)
    return build_event(request, f"POST {path}")


class Reply:
    def __init__(self, result: dict[str, Any]) -> None:
        self.status = result["statusCode"]
        self.headers = {name.lower(): value for name, value in (result.get("headers") or {}).items()}
        self.raw_body = result.get("body") or ""
        self.json = json.loads(self.raw_body) if self.raw_body else None

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.raw_body[:300]})"


@dataclass(slots=True)
class AwsCall:
    """One botocore API call: its parameters and, once answered, its parsed response (None if it raised)."""

    service: str
    operation: str
    params: dict[str, Any]
    response: dict[str, Any] | None = None


class AwsCalls(list[AwsCall]):
    @property
    def operations(self) -> list[str]:
        return [call.operation for call in self]


def tables_of(params: dict[str, Any]) -> set[str]:
    """The DynamoDB tables one call's parameters name (single-item, batch and transactional calls)."""
    return (
        {params.get("TableName")}
        | set(params.get("RequestItems", {}))
        | {next(iter(action.values()))["TableName"] for action in params.get("TransactItems", [])}
    )


@dataclass(eq=False)
class Fault:
    """At matching calls, the first `skip` pass, the next `times` (all, if None) are struck, until healed.

    Striking raises `effect` when it is an exception; otherwise it runs `effect` (another writer racing
    the call), after which the call goes ahead.
    """

    service: str
    operation: str
    effect: BaseException | Callable[[], object]
    table: str | None = None
    when: Callable[[dict[str, Any]], bool] | None = None
    skip: int = 0
    times: int | None = None
    matched: int = 0
    hits: int = 0
    healed: bool = False

    def heal(self) -> None:
        self.healed = True

    def strike(self, call: AwsCall) -> None:
        if self.healed or (call.service, call.operation) != (self.service, self.operation):
            return
        if (self.table is not None and self.table not in tables_of(call.params)) or (
            self.when is not None and not self.when(call.params)
        ):
            return
        self.matched += 1
        if self.matched <= self.skip or (self.times is not None and self.hits >= self.times):
            return
        self.hits += 1  # counted first: the calls a racing writer makes itself pass through
        if isinstance(self.effect, BaseException):
            raise self.effect
        self.effect()


class AwsInterceptor:
    """Every botocore API call this process makes, whichever client makes it: recorded, or struck by a fault."""

    def __init__(self) -> None:
        self._recordings: list[tuple[str | None, str | None, AwsCalls]] = []
        self._faults: list[Fault] = []

    def record(self, service: str | None = None, operation: str | None = None) -> AwsCalls:
        """The calls (of that service, of that operation) made from now on."""
        calls = AwsCalls()
        self._recordings.append((service, operation, calls))
        return calls

    def inject(
        self,
        operation: str,
        fault: BaseException | Callable[[], object],
        *,
        service: str = "dynamodb",
        table: str | None = None,
        when: Callable[[dict[str, Any]], bool] | None = None,
        skip: int = 0,
        times: int | None = None,
    ) -> Fault:
        """Strike `service`'s `operation` calls from now on (those naming `table`, those `when` accepts)."""
        injected = Fault(service, operation, fault, table, when, skip, times)
        self._faults.append(injected)
        return injected

    def call(self, make_api_call: Callable[..., Any], client: Any, operation: str, params: dict[str, Any]) -> Any:
        call = AwsCall(client.meta.service_model.service_name, operation, params)
        for service, recorded_operation, calls in self._recordings:
            if service in (None, call.service) and recorded_operation in (None, operation):
                calls.append(call)
        for fault in self._faults:
            fault.strike(call)
        call.response = make_api_call(client, operation, params)
        return call.response


@contextmanager
def intercepted_aws() -> Iterator[AwsInterceptor]:
    """Route every botocore API call through an AwsInterceptor while the block runs."""
    interceptor = AwsInterceptor()
    make_api_call = BaseClient._make_api_call

    def intercepted(client: Any, operation: str, params: dict[str, Any]) -> Any:
        return interceptor.call(make_api_call, client, operation, params)

    BaseClient._make_api_call = intercepted
    try:
        yield interceptor
    finally:
        BaseClient._make_api_call = make_api_call


def event_item(project_id: str, event_uuid: str) -> dict[str, Any] | None:
    return (
        clients.dynamodb()
        .get_item(TableName=get_settings().events_table, Key={"pk": {"S": f"{project_id}#{event_uuid}"}})
        .get("Item")
    )


def stored_document(item: dict[str, Any]) -> dict[str, Any]:
    if "doc" in item:
        return json.loads(item["doc"]["S"])
    if "doc_z" in item:
        return json.loads(decompress(item["doc_z"]["B"]))
    blob = clients.s3().get_object(Bucket=get_settings().payload_bucket, Key=item["doc_s3"]["S"])["Body"].read()
    return json.loads(decompress(blob))


def all_items(table: str) -> list[dict[str, Any]]:
    """Test-only full read of a small table."""
    return clients.dynamodb().scan(TableName=table)["Items"]


def span_items() -> list[dict[str, Any]]:
    """Test-only full read of the stored spans (items of the events table)."""
    from logister_common.runtime.settings import get_settings

    return [item for item in all_items(get_settings().events_table) if item["signal"]["S"] == "span"]


def seed_monitors(project_id: str, count: int, overdue: int, now: int) -> None:
    """`count` ok monitors with 60 s intervals, `overdue` of them last seen 10 minutes ago (batch writes)."""
    from logister_common.monitors.rules import due_at
    from logister_common.storage.monitors_table import monitor_key, shard_for

    every = count // overdue
    puts = []
    for index in range(count):
        key = monitor_key("production", f"job-{index}")
        last = now - (600 if index % every == 0 else 10)
        item = {
            "project_id": {"S": project_id},
            "monitor_key": {"S": key},
            "slug": {"S": f"job-{index}"},
            "environment": {"S": "production"},
            "status": {"S": "ok"},
            "interval_seconds": {"N": "60"},
            "last_check_in_us": {"N": str(last * 1_000_000)},
            "due_at": {"N": str(due_at(last, 60))},
            "due_shard": {"S": shard_for(project_id, key)},
        }
        puts.append({"PutRequest": {"Item": item}})
    table = get_settings().monitors_table
    for start in range(0, len(puts), 25):
        clients.dynamodb().batch_write_item(RequestItems={table: puts[start : start + 25]})


def drain_queue(queue_url: str) -> list[dict[str, Any]]:
    """Every message waiting in the SQS queue, its JSON body parsed, deleted as it is read."""
    import boto3

    sqs = boto3.client("sqs")
    bodies = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


@contextmanager
def cloudformation_stack(name: str, names: dict[str, str], parameters: dict[str, Any]) -> Iterator[str]:
    """A CloudFormation stack whose outputs name the emulated tables (`names`: logical id -> name) and
    whose parameters are `parameters`, for `logister-admin --stack`; the environment the CLI changes is
    restored after."""
    import os

    import boto3

    from admin.targets import OUTPUT_VARIABLES
    from logister_common.container import reset_container_state

    saved = dict(os.environ)
    outputs = {
        key: {"Value": names[key.removesuffix("Name").removesuffix("Arn")]}
        for key in OUTPUT_VARIABLES
        if key.removesuffix("Name").removesuffix("Arn") in names
    }
    template = {"Parameters": parameters, "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}, "Outputs": outputs}
    boto3.client("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(template))
    try:
        yield name
    finally:
        os.environ.clear()  # the CLI points this process at its target: undo that
        os.environ.update(saved)
        reset_container_state()
