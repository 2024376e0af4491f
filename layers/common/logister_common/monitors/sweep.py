"""The scheduled sweep: every monitor whose due time has passed, brought up to date (monitors/rules.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from logister_common.contract.check_in_fields import MISSED
from logister_common.monitors.rules import TIMEOUT, Monitor, on_due
from logister_common.runtime.clock import utc_now
from logister_common.runtime.telemetry import logger
from logister_common.storage import auth_table, monitors_table


@dataclass(frozen=True, slots=True)
class SweepResult:
    items_read: int  # due index entries read: what is overdue, never what exists
    missed: int
    timed_out: int
    reminded: int
    dropped: int
    failed: int  # monitors left for the next sweep (the store failed them): they stay due


def sweep(now: datetime | None = None) -> SweepResult:
    """Apply `on_due` to every overdue monitor; the monitors stream turns each change into its alert.

    Each due monitor is read again (strongly consistent: the index lags) and written conditional on
    the version read, so of overlapping sweeps, or a sweep and a check-in, exactly one change wins;
    a monitor changed meanwhile is left to the next sweep. Paused monitors and monitors of archived
    projects leave the due index without a transition.
    """
    moment = now or utc_now()
    now_epoch = int(moment.timestamp())
    archived: dict[str, bool] = {}
    items_read = missed = timed_out = reminded = dropped = failed = 0
    for due in monitors_table.due_monitors(now_epoch):
        items_read += 1
        try:
            outcome = _bring_up_to_date(due, moment, archived)
        except Exception:  # one monitor's failure must not hold up the others: it stays due
            logger.exception("monitor left for the next sweep", extra={"project_id": due.project_id})
            failed += 1
            continue
        if outcome is None:
            continue
        before, after, left = outcome
        dropped += left
        missed += after.status == MISSED and before.status != MISSED
        timed_out += after.failure_kind == TIMEOUT and after.failure_cause != before.failure_cause
        reminded += after.reminders > before.reminders
    result = SweepResult(items_read, missed, timed_out, reminded, dropped, failed)
    log = logger.info if items_read else logger.debug  # an idle sweep every minute is not news
    log(
        "monitor sweep",
        extra={"items_read": items_read, "missed": missed, "timed_out": timed_out, "reminded": reminded},
    )
    return result


def _bring_up_to_date(
    due: monitors_table.DueMonitor, moment: datetime, archived: dict[str, bool]
) -> tuple[Monitor, Monitor, bool] | None:
    """The monitor before and after (and whether it just left the index), once written; None when there
    was nothing to do or another writer won."""
    now_epoch = int(moment.timestamp())
    item = monitors_table.monitor_item(due.project_id, due.monitor_key)
    if item is None:
        return None
    before = Monitor.from_item(item)
    if before.due_at is None or before.due_at > now_epoch:
        return None  # a check-in or an earlier sweep moved it already
    if due.project_id not in archived:
        archived[due.project_id] = auth_table.project_archived(due.project_id)
    dropped = bool(before.paused_at or archived[due.project_id])  # leaves the index without a transition
    after = before._replace(due_at=None) if dropped else on_due(before, moment)
    put = monitors_table.monitor_put(after.to_item(), before.seq, existed=True)
    return (before, after, dropped) if monitors_table.write_monitor(put) else None
