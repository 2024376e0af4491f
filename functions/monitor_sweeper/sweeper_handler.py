"""Scheduled: bring every overdue check-in monitor up to date (missed, timed out, reminded)."""

from __future__ import annotations

from logister_common.runtime.initialization import initializing

with initializing():  # the container's init: see runtime/initialization.py
    from dataclasses import asdict
    from typing import Any

    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from logister_common.monitors.sweep import sweep
    from logister_common.runtime.telemetry import instrumented, metrics


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    result = sweep()
    metrics.add_metric(name="monitors_missed", unit=MetricUnit.Count, value=result.missed)
    metrics.add_metric(name="monitor_runs_timed_out", unit=MetricUnit.Count, value=result.timed_out)
    metrics.add_metric(name="monitor_reminders", unit=MetricUnit.Count, value=result.reminded)
    metrics.add_metric(name="sweep_items_read", unit=MetricUnit.Count, value=result.items_read)
    return asdict(result)
