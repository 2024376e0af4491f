"""Sending diagnostic events to a Logister-compatible API: gzip NDJSON batches, retried as clients should.

429 and 5xx answers and network errors are retried after the server's Retry-After (else an
exponential back-off), as long as the invocation has time left; then the batch fails, and the
subscription's invocation is retried by Lambda. Any other 4xx is final (the receiving API refuses
the batch; retrying cannot help): it is logged and dropped.
"""

from __future__ import annotations

import gzip
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from logister_common.diagnostics.log_events import FORWARDER_USER_AGENT
from logister_common.runtime.telemetry import logger

BATCH_LINES = 100  # the contract's batch cap
REQUEST_SECONDS = 10
MAX_BACKOFF_SECONDS = 30
_INGEST_PATH = re.compile(r"/api/v1/ingest_events(\.json)?(/batch)?/?$")


class NotDelivered(Exception):
    """The receiving API stayed unavailable (or kept throttling) for as long as the invocation could wait."""


def batch_url(endpoint: str) -> str:
    """LOGISTER_ENDPOINT may be the API's base URL or its ingest URL, as Logister's own setting is."""
    base = _INGEST_PATH.sub("", endpoint.strip().rstrip("/"))
    return f"{base}/api/v1/ingest_events/batch"


def send(
    events: list[dict[str, Any]],
    endpoint: str,
    api_key: str,
    seconds_left: Callable[[], float],
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Deliver the events in batches; returns how many the API accepted (duplicates included)."""
    accepted = 0
    for start in range(0, len(events), BATCH_LINES):
        lines = events[start : start + BATCH_LINES]
        body = gzip.compress("".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines).encode())
        accepted += _deliver(batch_url(endpoint), body, api_key, len(lines), seconds_left, sleep)
    return accepted


def _deliver(
    url: str, body: bytes, api_key: str, count: int, seconds_left: Callable[[], float], sleep: Callable[[float], None]
) -> int:
    attempt = 0
    while True:
        attempt += 1
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {api_key}",
                "Content-Type": "application/x-ndjson",
                "Content-Encoding": "gzip",
                "User-Agent": FORWARDER_USER_AGENT,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_SECONDS) as response:
                return count if 200 <= response.status < 300 else 0
        except urllib.error.HTTPError as error:
            if error.code != 429 and error.code < 500:
                logger.warning("diagnostics refused", extra={"status": error.code, "lines": count})
                return 0
            wait = _retry_after(error.headers.get("Retry-After"), attempt)
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            wait = _retry_after(None, attempt)
        if wait + REQUEST_SECONDS > seconds_left():
            raise NotDelivered(url)
        sleep(wait)


def _retry_after(header: str | None, attempt: int) -> float:
    """The server's Retry-After in seconds (an HTTP date is treated as unknown), else 2^attempt, at most 30 s."""
    if header:
        try:
            return min(max(float(header.strip()), 0.0), MAX_BACKOFF_SECONDS)
        except ValueError:
            pass
    return float(min(2**attempt, MAX_BACKOFF_SECONDS))
