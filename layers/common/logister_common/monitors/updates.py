"""Check-ins applied to their monitors, on the request path (after the check-in event is stored)."""

from __future__ import annotations

from typing import Any

from logister_common.contract.check_in_fields import CheckIn, check_in_from_context
from logister_common.contract.normalization import Event
from logister_common.contract.times import parse_time_or_none
from logister_common.monitors.rules import due_after, health_after
from logister_common.runtime.clock import utc_now
from logister_common.runtime.telemetry import count
from logister_common.storage import documents, monitors_table


def apply_check_in(project_id: str, check_in: CheckIn | None) -> None:
    """Apply a stored check-in event to its monitor (idempotent: only newer check-ins apply).

    For a duplicate delivery, callers pass the stored original (`stored_check_in`): applying it
    again is a no-op when it was applied before, and a repair when an earlier attempt stored the
    event but failed before its monitor write.
    """
    if check_in is None:
        return
    applied = monitors_table.record_check_in(
        project_id, check_in, status=health_after(check_in), due_at=due_after(check_in), now=utc_now()
    )
    if not applied:
        count("check_in_out_of_order")


def check_in_of(event: Event) -> CheckIn | None:
    return check_in_from_context(event.message, event.context, event.occurred_at, event.uuid)


def stored_check_in(item: dict[str, Any] | None) -> CheckIn | None:
    """The monitor update a stored check_in event item carries."""
    if not item or item.get("event_type", {}).get("S") != "check_in" or "doc_s3" in item:
        return None
    document = documents.decode(
        text=item["doc"]["S"] if "doc" in item else None,
        compressed=item["doc_z"]["B"] if "doc_z" in item else None,
    )
    occurred_at = parse_time_or_none(item["occurred_at"]["S"])
    if occurred_at is None:
        return None
    message, context = document.get("message", ""), document.get("context") or {}
    return check_in_from_context(message, context, occurred_at, item["uuid"]["S"])
