"""The AWS side of the local stack: a moto server, and the template's tables and buckets created in it."""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
from collections.abc import Mapping, MutableMapping
from typing import Any

from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from .template import (
    BUCKET_TYPE,
    DEFAULT_PREFIX,
    FUNCTION_TYPE,
    REGION,
    function_environment,
    parameter_values,
    physical_names,
    resources_of_type,
    table_create_kwargs,
    table_time_to_live,
)

DEFAULT_DYNAMODB_PORT = 8000


def provision(
    template: Mapping[str, Any],
    dynamodb_client: Any,
    s3_client: Any,
    prefix: str = DEFAULT_PREFIX,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Create the template's tables (with TTL) and buckets; return the functions' environment variables.

    Works with any clients (a moto server's, or in-process ones inside `moto.mock_aws()`). Creating
    something that already exists is not an error, so it can run twice against one server.
    """
    params = parameter_values(template, os.environ if environ is None else environ)
    names = physical_names(template, prefix)
    ttl = table_time_to_live(template)
    for logical_id, kwargs in table_create_kwargs(template, params, prefix).items():
        try:
            dynamodb_client.create_table(**kwargs)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceInUseException":
                raise
        if logical_id in ttl:
            dynamodb_client.update_time_to_live(TableName=kwargs["TableName"], TimeToLiveSpecification=ttl[logical_id])
    for logical_id, _ in resources_of_type(template, BUCKET_TYPE):
        _create_bucket(s3_client, names[logical_id])
    return _merged_environment(template, params, names)


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
    template: Mapping[str, Any], params: Mapping[str, str], names: Mapping[str, str]
) -> dict[str, str]:
    # Every handler runs in this one process, so they share one os.environ: variables must agree.
    merged: dict[str, str] = {}
    owners: dict[str, str] = {}
    for function_id, _ in resources_of_type(template, FUNCTION_TYPE):
        for name, value in function_environment(template, function_id, params, names).items():
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


def serialize_dynamodb_requests() -> None:
    """Apply each emulated DynamoDB request atomically, as DynamoDB does.

    moto does not: a cancelled transaction restores snapshots of whole tables taken before it ran,
    which can undo a concurrent request that committed meanwhile. One lock around each request
    restores DynamoDB's guarantee, so concurrency tests test our code rather than moto's.
    """
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action
    if getattr(original, "serialized", False):
        return

    def call_action(self: DynamoHandler) -> Any:
        with _DYNAMODB_REQUEST_LOCK:
            return original(self)

    call_action.serialized = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


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
    """Start moto (DynamoDB and S3 on one endpoint) and point this process's boto3 at it.

    `host` defaults to LOGISTER_DYNAMODB_HOST, else 127.0.0.1 (0.0.0.0 lets `sam local` containers
    reach it). `port` defaults to LOGISTER_DYNAMODB_PORT, else 8000; 0 picks a free port, and a
    busy port falls back to a free one rather than failing `make dev`.
    """
    serialize_dynamodb_requests()
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


def configure_aws_environment(endpoint_url: str, environ: MutableMapping[str, str] = os.environ) -> None:
    """Make every boto3 client this process creates (the handlers' too) talk to the emulation."""
    environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint_url
    environ["AWS_ENDPOINT_URL_S3"] = endpoint_url  # moto serves every service on one port
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
