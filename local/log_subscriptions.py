"""CloudWatch Logs subscription filters: a function's log lines that match, delivered to another function.

A function event of Type CloudWatchLogs (`LogGroupName: !Ref SomeFunctionLogs`, `FilterPattern:
'{ $.field = "value" }'`) subscribes to the log group a function writes to (its `LoggingConfig.LogGroup`).
Every function runs in this process and logs through Powertools to stdout; LogCapture sees each
line as it is written, keeps those a subscription's pattern matches, and deliver() hands them to the
subscribed function in the awslogs event format (base64 of gzipped JSON), as CloudWatch Logs would.
Only JSON equality patterns are emulated; any other pattern is refused at start.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import re
import sys
import threading
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .lambda_runtime import LocalFunction
from .template import ACCOUNT_ID, DEFAULT_PREFIX, FUNCTION_TYPE, function_events, function_properties, resources_of_type

_EQUALS = re.compile(r'^\{\s*\$\.(\w+)\s*=\s*"([^"]*)"\s*\}$')


@dataclass(frozen=True, slots=True)
class LogSubscription:
    function_id: str  # the subscribed function
    log_group_id: str  # the logical id of the log group it subscribes to
    field: str
    value: str


def log_subscriptions(template: Mapping[str, Any]) -> list[LogSubscription]:
    """Every CloudWatchLogs event of every function, in template order."""
    found = []
    for function_id, event_id, props in function_events(template, "CloudWatchLogs"):
        group = props.get("LogGroupName")
        pattern = _EQUALS.match(str(props.get("FilterPattern", "")).strip())
        if not (isinstance(group, dict) and "Ref" in group) or pattern is None:
            raise ValueError(
                f"{function_id}.{event_id}: only `LogGroupName: !Ref <LogGroup>` with a "
                '`{ $.field = "value" }` FilterPattern can be emulated'
            )
        found.append(LogSubscription(function_id, str(group["Ref"]), pattern.group(1), pattern.group(2)))
    return found


def writers(template: Mapping[str, Any]) -> dict[str, str]:
    """Function id -> the logical id of the log group it writes to."""
    found = {}
    for function_id, _ in resources_of_type(template, FUNCTION_TYPE):
        group = (function_properties(template, function_id).get("LoggingConfig") or {}).get("LogGroup")
        if isinstance(group, dict) and "Ref" in group:
            found[function_id] = str(group["Ref"])
    return found


class LogCapture(logging.Handler):
    """Attached to the package's logger: keeps the lines a subscription matches, until delivered."""

    def __init__(self, subscriptions: list[LogSubscription], groups: Mapping[str, str], formatter: Any) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self._subscriptions = subscriptions
        self._groups = groups
        self._pending: list[tuple[LogSubscription, str, int, str]] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            fields = json.loads(line)
        except Exception:  # never let the emulation break a function's logging
            return
        function_id = str(fields.get("function_name", "")).removeprefix(f"{DEFAULT_PREFIX}-")
        group = self._groups.get(function_id)
        matched = [s for s in self._subscriptions if s.log_group_id == group and fields.get(s.field) == s.value]
        with self._lock:
            self._pending += [(subscription, group or "", int(record.created * 1000), line) for subscription in matched]

    def deliver(self, functions: Mapping[str, LocalFunction]) -> int:
        """Invoke each subscribed function once with the lines kept for it; returns how many lines went."""
        with self._lock:
            pending, self._pending = self._pending, []
        by_function: dict[str, list[tuple[str, int, str]]] = {}
        for subscription, group, timestamp, line in pending:
            by_function.setdefault(subscription.function_id, []).append((group, timestamp, line))
        for function_id, lines in by_function.items():
            try:
                functions[function_id].invoke(_awslogs_event(lines))
            except Exception:  # as Lambda: the invocation failed; the emulation goes on
                print(f"log subscription to {function_id} failed:", file=sys.stderr)
                traceback.print_exc(file=sys.stderr)
        return len(pending)


def _awslogs_event(lines: list[tuple[str, int, str]]) -> dict[str, Any]:
    data = {
        "messageType": "DATA_MESSAGE",
        "owner": ACCOUNT_ID,
        "logGroup": lines[0][0],
        "logStream": "local",
        "subscriptionFilters": ["local"],
        "logEvents": [{"id": str(uuid.uuid4().int)[:56], "timestamp": ts, "message": line} for _, ts, line in lines],
    }
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()}}
