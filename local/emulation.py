"""The AWS side of the local stack: a moto server, and template.yaml created in it as a CloudFormation stack."""

from __future__ import annotations

import copy
import functools
import json
import logging
import os
import socket
import sys
import threading
import warnings
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from .template import (
    DEFAULT_PREFIX,
    FUNCTION_TYPE,
    LAYER_TYPE,
    QUEUE_TYPE,
    REGION,
    SUBSCRIPTION_TYPE,
    TABLE_TYPE,
    TOPIC_TYPE,
    active_template,
    function_environment,
    parameter_values,
    resources_of_type,
    subscription_kwargs,
    table_time_to_live,
)

DEFAULT_DYNAMODB_PORT = 8000
# The moto release whose internals the patches below (stable resource names, atomic DynamoDB requests) were
# written against; tests/emulation/test_moto_patches.py fails on any other, to have them checked again.
PATCHED_MOTO_VERSION = "5.2.5"

# Types moto's CloudFormation skips that the local stack provides itself: the functions and their HTTP API
# (this process), the layer (on sys.path) and standalone subscriptions (provision_stack).
PROVIDED_HERE = frozenset({FUNCTION_TYPE, LAYER_TYPE, "AWS::Serverless::HttpApi", SUBSCRIPTION_TYPE})
# Types it skips that change nothing locally: moto enforces no resource policy, and nothing watches an alarm.
NOT_NEEDED_LOCALLY = frozenset({"AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy", "AWS::CloudWatch::Alarm"})


@dataclass(frozen=True, slots=True)
class ProvisionedStack:
    template: dict[str, Any]  # without the resources whose Condition is false
    params: dict[str, str]
    names: dict[str, str]  # what Ref returns: table and bucket names, topic ARNs, queue URLs
    attributes: dict[str, str]  # GetAtt values the resolver cannot derive from names: "Table.StreamArn", "Queue.Arn"
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
    endpoint_url: str | None = None,
    environ: Mapping[str, str] | None = None,
    parameters: Mapping[str, str] | None = None,
) -> ProvisionedStack:
    """Create the template as the CloudFormation stack DEFAULT_PREFIX in moto, plus what moto's CloudFormation skips.

    moto creates the tables (keys, indexes, streams), the bucket, the topic and the queue, with the
    parameters and Conditions; this adds the tables' TTL and the AWS::SNS::Subscription resources, and
    refuses a template with any other resource moto skips. `parameters` overrides parameter values
    (after the environment variables the functions pass them as). Works against a moto server at
    `endpoint_url`, or inside `moto.mock_aws()`. An existing stack is updated, so it can run twice
    against one server.
    """
    params = parameter_values(template, os.environ if environ is None else environ) | dict(parameters or {})
    active = active_template(template, params)
    _hush_moto_about_skipped_types()
    cloudformation = _client("cloudformation", endpoint_url)
    _create_or_update_stack(cloudformation, template, params)
    resources = cloudformation.describe_stack_resources(StackName=DEFAULT_PREFIX)["StackResources"]
    # moto lists the resources it skipped too, without ids.
    names = {row["LogicalResourceId"]: row["PhysicalResourceId"] for row in resources if "LogicalResourceId" in row}
    _refuse_what_nothing_creates(active, names)
    attributes: dict[str, str] = {}
    dynamodb = _client("dynamodb", endpoint_url)
    ttl = table_time_to_live(active)
    for logical_id, _ in resources_of_type(active, TABLE_TYPE):
        if logical_id in ttl:
            dynamodb.update_time_to_live(TableName=names[logical_id], TimeToLiveSpecification=ttl[logical_id])
        table = dynamodb.describe_table(TableName=names[logical_id])["Table"]
        if "LatestStreamArn" in table:
            attributes[f"{logical_id}.StreamArn"] = table["LatestStreamArn"]
    sqs = _client("sqs", endpoint_url)
    for logical_id, _ in resources_of_type(active, QUEUE_TYPE):
        queue = sqs.get_queue_attributes(QueueUrl=names[logical_id], AttributeNames=["QueueArn"])
        attributes[f"{logical_id}.Arn"] = queue["Attributes"]["QueueArn"]
    subscriptions = subscription_kwargs(active, params, names)
    if subscriptions:
        sns = _client("sns", endpoint_url)
        for kwargs in subscriptions:
            sns.subscribe(**kwargs)  # moto confirms nothing and sends nothing: harmless
    environment = _merged_environment(active, params, names, attributes)
    return ProvisionedStack(active, params, names, attributes, environment)


def _client(service: str, endpoint_url: str | None) -> Any:
    return boto3.client(service, endpoint_url=endpoint_url)


def _create_or_update_stack(cloudformation: Any, template: Mapping[str, Any], params: Mapping[str, str]) -> None:
    stack = {
        "StackName": DEFAULT_PREFIX,
        "TemplateBody": json.dumps(template),
        "Parameters": [{"ParameterKey": key, "ParameterValue": value} for key, value in params.items()],
    }
    with _stable_resource_names():
        try:
            cloudformation.create_stack(**stack)
        except ClientError as error:
            if error.response["Error"]["Code"] != "AlreadyExistsException":
                raise
            cloudformation.update_stack(**stack)


def _hush_moto_about_skipped_types() -> None:
    # moto logs and warns about each resource type it skips, at every read of the stack too;
    # _refuse_what_nothing_creates judges those types instead.
    logging.getLogger("moto").addFilter(_not_a_skipped_type)  # added once: the same filter is not added twice
    warnings.filterwarnings("ignore", "Tried to parse .* not supported by moto's CloudFormation", UserWarning)


def _not_a_skipped_type(record: logging.LogRecord) -> bool:
    return record.msg != "No Moto CloudFormation support for %s"


@contextmanager
def _stable_resource_names() -> Iterator[None]:
    """Names without CloudFormation's random suffix: logister-local-EventsTable, not logister-local-EventsTable-1A2B3C.

    So a table name printed by one `make dev` holds in the next, and tests can name what they read.
    """
    from moto.cloudformation import parsing

    generate = parsing.generate_resource_name

    def without_suffix(resource_type: str, stack_name: str, logical_id: str) -> str:
        return str(generate(resource_type, stack_name, logical_id)).rsplit("-", 1)[0]

    parsing.generate_resource_name = without_suffix
    try:
        yield
    finally:
        parsing.generate_resource_name = generate


def _refuse_what_nothing_creates(template: Mapping[str, Any], names: Mapping[str, str]) -> None:
    missing = [
        f"{logical_id} ({resource['Type']})"
        for logical_id, resource in template["Resources"].items()
        if logical_id not in names and resource["Type"] not in PROVIDED_HERE | NOT_NEEDED_LOCALLY
    ]
    if missing:
        raise ValueError(f"moto's CloudFormation did not create {', '.join(missing)}, nor does the local stack")


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
    dynamodb_models.copy = _TableSnapshotsAsReferences()  # type: ignore[attr-defined,assignment]


def _serialized(call_action: Any) -> Any:
    @functools.wraps(call_action)  # __wrapped__ keeps moto's own, for the test that guards this patch
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
    @functools.wraps(transact_write_items)
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
