"""Our own observability: one Logger and one Metrics for the shared package (Powertools)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(child=True)
metrics = Metrics()


def count(name: str) -> None:
    """A per-invocation count, flushed as one EMF document by the handler's log_metrics."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
