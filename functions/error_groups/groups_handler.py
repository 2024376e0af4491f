"""The events table's stream: count error occurrences into their groups, a batch at a time."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from logister_common.error_groups import count_occurrences
from logister_common.telemetry import instrumented, metrics


@instrumented
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    # A failure raises: the stream retries the whole batch, whose transaction counted nothing.
    counted = count_occurrences(event.get("Records") or [])
    metrics.add_metric(name="error_occurrences_counted", unit=MetricUnit.Count, value=counted)
    return {"counted": counted}
