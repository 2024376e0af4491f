"""Benchmarks for the ingest path (`make bench`).

1. DynamoDB calls per request, counted at the botocore level through the real handler (moto).
2. Requests per second through the local API (`make dev`'s server) over HTTP, against a baseline
   measured in the same run: the same client hitting an unrouted path (404, no handler work).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "layers/common"), str(ROOT / "functions/ingest"), str(ROOT / "functions/checkin"), str(ROOT)]

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "600"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))

EVENTS = {
    "log event": {"event": {"event_type": "log", "level": "info", "message": "hello", "context": {"a": 1}}},
    "error event": {"event": {"event_type": "error", "level": "error", "message": "Boom\n at x", "context": {}}},
    "span": {"event": {"event_type": "span", "name": "GET /", "trace_id": "t", "span_id": "s", "duration_ms": 3}},
}


def _batches() -> dict[str, list[dict]]:
    def identity(number: int, kind: str) -> str:
        return f"{number:08x}-{ {'log': 'aaaa', 'mix': 'bbbb'}[kind] }-4000-8000-000000000000"

    logs = [{"event": {**EVENTS["log event"]["event"], "uuid": identity(n, "aaaa")}} for n in range(100)]
    mixed = []
    for n in range(100):
        template = [EVENTS["log event"], EVENTS["error event"], EVENTS["span"]][n % 3]["event"]
        mixed.append({"event": {**template, "uuid": identity(n, "bbbb"), "span_id": f"s{n}"}})
    return {"batch of 100 logs": logs, "batch of 100 mixed": mixed}


def dynamodb_calls_per_request() -> dict[str, Counter]:
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_METRICS_DISABLED="true",
    )
    import boto3
    from moto import mock_aws

    from local.emulation import provision
    from local.lambda_runtime import FakeLambdaContext
    from local.template import load_template
    from tests.support import BATCH_PATH, http_event, ndjson

    with mock_aws():
        os.environ.update(
            provision(load_template(ROOT / "template.yaml"), boto3.client("dynamodb"), boto3.client("s3"))
        )
        import checkin_handler
        import ingest_handler

        from logister_common import provisioning
        from logister_common.stores import clients

        token = provisioning.issue_token(provisioning.create_project("bench")).token
        calls: list[str] = []
        clients.dynamodb().meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
        context = FakeLambdaContext(function_name="IngestFunction", memory_limit_in_mb=512, timeout_seconds=10)
        cases = {**EVENTS, "duplicate span": EVENTS["span"]}
        counted = {}
        for name, body in cases.items():
            calls.clear()
            ingest_handler.lambda_handler(http_event(body, token=token), context)
            counted[name] = Counter(calls)
        for name, lines in _batches().items():
            calls.clear()
            event = http_event(
                ndjson(*lines),
                token=token,
                path=BATCH_PATH,
                content_type="application/x-ndjson",
                headers={"Content-Encoding": "gzip"},
            )
            ingest_handler.lambda_handler(event, context)
            counted[name] = Counter(calls)
        calls.clear()
        check_in = {"check_in": {"slug": "nightly", "status": "ok"}}
        checkin_handler.lambda_handler(http_event(check_in, token=token, path="/api/v1/check_ins"), context)
        counted["check-in"] = Counter(calls)
        calls.clear()
        ingest_handler.lambda_handler(http_event(EVENTS["log event"], token="wrong"), context)
        counted["401 (bad token)"] = Counter(calls)
    return counted


def throughput(url: str, token: str) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    sessions = [requests.Session() for _ in range(THREADS)]

    def rate(method: str, path: str, bodies: list[dict | None]) -> float:
        def send(index: int) -> int:
            session = sessions[index % THREADS]
            reply = session.request(method, f"{url}{path}", json=bodies[index % len(bodies)], headers=headers)
            return reply.status_code

        started = time.perf_counter()
        with ThreadPoolExecutor(THREADS) as pool:
            statuses = Counter(pool.map(send, range(REQUESTS)))
        elapsed = time.perf_counter() - started
        assert all(status < 500 for status in statuses), statuses
        return REQUESTS / elapsed

    baseline, ingest = [], []
    bodies = [EVENTS["log event"], EVENTS["error event"]]
    for _ in range(RUNS):
        baseline.append(rate("POST", "/unrouted", [None]))
        ingest.append(rate("POST", "/api/v1/ingest_events", bodies))
    return {"baseline_rps": statistics.median(baseline), "ingest_rps": statistics.median(ingest)}


def main() -> None:
    print("DynamoDB calls per request (through the ingest handler):")
    for name, calls in dynamodb_calls_per_request().items():
        detail = ", ".join(f"{operation} x{count}" for operation, count in calls.items())
        print(f"  {name:<18} {sum(calls.values())}  ({detail})")

    from tests.e2e.conftest import running_local_api

    with (
        tempfile.TemporaryDirectory() as folder,
        running_local_api(
            Path(folder),
            LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS="10000000",
            LOGISTER_PUBLIC_API_PRE_AUTH_RATE_LIMIT_REQUESTS="10000000",
        ) as api,
    ):
        figures = throughput(api.url, api.token)
    print(f"Local API over HTTP, {REQUESTS} requests x {RUNS} runs, {THREADS} threads (medians):")
    print(f"  baseline (unrouted 404):  {figures['baseline_rps']:8.0f} req/s")
    print(f"  POST /api/v1/ingest_events: {figures['ingest_rps']:6.0f} req/s")
    print(f"  ratio ingest/baseline:    {figures['ingest_rps'] / figures['baseline_rps']:8.2f}")


if __name__ == "__main__":
    main()
