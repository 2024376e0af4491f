"""Check-ins applied to their monitors, on the request path.

Before a check-in event is stored, a monitor it would create is registered and counted on its
project within the cap (MaxMonitorsPerProject): a check-in the cap refuses is a 422 and stores
nothing. The check-in event and its monitor update then commit in one transaction (`monitor_write`);
a monitor holding a newer check-in leaves the event to be stored alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from logister_common.contract.check_in_fields import CheckIn, check_in_from_context, monitor_limit_reached
from logister_common.contract.errors import Unprocessable
from logister_common.contract.normalization import Event
from logister_common.contract.times import parse_time_or_none
from logister_common.monitors.rules import due_after, health_after
from logister_common.runtime.clock import utc_now
from logister_common.runtime.settings import get_settings
from logister_common.runtime.telemetry import count
from logister_common.storage import auth_table, documents, monitors_table


def refused_monitors(project_id: str, check_ins: Iterable[CheckIn | None]) -> set[str]:
    """Register (and count) the monitors these check-ins would create; the monitor keys the project's
    cap refuses. Existing monitors cost one read (all of a batch's in one), no write."""
    wanted = {
        monitors_table.monitor_key(check_in.environment, check_in.slug)
        for check_in in check_ins
        if check_in is not None
    }
    if not wanted:
        return set()
    existing = monitors_table.existing_monitor_keys(project_id, wanted)
    new = [key for key in wanted if key not in existing]
    if not new:
        return set()
    refused = auth_table.register_monitors(project_id, new, get_settings().max_monitors_per_project)
    if refused:
        count("rejected_monitor_limit")
    return set(refused)


def admit_monitor(project_id: str, check_in: CheckIn | None) -> None:
    """Register the check-in's monitor if it is new; 422 when the project's cap refuses it."""
    if refused_monitors(project_id, [check_in]):
        raise Unprocessable(monitor_limit_reached(get_settings().max_monitors_per_project))


def monitor_write(project_id: str, check_in: CheckIn | None) -> dict[str, Any] | None:
    """The check-in's conditional monitor Update, to commit in one transaction with its event."""
    if check_in is None:
        return None
    update = monitors_table.check_in_update(
        project_id, check_in, status=health_after(check_in), due_at=due_after(check_in), now=utc_now()
    )
    # The monitor's item on a failed (not newer) condition tells which action of a batch failed.
    return {**update, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}


def apply_check_in(project_id: str, check_in: CheckIn | None) -> None:
    """Apply a stored check-in event to its monitor (idempotent: only newer check-ins apply).

    For a duplicate delivery, callers pass the stored original (`stored_check_in`): applying it
    again is a no-op when it was applied before, and a repair of an event stored without its
    monitor update (written before check-ins were transactional).
    """
    if check_in is None:
        return
    applied = monitors_table.record_check_in(
        project_id, check_in, status=health_after(check_in), due_at=due_after(check_in), now=utc_now()
    )
    if not applied:
        count("check_in_out_of_order")


def check_in_of(event: Event) -> CheckIn | None:
    return check_in_from_context(event.message, event.context, event.occurred_at, event.uuid, utc_now())


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
    return check_in_from_context(message, context, occurred_at, item["uuid"]["S"], received_at)
