"""An operator's changes to a monitor (`logister-admin monitors pause|resume|set`).

Each reads the monitor, changes it, recomputes when it is due (monitors/rules.py) and writes it back
conditional on the version read, so a check-in or a sweep in between is never overwritten: the
change is simply made again on what they wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from logister_common.contract.errors import StoreUnavailable
from logister_common.contract.monitor_config import MonitorConfig
from logister_common.contract.times import iso_utc
from logister_common.monitors.rules import Monitor
from logister_common.monitors.updates import CHANGE_ATTEMPTS, back_off
from logister_common.storage import monitors_table


def pause(project_id: str, key: str, now: datetime) -> dict[str, Any] | None:
    """Pause the monitor: it leaves the due index (check-ins still apply). None when there is no such monitor."""
    return _change(project_id, key, lambda monitor: monitor._replace(paused_at=monitor.paused_at or iso_utc(now)))


def resume(project_id: str, key: str) -> dict[str, Any] | None:
    """Unpause the monitor: due again as if it had never been paused (if overdue, the next sweep acts)."""
    return _change(project_id, key, lambda monitor: monitor._replace(paused_at=None))


def configure(project_id: str, key: str, update: MonitorConfig) -> dict[str, Any] | None:
    """Upsert the monitor's configuration (the fields `update` sets)."""
    return _change(project_id, key, lambda monitor: monitor._replace(config=monitor.config.merged(update)))


def _change(project_id: str, key: str, change: Callable[[Monitor], Monitor]) -> dict[str, Any] | None:
    for attempt in range(CHANGE_ATTEMPTS):
        item = monitors_table.monitor_item(project_id, key)
        if item is None:
            return None
        before = Monitor.from_item(item)
        after = change(before)
        after = after._replace(due_at=after.next_due())
        if monitors_table.write_monitor(monitors_table.monitor_put(after.to_item(), before.seq, existed=True)):
            return {**after.to_item(), "seq": (before.seq or 0) + 1}
        back_off(attempt)
    raise StoreUnavailable("monitors")
