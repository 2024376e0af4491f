"""Requests per second through the local API (`make dev`'s server) over HTTP.

Measured against a baseline in the same run: the same client hitting an unrouted path (404, no
handler work). moto emulates every DynamoDB call here, so this measures the local stack, not Lambda.
Run with `python -m bench.local_http`.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "600"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
EVENTS = [
    {"event": {"event_type": "log", "level": "info", "message": "hello", "context": {"a": 1}}},
    {"event": {"event_type": "error", "level": "error", "message": "Boom\n at x", "context": {}}},
]


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
    bodies = EVENTS
    for _ in range(RUNS):
        baseline.append(rate("POST", "/unrouted", [None]))
        ingest.append(rate("POST", "/api/v1/ingest_events", bodies))
    return {"baseline_rps": statistics.median(baseline), "ingest_rps": statistics.median(ingest)}


def main() -> None:
    from tests.e2e.conftest import running_local_api

    unlimited = {
        "LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS": "10000000",
        "LOGISTER_PUBLIC_API_PRE_AUTH_RATE_LIMIT_REQUESTS": "10000000",
    }
    with tempfile.TemporaryDirectory() as folder, running_local_api(Path(folder), **unlimited) as api:
        figures = throughput(api.url, api.token)
    print(f"Local API over HTTP, {REQUESTS} requests x {RUNS} runs, {THREADS} threads (medians):")
    print(f"  baseline (unrouted 404):    {figures['baseline_rps']:8.0f} req/s")
    print(f"  POST /api/v1/ingest_events: {figures['ingest_rps']:8.0f} req/s")
    print(f"  ratio ingest/baseline:      {figures['ingest_rps'] / figures['baseline_rps']:8.2f}")


if __name__ == "__main__":
    main()
