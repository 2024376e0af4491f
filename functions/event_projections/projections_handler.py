"""The events stream: list what arrived, count errors into their groups, apply pending check-ins, index
the deployments events name and aggregate transactions per hour."""

from __future__ import annotations

from logister_common.runtime.initialization import initializing

with initializing():  # the container's init: see runtime/initialization.py
    from typing import Any

    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent

    from logister_common.projections.consumer import project
    from logister_common.runtime.telemetry import instrumented, metrics


@instrumented
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    # ReportBatchItemFailures: the stream redelivers from the one sequence number reported, whose
    # writes (and those after it) are idempotent; a record that fails for good was skipped already.
    done = project(list(DynamoDBStreamEvent(event).records))
    metrics.add_metric(name="error_occurrences_counted", unit=MetricUnit.Count, value=done.errors_counted)
    metrics.add_metric(name="pending_check_ins_applied", unit=MetricUnit.Count, value=done.check_ins_applied)
    metrics.add_metric(name="telemetry_deployments_indexed", unit=MetricUnit.Count, value=done.deployments_indexed)
    metrics.add_metric(name="transactions_aggregated", unit=MetricUnit.Count, value=done.transactions_aggregated)
    metrics.add_metric(name="stream_records_isolated", unit=MetricUnit.Count, value=done.isolated)
    return {"batchItemFailures": [] if done.retry_from is None else [{"itemIdentifier": done.retry_from}]}
