"""What the events stream aggregates of a transaction (projections/performance.py), read at write time
so the stream never decodes documents: its name, its duration and whether it errored.

Logister's definitions (app/models/concerns/ingest_event_context.rb, ingest_event_reporting.rb): the
name is the context's `transaction_name` (else `transactionName`), the duration its `duration_ms`
(else `durationMs`) read with Ruby's to_f, and a transaction errored when its level is error or
fatal or its context's `status`, read with to_i, is 500 or more.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from logister_common.contract.ruby_values import is_present, to_f, to_i

TRANSACTION_EVENT_TYPE = "transaction"
# Longer names are cut (at a character boundary) to this many UTF-8 bytes: one aggregate per name.
NAME_MAX_BYTES = 200
# A day: a longer (or infinite) duration is a client's bug, and would skew every sum it joined.
DURATION_MAX_MS = 86_400_000.0
_ERROR_LEVELS = frozenset({"error", "fatal"})


class TransactionFields(NamedTuple):
    name: str  # "" when the event names none
    duration_ms: float  # clamped to [0, DURATION_MAX_MS]
    errored: bool


def clamp_duration(value: float) -> float:
    """Negative, NaN and infinite durations count as 0 (as Logister's to_f reads junk); huge ones as a day."""
    if not math.isfinite(value) or value < 0:
        return 0.0
    return min(value, DURATION_MAX_MS)


def cut_name(name: str) -> str:
    encoded = name.encode("utf-8", "surrogatepass")
    return name if len(encoded) <= NAME_MAX_BYTES else encoded[:NAME_MAX_BYTES].decode("utf-8", "ignore")


def transaction_fields(event_type: str, level: str | None, context: dict[str, Any]) -> TransactionFields | None:
    """The fields of a transaction event (None for any other event type)."""
    if event_type != TRANSACTION_EVENT_TYPE:
        return None
    name = _first_present(context, "transaction_name", "transactionName")
    duration = _first_present(context, "duration_ms", "durationMs")
    errored = (level or "") in _ERROR_LEVELS or to_i(context.get("status")) >= 500
    return TransactionFields(
        name=cut_name(" ".join(str(name).split())) if name is not None else "",
        duration_ms=clamp_duration(to_f(duration)),
        errored=errored,
    )


def _first_present(context: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if is_present(context.get(key)):
            return context[key]
    return None
