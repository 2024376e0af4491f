"""Rejected-submission log lines (from a CloudWatch Logs subscription) as Logister `log` events. Pure.

Each line the API functions log as "rejected submission" becomes a `warn` log event whose context
holds the line's fields (keys and metadata only: the line never holds a token or a payload value).
Its uuid derives from the CloudWatch log event id, so a redelivered subscription batch is answered
as duplicates by the receiving API instead of being stored twice. Lines about the forwarder's own
submissions (its User-Agent) are dropped, so a receiving API that rejects them never feeds a loop.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

REJECTED = "rejected submission"
FORWARDER_USER_AGENT = "logister-serverless-diagnostics/1"
# Powertools' own keys: where and when the line was written, not what was rejected.
_LOGGER_KEYS = frozenset(
    {
        "level",
        "location",
        "message",
        "timestamp",
        "service",
        "cold_start",
        "function_memory_size",
        "function_arn",
        "function_request_id",
        "sampling_rate",
        "xray_trace_id",
    }
)
_NAMESPACE = uuid.UUID("6f1c8f3e-2b1d-4f7a-9a57-0d5f3c2b9e41")


def diagnostic_events(log_events: Iterable[tuple[str, int, str]]) -> list[dict[str, Any]]:
    """(CloudWatch log event id, timestamp in ms, message) -> one Logister event per rejected submission."""
    events = []
    for event_id, timestamp_ms, message in log_events:
        try:
            line = json.loads(message)
        except ValueError:
            continue  # not one of our structured lines
        if not isinstance(line, dict) or line.get("message") != REJECTED:
            continue
        if line.get("user_agent") == FORWARDER_USER_AGENT:
            continue  # about our own forwarding: never forwarded again
        context = {key: value for key, value in line.items() if key not in _LOGGER_KEYS}
        reason = str(context.get("reason") or context.get("status") or "unknown")
        events.append(
            {
                "event": {
                    "event_type": "log",
                    "level": "warn",
                    "message": f"{REJECTED}: {reason}",
                    "uuid": str(uuid.uuid5(_NAMESPACE, event_id)),
                    "occurred_at": datetime.fromtimestamp(timestamp_ms / 1000, UTC).isoformat().replace("+00:00", "Z"),
                    "context": {"logister_diagnostics": context},
                }
            }
        )
    return events
