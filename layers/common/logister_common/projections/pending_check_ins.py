"""Check-ins whose monitor update did not fit their batch's transaction, applied from the events stream.

A batch of more than 100 writes (new check-ins of that many distinct monitors, beside their events)
commits its events with the updates that fit; the rest ride in their event items
(`pending_check_in`), so a stored check-in always reaches its monitor. Applying one is idempotent
(only a newer check-in changes a monitor), so each record is its own unit and a redelivery is harmless.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from logister_common.monitors.updates import apply_check_in
from logister_common.projections.units import PartResult
from logister_common.storage.events_table import pending_check_in


def apply_pending(items: list[dict[str, Any]]) -> PartResult:
    """Apply the pending check-ins among these stored items (plain attribute values)."""
    result = PartResult()
    for item in items:
        key = (item["project_id"], item["uuid"])
        try:
            check_in = pending_check_in(item)
        except (KeyError, TypeError, ValueError) as error:  # the image is at fault: it stays so
            result.reject([key], error)
            continue
        if check_in is None:
            continue
        failed = result.attempt([key], partial(apply_check_in, key[0], check_in))
        if failed is not None:
            result.reject([key], failed)
    return result
