"""A CloudWatch Logs subscription on the API functions' logs: rejected submissions, forwarded to the
Logister-compatible API of LOGISTER_ENDPOINT (diagnostics/)."""

from __future__ import annotations

from logister_common.runtime.initialization import initializing

with initializing():  # the container's init: see runtime/initialization.py
    import os
    from typing import Any

    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.utilities.data_classes import CloudWatchLogsEvent

    from logister_common.diagnostics.log_events import diagnostic_events
    from logister_common.diagnostics.sender import send
    from logister_common.runtime.telemetry import instrumented, metrics
    from logister_common.storage.api_key_parameter import api_key


@instrumented
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    logs = CloudWatchLogsEvent(event).parse_logs_data()
    events = diagnostic_events((line.get_id, line.timestamp, line.message) for line in logs.log_events)

    def seconds_left() -> float:
        return float(context.get_remaining_time_in_millis()) / 1000

    key = api_key(os.environ["LOGISTER_API_KEY_PARAMETER"]) if events else ""
    accepted = send(events, os.environ["LOGISTER_ENDPOINT"], key, seconds_left) if events else 0
    metrics.add_metric(name="diagnostics_forwarded", unit=MetricUnit.Count, value=accepted)
    return {"forwarded": accepted}
