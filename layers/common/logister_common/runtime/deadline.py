"""The time by which the current request must be answered, which every AWS call respects.

The edge sets it from the Lambda context (edge/router.py); storage/clients.py refuses to start an
attempt that could not finish before it, so a stalled store is answered 503 with Retry-After
instead of being cut off by the function timeout (a gateway error, possibly after a write).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# Kept for answering after the last call: building the answer, flushing metrics and logs.
MARGIN_SECONDS = 1.0

_deadline: ContextVar[float | None] = ContextVar("deadline", default=None)
_now = time.monotonic  # tests replace it to stall calls without sleeping


@contextmanager
def answering_within(seconds: float) -> Iterator[None]:
    """Within the block, AWS calls must be over `seconds` (less the margin) from now."""
    token = _deadline.set(_now() + seconds - MARGIN_SECONDS)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining_seconds() -> float | None:
    """What is left before the deadline; None outside a request (the stream consumers, the CLI)."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - _now()
