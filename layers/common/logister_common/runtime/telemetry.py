"""Our own observability (Powertools): one Logger and one Metrics, and the handler wrapper."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
metrics = Metrics()

Handler = Callable[[dict[str, Any], Any], Any]


def count(name: str) -> None:
    """A per-invocation count, flushed as one EMF document when the handler returns."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def instrumented(handler: Handler) -> Handler:
    """Structured logs with the Lambda context, metrics flushed per invocation, and optionally
    X-Ray SDK subsegments.

    The X-Ray SDK costs ~150 ms of cold start to import, so Powertools' Tracer is loaded only when
    LOGISTER_SDK_TRACING=true; without it, the functions' active tracing still traces every
    invocation end to end (API Gateway -> Lambda).
    """
    wrapped = logger.inject_lambda_context(clear_state=True)(metrics.log_metrics(handler))
    if os.environ.get("LOGISTER_SDK_TRACING", "").strip().lower() == "true":
        from aws_lambda_powertools import Tracer

        wrapped = Tracer().capture_lambda_handler(capture_response=False)(wrapped)
    return wrapped
