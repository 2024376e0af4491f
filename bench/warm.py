"""Warm requests through the real handlers with AWS stubbed at the botocore level.

`own`: BaseClient._make_api_call answers from canned responses, so the time measured is ours
alone (parsing, normalization, limits, building items, Powertools) with AWS calls excluded.
`with_sdk`: a `before-send` hook answers instead, so botocore's serialization and parsing are
included: what a Lambda invocation spends on CPU besides waiting for DynamoDB.
Both count the DynamoDB calls and the bytes of every item written, for the cost model.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import LAMBDA_LIKE_ENVIRONMENT

ROOT = Path(__file__).resolve().parent.parent
REPEATS = int(os.environ.get("BENCH_WARM_REPEATS", "5"))
ITERATIONS = int(os.environ.get("BENCH_WARM_ITERATIONS", "400"))
TOKEN = "logister_" + "0" * 48
TABLES = {
    "AUTH_TABLE": "auth",
    "RATE_LIMITS_TABLE": "rate-limits",
    "EVENTS_TABLE": "events",
    "ERROR_GROUPS_TABLE": "error-groups",
    "MONITORS_TABLE": "monitors",
    "DEPLOYMENTS_TABLE": "deployments",
    "PAYLOAD_BUCKET": "payloads",
}


@dataclass
class Usage:
    """What one scenario's requests asked of DynamoDB, per request."""

    calls: list[int] = field(default_factory=list)
    write_units: list[float] = field(default_factory=list)
    read_units: list[float] = field(default_factory=list)


def item_bytes(value: Any) -> int:
    """DynamoDB's item size: attribute names plus values (numbers about half their digits)."""
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("S", "N", "B", "BOOL", "NULL", "M", "L"):
        kind, payload = next(iter(value.items()))
        if kind == "S":
            return len(payload.encode())
        if kind == "N":
            return math.ceil(len(payload.lstrip("-").replace(".", "")) / 2) + 1
        if kind == "B":
            return len(payload)
        if kind == "M":
            return 3 + sum(len(name.encode()) + item_bytes(item) for name, item in payload.items())
        if kind == "L":
            return 3 + sum(item_bytes(item) + 1 for item in payload)
        return 1
    return sum(len(name.encode()) + item_bytes(item) for name, item in value.items())


def _units(operation: str, params: dict[str, Any]) -> tuple[float, float]:
    """(write units, read units) DynamoDB on-demand charges for one call."""
    if operation == "PutItem":
        return math.ceil(item_bytes(params["Item"]) / 1024) + _index_copy(params["Item"]), 0
    if operation == "UpdateItem":
        return 1, 0  # counters, groups and monitors are items well under 1 KB
    if operation == "TransactWriteItems":
        writes = 0
        for action in params["TransactItems"]:
            kind, body = next(iter(action.items()))
            if kind == "Put":
                writes += 2 * math.ceil(item_bytes(body["Item"]) / 1024) + _index_copy(body["Item"])
            else:
                writes += 2
        return writes, 0
    if operation == "GetItem":
        return 0, 1  # a strongly consistent read of an item under 4 KB
    if operation == "BatchGetItem":
        return 0, sum(len(request["Keys"]) for request in params["RequestItems"].values())
    if operation == "Query":
        return 0, 0.5  # an eventually consistent read of the traces index: nothing or one small item
    return 0, 0


def _index_copy(item: dict[str, Any]) -> int:
    """A span's copy in the traces index: one more write unit (its projection stays under 1 KB)."""
    return 1 if "trace_key" in item else 0


def _canned(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    if operation == "GetItem":
        return {
            "Item": {
                "pk": params["Key"]["pk"],
                "token_id": {"S": "token-1"},
                "project_id": {"S": "project-1"},
            }
        }
    if operation == "UpdateItem" and params["TableName"] == TABLES["RATE_LIMITS_TABLE"]:
        return {"Attributes": {"n": {"N": "1"}}}
    if operation == "Query":
        return {"Items": [], "Count": 0}
    if operation == "BatchGetItem":
        # Nothing stored yet, except monitors: a cron's check-in finds its monitor (the steady state).
        found = {
            table: request["Keys"] if table == TABLES["MONITORS_TABLE"] else []
            for table, request in params["RequestItems"].items()
        }
        return {"Responses": found, "UnprocessedKeys": {}}
    return {}


@contextlib.contextmanager
def stubbed_aws(usage_sink: list[tuple[str, dict[str, Any]]], *, with_sdk: bool) -> Iterator[None]:
    import botocore.client
    from botocore.awsrequest import AWSResponse

    if not with_sdk:
        original = botocore.client.BaseClient._make_api_call

        def answer(client: Any, operation: str, params: dict[str, Any]) -> dict[str, Any]:
            usage_sink.append((operation, params))
            return _canned(operation, params)

        botocore.client.BaseClient._make_api_call = answer  # type: ignore[method-assign]
        try:
            yield
        finally:
            botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]
        return

    from logister_common.storage import clients

    def send(request: Any, **_: Any) -> AWSResponse:
        operation = request.headers["X-Amz-Target"].decode().split(".")[-1]
        params = json.loads(request.body)
        usage_sink.append((operation, params))
        body = json.dumps(_canned(operation, params)).encode()
        return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.0"}, _Raw(body))

    clients.dynamodb().meta.events.register("before-send.dynamodb", send)
    try:
        yield
    finally:
        clients.dynamodb().meta.events.unregister("before-send.dynamodb", send)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = io.BytesIO(body)

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body.read()


def _error_event(number: int) -> dict[str, Any]:
    """The shape logister-python 0.6.0 sends for capture_exception (about 1.3 KB)."""
    return {
        "event": {
            "uuid": f"{number:08x}-0000-4000-8000-000000000000",
            "event_type": "error",
            "level": "error",
            "message": "KeyError: 'customer_id'",
            "occurred_at": "2026-11-27T12:00:00.123456Z",
            "context": {
                "environment": "production",
                "release": "2026.11.27",
                "runtime": "python",
                "python_version": "3.13.0",
                "python_implementation": "CPython",
                "platform": "Linux-6.1.0-aarch64-with-glibc2.36",
                "process_id": 4242,
                "runtime_name": "python",
                "exception": {
                    "class": "KeyError",
                    "message": "'customer_id'",
                    "backtrace": [f"/srv/app/orders/service.py:{line} in handle_order" for line in range(100, 112)],
                    "frames": [
                        {"filename": "/srv/app/orders/service.py", "lineno": 100 + i, "function": "handle_order"}
                        for i in range(6)
                    ],
                },
                "request": {"method": "POST", "path": "/orders", "request_id": "req-123"},
            },
        }
    }


def scenarios() -> dict[str, tuple[str, Callable[[int], dict[str, Any]]]]:
    """name -> (handler module, request event for iteration i)."""
    from tests.support import BATCH_PATH, INGEST_PATH, http_event

    span = {
        "event": {
            "event_type": "span",
            "name": "SELECT orders",
            "message": "SELECT orders",
            "kind": "db",
            "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
            "parent_span_id": "00f067aa0ba902b7",
            "duration_ms": 12.5,
            "started_at": "2026-11-27T12:00:00.000000Z",
            "context": {"span_kind": "db", "name": "SELECT orders", "db": {"system": "postgresql"}},
        }
    }

    def single(number: int) -> dict[str, Any]:
        return http_event(_error_event(number), token=TOKEN, path=INGEST_PATH)

    def one_span(number: int) -> dict[str, Any]:
        body = {"event": {**span["event"], "span_id": f"{number:016x}"}}
        return http_event(body, token=TOKEN, path=INGEST_PATH)

    def check_in(number: int) -> dict[str, Any]:
        body = {"check_in": {"slug": "nightly-reconcile", "status": "ok", "expected_interval_seconds": 900}}
        return http_event(body, token=TOKEN, path="/api/v1/check_ins")

    def batch(number: int) -> dict[str, Any]:
        lines = [json.dumps(_error_event(number * 100 + i)) for i in range(100)]
        for i in range(0, 100, 2):  # half logs, half errors: group updates ride along
            record = json.loads(lines[i])
            record["event"]["event_type"] = "log"
            lines[i] = json.dumps(record)
        body = gzip.compress(("\n".join(lines) + "\n").encode())
        gzipped = {"content-encoding": "gzip"}
        return http_event(body, token=TOKEN, path=BATCH_PATH, content_type="application/x-ndjson", headers=gzipped)

    return {
        "single_event": ("ingest_handler", single),
        "span": ("ingest_handler", one_span),
        "check_in": ("checkin_handler", check_in),
        "batch_100": ("ingest_handler", batch),
    }


def _prepare_environment() -> None:
    sys.path[:0] = [str(ROOT / "layers/common")] + [str(ROOT / f"functions/{name}") for name in ("ingest", "checkin")]
    os.environ.update(TABLES)
    os.environ.update(LAMBDA_LIKE_ENVIRONMENT)
    os.environ["LOGISTER_TOKEN_CACHE_SECONDS"] = "10"  # the template's default
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "POWERTOOLS_METRICS_DISABLED"):
        os.environ.pop(name, None)


def _context() -> Any:
    from local.lambda_runtime import FakeLambdaContext

    class EveryRequestAnInvocation(FakeLambdaContext):
        """One context object for every request (its creation stays out of the measurement), each
        request with the whole timeout ahead of it, as each invocation has on Lambda."""

        def get_remaining_time_in_millis(self) -> int:
            return self.timeout_seconds * 1000

    return EveryRequestAnInvocation(function_name="bench", memory_limit_in_mb=256, timeout_seconds=10)


def _baseline_cpu_us(event: dict[str, Any]) -> float:
    """The least any handler does: parse the body, answer JSON (measured like the others)."""

    def handler(request: dict[str, Any]) -> dict[str, Any]:
        body = json.loads(request["body"])
        return {"statusCode": 201, "body": json.dumps({"id": str(len(body)), "status": "accepted"})}

    return _cpu_us(lambda _: handler(event))


def _cpu_us(call: Callable[[int], Any], iterations: int = ITERATIONS) -> float:
    samples = []
    for _ in range(REPEATS):
        for number in range(min(50, iterations)):
            call(number)
        start = time.process_time()
        for number in range(iterations):
            call(number)
        samples.append((time.process_time() - start) / iterations * 1e6)
    return statistics.median(samples)


def measure() -> dict[str, Any]:
    """CPU per request (ours, and with botocore), DynamoDB calls and units per request."""
    _prepare_environment()
    import importlib

    context = _context()
    results: dict[str, Any] = {"own_cpu_us": {}, "sdk_cpu_us": {}, "usage": {}}
    sink = io.StringIO()
    for name, (module_name, make_event) in scenarios().items():
        handler = importlib.import_module(module_name).lambda_handler
        events = [make_event(number) for number in range(ITERATIONS + 50)]
        for with_sdk in (False, True):
            calls: list[tuple[str, dict[str, Any]]] = []
            with stubbed_aws(calls, with_sdk=with_sdk), contextlib.redirect_stdout(sink):
                iterations = ITERATIONS // 10 if name == "batch_100" else ITERATIONS  # 100 events each
                cpu = _cpu_us(
                    lambda number, handler=handler, events=events: _checked(handler(events[number], context)),
                    iterations,
                )
                usage = _usage_per_request(handler, events[:100], context, calls)
            results["sdk_cpu_us" if with_sdk else "own_cpu_us"][name] = round(cpu, 1)
            results["usage"][name] = usage
            sink.seek(0)
            sink.truncate()
    results["baseline_cpu_us"] = round(_baseline_cpu_us(scenarios()["single_event"][1](0)), 1)
    return results


def _checked(response: dict[str, Any]) -> dict[str, Any]:
    if response["statusCode"] >= 300:
        raise RuntimeError(f"benchmark request failed: {response}")
    return response


def _usage_per_request(handler: Any, events: list[dict[str, Any]], context: Any, calls: list) -> Usage:
    usage = Usage()
    for event in events:
        calls.clear()
        _checked(handler(event, context))
        usage.calls.append(len(calls))
        units = [_units(operation, params) for operation, params in calls]
        usage.write_units.append(sum(write for write, _ in units))
        usage.read_units.append(sum(read for _, read in units))
    return usage
