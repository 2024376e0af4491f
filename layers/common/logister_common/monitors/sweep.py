"""The scheduled sweep: flag every overdue monitor as missed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from logister_common.runtime.clock import utc_now
from logister_common.runtime.telemetry import logger
from logister_common.storage import auth_table, monitors_table


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
    for monitor in monitors_table.due_monitors(int(moment.timestamp())):
        items_read += 1
        if monitor.project_id not in archived:
            archived[monitor.project_id] = auth_table.project_archived(monitor.project_id)
        if monitor.paused or archived[monitor.project_id]:
            dropped += monitors_table.drop_from_index(monitor)
        elif monitors_table.mark_missed(monitor, moment):
            missed += 1
    result = SweepResult(items_read=items_read, missed=missed, dropped=dropped)
    log = logger.info if items_read else logger.debug  # an idle sweep every minute is not news
    log("monitor sweep", extra={"items_read": items_read, "missed": missed, "dropped": dropped})
    return result
