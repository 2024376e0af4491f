"""EventBridge schedules: a function event of Type Schedule, invoked every few seconds with the scheduled event.

The local interval is LOGISTER_LOCAL_SWEEP_SECONDS when set (any positive number of seconds, so a demo
need not wait a minute), else the schedule's own rate() expression, else 60 seconds.
"""

from __future__ import annotations

import json
import re
import sys
import traceback
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .lambda_runtime import LocalFunction
from .template import ACCOUNT_ID, DEFAULT_PREFIX, REGION, function_events, resolve

INTERVAL_VARIABLE = "LOGISTER_LOCAL_SWEEP_SECONDS"
DEFAULT_INTERVAL_SECONDS = 60.0
_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True, slots=True)
class ScheduleSource:
    function_id: str
    event_id: str
    expression: str  # rate(...) or cron(...)
    rule_name: str
    input: str | None = None  # the Input property: a JSON document sent instead of the scheduled event


def schedule_sources(
    template: Mapping[str, Any], params: Mapping[str, str], prefix: str = DEFAULT_PREFIX
) -> list[ScheduleSource]:
    """Every enabled Schedule event of every function, in template order."""
    found: list[ScheduleSource] = []
    for function_id, event_id, raw in function_events(template, "Schedule"):
        props = resolve(template, raw, params)
        enabled = str(props.get("Enabled", True)).lower() != "false" and props.get("State", "ENABLED") != "DISABLED"
        if not enabled:
            continue
        # SAM names the rule <stack>-<function><event>-<suffix> unless Name is given; rule names hold 64 characters.
        rule_name = str(props.get("Name") or f"{prefix}-{function_id}{event_id}")[:64]
        found.append(ScheduleSource(function_id, event_id, str(props["Schedule"]), rule_name, props.get("Input")))
    return found


def rate_seconds(expression: str) -> int | None:
    """The period of a rate() expression in seconds; None for cron() and anything else."""
    match = _RATE.match(expression.strip())
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2).removesuffix("s")] if match else None


def interval_seconds(sources: Iterable[ScheduleSource], environ: Mapping[str, str]) -> float:
    raw = environ.get(INTERVAL_VARIABLE, "").strip()
    if raw:
        try:
            value = float(raw)
        except ValueError:
            value = 0.0
        if not value > 0:
            raise ValueError(f"{INTERVAL_VARIABLE} must be a positive number of seconds, not {raw!r}")
        return value
    rates = [seconds for source in sources if (seconds := rate_seconds(source.expression))]
    return float(min(rates)) if rates else DEFAULT_INTERVAL_SECONDS


def scheduled_event(
    rule_arn: str, region: str = REGION, account_id: str = ACCOUNT_ID, now: datetime | None = None
) -> dict[str, Any]:
    """The event EventBridge sends a scheduled rule's target."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


class ScheduleRunner:
    """Invokes every scheduled function once per run_once() (the devserver repeats it in a Repeater)."""

    def __init__(
        self,
        sources: Iterable[ScheduleSource],
        functions: Mapping[str, LocalFunction],
        region: str = REGION,
        account_id: str = ACCOUNT_ID,
    ) -> None:
        self.sources = list(sources)
        self._functions = functions
        self._region = region
        self._account_id = account_id

    def event_for(self, source: ScheduleSource) -> dict[str, Any]:
        if source.input is not None:
            event: dict[str, Any] = json.loads(source.input)
            return event
        rule_arn = f"arn:aws:events:{self._region}:{self._account_id}:rule/{source.rule_name}"
        return scheduled_event(rule_arn, self._region, self._account_id)

    def run_once(self) -> dict[str, Any]:
        """Invoke each scheduled function; return each one's result. A failure is printed to stderr."""
        results: dict[str, Any] = {}
        for source in self.sources:
            function = self._functions[source.function_id]
            try:
                results[f"{source.function_id}.{source.event_id}"] = function.invoke(self.event_for(source))
            except Exception:
                print(f"{function.function_id} failed (schedule {source.event_id}):", file=sys.stderr)
                traceback.print_exc(file=sys.stderr)
        return results
