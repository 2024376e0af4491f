"""The events table's stream: list what arrived and count errors into their groups, a batch at a time."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent

from logister_common.projections.consumer import project
from logister_common.runtime.telemetry import instrumented, metrics


@instrumented
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    # A failure raises: the stream redelivers the batch, whose writes are idempotent.
    done = project(list(DynamoDBStreamEvent(event).records))
    metrics.add_metric(name="error_occurrences_counted", unit=MetricUnit.Count, value=done["errors_counted"])
    return done
