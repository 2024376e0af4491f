"""Keeping monitors current: check-in events update them, the sweeper flags the overdue ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import documents
from .clock import utc_now
from .monitors import CheckIn, check_in_from_context
from .normalize import Event
from .stores import auth_store, monitor_store
from .telemetry import count, logger
from .timeparse import parse_time_or_none


def apply_check_in(project_id: str, check_in: CheckIn | None) -> None:
    """Apply a stored check-in event to its monitor (idempotent: only newer check-ins apply).

    For a duplicate delivery, callers pass the stored original (`stored_check_in`): applying it
    again is a no-op when it was applied before, and a repair when an earlier attempt stored the
    event but failed before its monitor write.
    """
    if check_in is not None and not monitor_store.apply_check_in(project_id, check_in, utc_now()):
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


@dataclass(frozen=True, slots=True)
class SweepResult:
    items_read: int
    missed: int
    dropped: int


def sweep(now: datetime | None = None) -> SweepResult:
    """Flag every overdue monitor as missed; the monitors stream turns each flip into one alert.

    Reads only the monitors whose due_at has passed. Paused monitors and monitors of archived
    projects leave the due index without a transition.
    """
    moment = now or utc_now()
    archived: dict[str, bool] = {}
    items_read = missed = dropped = 0
    for monitor in monitor_store.due_monitors(int(moment.timestamp())):
        items_read += 1
        if monitor.project_id not in archived:
            archived[monitor.project_id] = auth_store.project_archived(monitor.project_id)
        if monitor.paused or archived[monitor.project_id]:
            dropped += monitor_store.drop_from_index(monitor)
        elif monitor_store.mark_missed(monitor, moment):
            missed += 1
    result = SweepResult(items_read=items_read, missed=missed, dropped=dropped)
    log = logger.info if items_read else logger.debug  # an idle sweep every minute is not news
    log("monitor sweep", extra={"items_read": items_read, "missed": missed, "dropped": dropped})
    return result
