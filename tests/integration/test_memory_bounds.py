"""No per-container cache grows with what a sender chooses: unique long keys through the real handler
(issue 12, finding 3: eight batches with one unique ~1 MB key each pinned 223 MiB in one container)."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator

from logister_common.operator.provisioning import IssuedToken
from tests.support import Reply, ndjson

REQUESTS = 8  # of each kind: single events and batches
KEY_CHARACTERS = 256 * 1024  # repetitive, so the stored (compressed) documents stay small
# Each request brings two unique keys of 256 Ki characters (one top-level, one in the context).
# Caches keeping them and their normalized forms retained 25.7 MiB over these 16 requests; what
# legitimately remains (the emulated tables' compressed items, the handlers' buffers) was 0.5 MiB.
MAX_GROWTH = 8 * 1024 * 1024


def long_key(kind: str, number: int) -> str:
    return f"{kind}{number:04d}" + "longKey" * (KEY_CHARACTERS // 7)


def events(kind: str) -> Iterator[dict]:
    for number in range(REQUESTS):
        yield {
            "event_type": "log",
            "level": "info",
            "message": f"{kind} {number}",
            "uuid": f"{number:08x}-{'aaaa' if kind == 'single' else 'bbbb'}-cccc-dddd-eeeeeeeeeeee",
            long_key(f"top-{kind}", number): 1,
            "context": {long_key(f"context-{kind}", number): "v"},
        }


def traced_growth(send: Callable[[], list[Reply]]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        replies = send()
        del replies
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_unique_long_keys_leave_no_per_container_growth(ingest, batch, project: IssuedToken):
    warm_up = {"event_type": "log", "level": "info", "message": "warm", "uuid": "ffffffff-aaaa-cccc-dddd-eeeeeeeeeeee"}
    assert ingest({"event": warm_up}, token=project.token).status == 201

    def send() -> list[Reply]:
        replies = [ingest({"event": event}, token=project.token) for event in events("single")]
        replies += [batch(ndjson({"event": event}), token=project.token) for event in events("batch")]
        assert [reply.status for reply in replies] == [201] * REQUESTS + [202] * REQUESTS, replies
        return replies

    growth = traced_growth(send)
    assert growth < MAX_GROWTH, f"{growth / 2**20:.1f} MiB retained"
