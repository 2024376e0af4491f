"""Transactions' performance over a window, from the hourly aggregates (projections/performance.py):
one Query of the project and environment's hours, the sketches merged per name; no event is read.

Logister's definitions (ingest_event_reporting.rb, transaction_stats): error rate is errored / all
transactions, throughput is transactions per minute of the window, and percentiles leave out zero
durations. The window is whole hours of arrival: its first hour counts whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from logister_common.projections.performance import OTHER, Sketch
from logister_common.storage import performance_table
from logister_common.storage.performance_table import Aggregate

HOUR_FORMAT = "%Y-%m-%dT%H"


@dataclass(frozen=True, slots=True)
class TransactionPerformance:
    transaction: str  # the name (`<other>`: names past the cap)
    count: int
    errors: int
    error_rate: float
    p50_ms: float | None  # None: no positive duration
    p95_ms: float | None
    p99_ms: float | None
    throughput_per_minute: float


@dataclass(frozen=True, slots=True)
class HourlyP95:
    hour: str  # YYYY-MM-DDTHH, UTC
    count: int
    p95_ms: float | None


def aggregates(project_id: str, environment: str, since: datetime, now: datetime) -> list[Aggregate]:
    return list(
        performance_table.hours(project_id, environment, since.strftime(HOUR_FORMAT), now.strftime(HOUR_FORMAT))
    )


def display_name(aggregate: Aggregate) -> str:
    return OTHER if aggregate.name is None else aggregate.name


def summarize(found: Iterable[Aggregate], window_minutes: float) -> list[TransactionPerformance]:
    """Per transaction name, slowest (p95) first; names without a duration last, by count."""
    merged: dict[str, tuple[int, int, Sketch]] = {}
    for aggregate in found:
        name = display_name(aggregate)
        count, errors, sketch = merged.get(name, (0, 0, Sketch()))
        sketch.merge(Sketch.decode(aggregate.sketch))
        merged[name] = (count + aggregate.count, errors + aggregate.errors, sketch)
    rows = [
        TransactionPerformance(
            transaction=name,
            count=count,
            errors=errors,
            error_rate=round(errors / count, 3) if count else 0.0,
            p50_ms=_rounded(sketch.quantile(0.50)),
            p95_ms=_rounded(sketch.quantile(0.95)),
            p99_ms=_rounded(sketch.quantile(0.99)),
            throughput_per_minute=round(count / window_minutes, 3) if window_minutes > 0 else 0.0,
        )
        for name, (count, errors, sketch) in merged.items()
    ]
    rows.sort(key=lambda row: (row.p95_ms is None, -(row.p95_ms or 0.0), -row.count, row.transaction))
    return rows


def hourly_p95(found: Iterable[Aggregate], name: str) -> list[HourlyP95]:
    """The p95 of one transaction name per hour it has an aggregate in, oldest first."""
    return [
        HourlyP95(
            hour=aggregate.hour,
            count=aggregate.count,
            p95_ms=_rounded(Sketch.decode(aggregate.sketch).quantile(0.95)),
        )
        for aggregate in sorted(found, key=lambda aggregate: aggregate.hour)
        if display_name(aggregate) == name
    ]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
