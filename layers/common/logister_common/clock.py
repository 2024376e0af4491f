"""Time helpers: one place that reads the clock, so tests can reason about windows."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def epoch_seconds() -> float:
    return time.time()


def iso_utc(moment: datetime) -> str:
    """ISO-8601 in UTC with microseconds and a Z, e.g. 2026-11-27T18:46:54.123456Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
