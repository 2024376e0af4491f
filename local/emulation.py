"""The AWS side of the local stack: a moto server, and the template's tables, buckets and topics created in it."""

from __future__ import annotations

import copy
import logging
import os
import socket
import sys
import threading
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from .template import (
    BUCKET_TYPE,
    DEFAULT_PREFIX,
    FUNCTION_TYPE,
    QUEUE_TYPE,
    REGION,
    TOPIC_TYPE,
    active_template,
    function_environment,
    parameter_values,
    physical_names,
    queue_create_kwargs,
    resources_of_type,
    subscription_kwargs,
    table_create_kwargs,
    table_time_to_live,
    topic_create_kwargs,
)

DEFAULT_DYNAMODB_PORT = 8000


@dataclass(frozen=True, slots=True)
class ProvisionedStack:
    template: dict[str, Any]  # without the resources whose Condition is false
    params: dict[str, str]
    names: dict[str, str]  # what Ref returns: table and bucket names, topic ARNs, queue URLs
    attributes: dict[str, str]  # GetAtt values only the emulation knows: "Table.StreamArn", "Queue.Arn"
    environment: dict[str, str]  # the functions' variables, merged

    def stream_arns(self) -> dict[str, str]:
        """Each streamed table's stream ARN, by the table's logical id."""
        suffix = ".StreamArn"
        return {key.removesuffix(suffix): value for key, value in self.attributes.items() if key.endswith(suffix)}

    def topic_arns(self) -> dict[str, str]:
        return {logical_id: self.names[logical_id] for logical_id, _ in resources_of_type(self.template, TOPIC_TYPE)}

    def queue_urls(self) -> dict[str, str]:
        return {logical_id: self.names[logical_id] for logical_id, _ in resources_of_type(self.template, QUEUE_TYPE)}


def provision_stack(
    template: Mapping[str, Any],
    dynamodb_client: Any,
    s3_client: Any,
    prefix: str = DEFAULT_PREFIX,
    environ: Mapping[str, str] | None = None,
    sns_client: Any = None,
    parameters: Mapping[str, str] | None = None,
) -> ProvisionedStack:
    """Create the template's tables (with TTL and streams), buckets, topics, subscriptions and queues.

    Resources whose Condition is false are skipped. `parameters` overrides parameter values (after the
    environment variables the functions pass them as). Works with any clients (a moto server's, or
    in-process ones inside `moto.mock_aws()`); without `sns_client`, one is made like `dynamodb_client`, as
    is the SQS client.
    Creating something that already exists is not an error, so it can run twice against one server.
    """
    params = parameter_values(template, os.environ if environ is None else environ) | dict(parameters or {})
    active = active_template(template, params)
    names = physical_names(active, prefix)
    attributes: dict[str, str] = {}
    ttl = table_time_to_live(active)
    for logical_id, kwargs in table_create_kwargs(active, params, prefix).items():
        try:
            dynamodb_client.create_table(**kwargs)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceInUseException":
                raise
        if logical_id in ttl:
            dynamodb_client.update_time_to_live(TableName=kwargs["TableName"], TimeToLiveSpecification=ttl[logical_id])
        if "StreamSpecification" in kwargs:
            table = dynamodb_client.describe_table(TableName=kwargs["TableName"])["Table"]
            attributes[f"{logical_id}.StreamArn"] = table["LatestStreamArn"]
    for logical_id, _ in resources_of_type(active, BUCKET_TYPE):
        _create_bucket(s3_client, names[logical_id])
    topics = topic_create_kwargs(active, params, prefix)
    if topics:
        sns_client = sns_client or _client_like(dynamodb_client, "sns")
        for logical_id, kwargs in topics.items():
            # CreateTopic is idempotent; its answer is the real ARN (region and account of the emulation).
            names[logical_id] = sns_client.create_topic(**kwargs)["TopicArn"]
            attributes[f"{logical_id}.TopicArn"] = names[logical_id]
            attributes[f"{logical_id}.TopicName"] = kwargs["Name"]
        for kwargs in subscription_kwargs(active, params, names):
            sns_client.subscribe(**kwargs)  # moto confirms nothing and sends nothing: harmless
    queues = queue_create_kwargs(active, params, prefix)
    if queues:
        sqs_client = _client_like(dynamodb_client, "sqs")
        for logical_id, kwargs in queues.items():
            url = sqs_client.create_queue(**kwargs)["QueueUrl"]  # idempotent for the same attributes
            arn = sqs_client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            names[logical_id] = url
            attributes[f"{logical_id}.Arn"] = arn
            attributes[f"{logical_id}.QueueName"] = kwargs["QueueName"]
    environment = _merged_environment(active, params, names, attributes)
    return ProvisionedStack(active, params, names, attributes, environment)


def _client_like(client: Any, service: str) -> Any:
    """A client for another service, aimed where `client` is (a moto server serves every service on one port)."""
    import boto3

    endpoint = client.meta.endpoint_url
    own_endpoint = endpoint if endpoint and "amazonaws.com" not in endpoint else None
    return boto3.client(service, region_name=client.meta.region_name, endpoint_url=own_endpoint)


def _create_bucket(s3_client: Any, name: str) -> None:
    region = s3_client.meta.region_name or REGION
    kwargs: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":  # us-east-1 is the one region that refuses a LocationConstraint
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3_client.create_bucket(**kwargs)
    except ClientError as error:
        if error.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise


def _merged_environment(
    template: Mapping[str, Any], params: Mapping[str, str], names: Mapping[str, str], attributes: Mapping[str, str]
) -> dict[str, str]:
    # Every handler runs in this one process, so they share one os.environ: variables must agree.
    merged: dict[str, str] = {}
    owners: dict[str, str] = {}
    for function_id, _ in resources_of_type(template, FUNCTION_TYPE):
        for name, value in function_environment(template, function_id, params, names, attributes).items():
            if name in merged and merged[name] != value:
                raise ValueError(
                    f"{owners[name]} and {function_id} set {name} to different values "
                    f"({merged[name]!r} and {value!r}); the local server runs every function in one process"
                )
            merged[name] = value
            owners.setdefault(name, function_id)
    return merged


class _MotoServer(ThreadedMotoServer):
    """ThreadedMotoServer whose start() raises when the server cannot start, instead of waiting forever."""

    def __init__(self, ip_address: str, port: int) -> None:
        super().__init__(ip_address=ip_address, port=port, verbose=False)
        self.error: BaseException | None = None

    def _server_entry(self) -> None:
        try:
            super()._server_entry()
        except BaseException as error:  # werkzeug even calls sys.exit() on a busy port
            self.error = error
            self._server_ready_event.set()

    def start(self) -> None:
        super().start()
        if self.error is not None:
            raise RuntimeError(f"moto could not listen on {self._ip_address}:{self._port}") from self.error


_DYNAMODB_REQUEST_LOCK = threading.Lock()


def emulate_dynamodb_atomicity() -> None:
    """Apply each emulated DynamoDB request atomically, as DynamoDB does, and roll transactions back per item.

    moto does neither. A cancelled transaction restores snapshots of whole tables taken before it ran,
    which can undo a concurrent request that committed meanwhile; and taking those snapshots deep-copies
    every table a transaction touches (items and stream records), so each transaction slows as the
    tables grow (a load run ends in client timeouts). Here one lock serializes every DynamoDB and
    DynamoDB Streams request, and a transaction journals only the items it touches: on cancellation
    those items and their tables' streams are put back as they were. Concurrency tests then test our
    code rather than moto's, and a long local run stays as fast as a short one.
    """
    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    if getattr(DynamoHandler.call_action, "serialized", False):
        return
    for handler in (DynamoHandler, DynamoDBStreamsHandler):
        handler.call_action = _serialized(handler.call_action)  # type: ignore[method-assign]
    backend = dynamodb_models.DynamoDBBackend
    backend.transact_write_items = _journaled(backend.transact_write_items)  # type: ignore[method-assign]
    dynamodb_models.copy = _TableSnapshotsAsReferences()  # type: ignore[attr-defined]


def _serialized(call_action: Any) -> Any:
    def serialized_call_action(self: Any) -> Any:
        with _DYNAMODB_REQUEST_LOCK:
            return call_action(self)

    serialized_call_action.serialized = True  # type: ignore[attr-defined]
    return serialized_call_action


class _TableSnapshotsAsReferences:
    """moto's `copy` module for its backend: a "snapshot" of a whole table is the table itself.

    moto's transaction then "restores" tables to themselves; `_journaled` has undone the writes per item.
    """

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _journaled(transact_write_items: Any) -> Any:
    def journaled_transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        journal = _TransactionJournal(self, transact_items)
        try:
            transact_write_items(self, transact_items)
        except BaseException:
            journal.roll_back()
            raise

    return journaled_transact_write_items


class _TransactionJournal:
    """The items a transaction may write, as they were before it ran, and where each table's stream ended."""

    def __init__(self, backend: Any, transact_items: list[dict[str, Any]]) -> None:
        self.items: list[tuple[Any, Any, Any, Any]] = []  # (table, hash key, range key, the item or None)
        self.streams: dict[int, tuple[Any, int]] = {}
        for action in transact_items:
            for operation in action.values():
                if isinstance(operation, dict):
                    self._remember(backend.tables.get(operation.get("TableName")), operation)

    def _remember(self, table: Any, operation: dict[str, Any]) -> None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        if table is None:
            return  # moto answers ResourceNotFound and writes nothing there
        key = operation.get("Key") or operation.get("Item") or {}
        if table.hash_key_attr not in key or (table.range_key_attr and table.range_key_attr not in key):
            return  # moto rejects the action before it writes
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        self.items.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        if table.stream_shard is not None:
            self.streams.setdefault(id(table), (table.stream_shard, len(table.stream_shard.items)))

    def roll_back(self) -> None:
        for table, hash_key, range_key, before in reversed(self.items):
            rows = table.items[hash_key] if range_key is not None else table.items
            slot = range_key if range_key is not None else hash_key
            if before is None:
                rows.pop(slot, None)
            else:
                rows[slot] = before
            if range_key is not None and not table.items[hash_key]:
                del table.items[hash_key]
        for shard, length in self.streams.values():
            del shard.items[length:]  # no stream record of a write that never happened


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug binds
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def dynamodb_port_from_env(environ: Mapping[str, str] = os.environ) -> int:
    raw = environ.get("LOGISTER_DYNAMODB_PORT", "").strip()
    return int(raw) if raw else DEFAULT_DYNAMODB_PORT


def start_dynamodb(
    host: str | None = None, port: int | None = None, environ: MutableMapping[str, str] = os.environ
) -> tuple[ThreadedMotoServer, str]:
    """Start moto (DynamoDB, its streams, S3 and SNS on one endpoint) and point this process's boto3 at it.

    `host` defaults to LOGISTER_DYNAMODB_HOST, else 127.0.0.1 (0.0.0.0 lets `sam local` containers
    reach it). `port` defaults to LOGISTER_DYNAMODB_PORT, else 8000; 0 picks a free port, and a
    busy port falls back to a free one rather than failing `make dev`.
    """
    emulate_dynamodb_atomicity()
    host = host or environ.get("LOGISTER_DYNAMODB_HOST", "").strip() or "127.0.0.1"
    # werkzeug would log every DynamoDB call the handlers make; keep the console for our own output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    wanted = dynamodb_port_from_env(environ) if port is None else port
    chosen = wanted if wanted == 0 or _port_is_free(host, wanted) else 0
    server = _MotoServer(host, chosen)
    server.start()
    if chosen != wanted:
        free_port = server.get_host_and_port()[1]
        print(f"Port {wanted} is busy: the DynamoDB emulation uses port {free_port} instead.", file=sys.stderr)
    bound_host, bound_port = server.get_host_and_port()
    endpoint_url = f"http://{'127.0.0.1' if bound_host == '0.0.0.0' else bound_host}:{bound_port}"
    configure_aws_environment(endpoint_url, environ)
    return server, endpoint_url


_ENDPOINT_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_SNS",
    "AWS_ENDPOINT_URL_SQS",
)


def configure_aws_environment(endpoint_url: str, environ: MutableMapping[str, str] = os.environ) -> None:
    """Make every boto3 client this process creates (the handlers' too) talk to the emulation."""
    # moto serves every service on one port; the catch-all keeps any other service off real AWS too.
    for variable in _ENDPOINT_VARIABLES:
        environ[variable] = endpoint_url
    # Always fake credentials: a developer's real keys or profile must never be used (or required) locally.
    environ["AWS_ACCESS_KEY_ID"] = "testing"
    environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    for name in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE"):
        environ.pop(name, None)
    environ.setdefault("AWS_DEFAULT_REGION", REGION)
    environ.setdefault("AWS_REGION", environ["AWS_DEFAULT_REGION"])
    # Powertools: no X-Ray daemon locally, and no EMF metric blobs on stdout.
    environ["POWERTOOLS_TRACE_DISABLED"] = "true"
    environ["POWERTOOLS_METRICS_DISABLED"] = "true"
