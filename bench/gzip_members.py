"""Gzip batch decoding: as many members as allowed against one member, the same bytes decompressed.

Decoding walks members by offset, so their number should barely matter: the ratio of the two
medians (measured side by side in this run) is the figure. Also timed: 2 MiB of empty members
(issue 12, finding 4: 16.6 s of CPU before), now refused at the member cap.
"""

from __future__ import annotations

import gzip
import json
import os
import statistics
import time
from collections.abc import Callable

from logister_common.contract.batch_lines import MAX_DECOMPRESSED_BYTES, MAX_GZIP_MEMBERS, gunzip
from logister_common.contract.errors import PayloadTooLarge
from logister_common.contract.payload_limits import MAX_WIRE_BYTES

REPEATS = int(os.environ.get("BENCH_GZIP_REPEATS", "7"))


def _ndjson(size: int) -> bytes:
    """Log lines like an SDK's, up to `size` bytes."""
    lines = []
    total = 0
    number = 0
    while total < size:
        event = {"event_type": "log", "level": "info", "message": f"request {number} served", "uuid": f"{number:032x}"}
        line = json.dumps({"event": {**event, "context": {"path": f"/orders/{number}", "status": 200}}}) + "\n"
        lines.append(line)
        total += len(line)
        number += 1
    return "".join(lines).encode()[:size]


def _cpu_ms(call: Callable[[], object]) -> float:
    start = time.process_time()
    call()
    return (time.process_time() - start) * 1000


def _refused(body: bytes) -> None:
    try:
        gunzip(body)
    except PayloadTooLarge:
        return
    raise AssertionError("2 MiB of empty gzip members was accepted")


def measure() -> dict[str, float]:
    raw = _ndjson(MAX_DECOMPRESSED_BYTES)
    size = -(-len(raw) // MAX_GZIP_MEMBERS)
    one = gzip.compress(raw)
    many = b"".join(gzip.compress(raw[start : start + size]) for start in range(0, len(raw), size))
    empty = gzip.compress(b"")
    flood = empty * (MAX_WIRE_BYTES // len(empty))  # the most members a request can carry
    assert gunzip(one) == gunzip(many) == raw
    one_ms, many_ms, flood_ms = [], [], []
    for _ in range(REPEATS):  # interleaved, so both see the same machine
        one_ms.append(_cpu_ms(lambda: gunzip(one)))
        many_ms.append(_cpu_ms(lambda: gunzip(many)))
        flood_ms.append(_cpu_ms(lambda: _refused(flood)))
    one_median, many_median = statistics.median(one_ms), statistics.median(many_ms)
    return {
        "members": MAX_GZIP_MEMBERS,
        "decompressed_bytes": len(raw),
        "one_member_ms": round(one_median, 2),
        "many_members_ms": round(many_median, 2),
        "ratio": round(many_median / one_median, 2),
        "empty_members_refused_ms": round(statistics.median(flood_ms), 3),
    }
