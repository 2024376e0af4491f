"""The one place that reads the clock, so tests can reason about windows."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def epoch_seconds() -> float:
    return time.time()
