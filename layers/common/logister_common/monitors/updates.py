"""Check-ins applied to their monitors: on the request path, from the events stream, by the sweeper.

A monitor is read (strongly consistent), its next state computed by monitors/rules.py, and written
back conditional on the version read; a concurrent writer makes the write fail and the caller reads
again. Before a check-in event is stored, a monitor it would create is registered and counted on its
project within the cap (MaxMonitorsPerProject): a check-in the cap refuses is a 422 and stores
nothing. The check-in event and its monitor's next state then commit in one transaction.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from logister_common.contract.check_in_fields import CheckIn, check_in_from_context, monitor_limit_reached
from logister_common.contract.errors import StoreUnavailable, Unprocessable
from logister_common.contract.normalization import Event
from logister_common.contract.times import parse_time_or_none
from logister_common.monitors.rules import Monitor, already_applied, new_monitor
from logister_common.monitors.rules import apply_check_in as next_state
from logister_common.runtime.clock import utc_now
from logister_common.runtime.settings import get_settings
from logister_common.runtime.telemetry import count
from logister_common.storage import auth_table, documents, monitors_table

# Reads and conditional writes of one monitor before a 503: enough for a burst of concurrent check-ins
# to one monitor to go through one after another (the request's deadline still bounds the whole).
CHANGE_ATTEMPTS = 16


def back_off(attempt: int) -> None:
    """After a lost race for a monitor: a random pause (full jitter, at most 0.32 s) so racers spread out."""
    time.sleep(random.uniform(0, min(0.01 * 2**attempt, 0.32)))


class MonitorWrite(NamedTuple):
    """A monitor's next state and the conditional Put that stores it."""

    monitor: Monitor
    put: dict[str, Any]


def current_monitors(
    project_id: str, check_ins: Iterable[CheckIn | None]
) -> tuple[dict[str, Monitor | None], set[str]]:
    """The stored state of the monitors these check-ins update (None: not created yet), with the new
    ones registered (and counted) on the project; and the monitor keys the project's cap refuses.
    Existing monitors cost one read (all of a batch's in one), no write."""
    wanted = {monitors_table.monitor_key(check_in.environment, check_in.slug) for check_in in check_ins if check_in}
    if not wanted:
        return {}, set()
    stored = monitors_table.monitor_items(project_id, wanted)
    current: dict[str, Monitor | None] = dict.fromkeys(wanted)
    current.update({key: Monitor.from_item(item) for key, item in stored.items()})
    new = [key for key in wanted if key not in stored]
    refused = (
        set(auth_table.register_monitors(project_id, new, get_settings().max_monitors_per_project)) if new else set()
    )
    if refused:
        count("rejected_monitor_limit")
    return current, refused


def admit_monitor(project_id: str, check_in: CheckIn | None) -> Monitor | None:
    """The check-in's monitor as stored (None: new, now registered); 422 when the project's cap refuses it."""
    current, refused = current_monitors(project_id, [check_in])
    if refused:
        raise Unprocessable(monitor_limit_reached(get_settings().max_monitors_per_project))
    return next(iter(current.values()), None)


def monitor_write(project_id: str, check_ins: list[CheckIn], current: Monitor | None, now: datetime) -> MonitorWrite:
    """The monitor after these check-ins (of one monitor), and the Put to commit with their events."""
    key = monitors_table.monitor_key(check_ins[0].environment, check_ins[0].slug)
    monitor = current or new_monitor(project_id, key, check_ins[0])
    for check_in in check_ins:
        monitor = next_state(monitor, check_in, now)
    put = monitors_table.monitor_put(monitor.to_item(), current.seq if current else None, current is not None)
    return MonitorWrite(monitor, put)


def apply_check_in(project_id: str, check_in: CheckIn | None) -> None:
    """Apply a stored check-in event to its monitor alone: idempotent, as a check-in applied before only
    adds nothing new (its run closed, its entry in the history, its health older than the latest).

    Used for a check-in a batch's transaction had no room for (from the events stream), and for a
    duplicate delivery with the stored original (a no-op, or the repair of an event stored without its
    monitor update before check-ins were transactional).
    """
    if check_in is None:
        return
    key = monitors_table.monitor_key(check_in.environment, check_in.slug)
    for attempt in range(CHANGE_ATTEMPTS):
        item = monitors_table.monitor_item(project_id, key)
        current = Monitor.from_item(item) if item else None
        if current is not None and already_applied(current, check_in):
            return
        write = monitor_write(project_id, [check_in], current, utc_now())
        if monitors_table.write_monitor(write.put):
            return
        count("monitor_write_conflict")
        back_off(attempt)
    raise StoreUnavailable("monitors")


def check_in_of(event: Event, received_at: datetime | None = None) -> CheckIn | None:
    return check_in_from_context(event.message, event.context, event.occurred_at, event.uuid, received_at or utc_now())


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
    received_at = parse_time_or_none(item.get("received_at", {}).get("S")) or occurred_at
    try:
        return check_in_from_context(message, context, occurred_at, item["uuid"]["S"], received_at)
    except Unprocessable:  # a configuration accepted before a bound existed: the check-in without it
        return check_in_from_context(
            message, {**context, "monitor_config": None}, occurred_at, item["uuid"]["S"], received_at
        )
