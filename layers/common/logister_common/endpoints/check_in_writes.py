"""A check-in's write: its event and its monitor's next state, together.

The check-in function imports this at init; the ingest function only when an event of type check_in
arrives, so single events never load the monitor rules.
"""

from __future__ import annotations

from datetime import datetime

from logister_common.contract.check_in_fields import CheckIn
from logister_common.contract.errors import StoreUnavailable
from logister_common.contract.normalization import Event
from logister_common.endpoints.ingest_events import store
from logister_common.monitors.updates import (
    CHANGE_ATTEMPTS,
    admit_monitor,
    apply_check_in,
    back_off,
    check_in_of,
    monitor_write,
    stored_check_in,
)
from logister_common.runtime.telemetry import count
from logister_common.storage.events_table import WriteResult
from logister_common.storage.monitors_table import MonitorChanged


def store_check_in_event(project_id: str, event: Event, received_at: datetime) -> WriteResult:
    """A check-in sent as an event (`/ingest_events`, `event_type: check_in`)."""
    return store_check_in(project_id, event, check_in_of(event, received_at), received_at)


def store_check_in(project_id: str, event: Event, check_in: CheckIn | None, received_at: datetime) -> WriteResult:
    """Its monitor read and admitted first (one the project's cap refuses stores nothing), then the event
    stored with the monitor's next state in one transaction; a monitor changed meanwhile is read again."""
    for attempt in range(CHANGE_ATTEMPTS):
        current = admit_monitor(project_id, check_in)
        write = monitor_write(project_id, [check_in], current, received_at) if check_in is not None else None
        try:
            result = store(project_id, event, received_at, write.put if write is not None else None)
        except MonitorChanged:
            count("monitor_write_conflict")
            back_off(attempt)
            continue
        if not result.created:  # re-applying the stored original: a no-op, or a repair of an older half-write
            apply_check_in(project_id, stored_check_in(result.existing))
        return result
    raise StoreUnavailable("monitors")
