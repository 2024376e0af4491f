"""Check-in monitors: the algorithm, in plain code (contract §7). Pure.

A monitor is identified by (project, slug, environment). Each applied check-in records when it
happened, its status and the expected interval. A monitor is:

- paused   while an operator has paused it (it still records check-ins, but alerts nothing);
- error    when the latest check-in reported exactly "error" (an error monitor is never missed);
- missed   when no check-in arrived within interval + grace after the latest one;
- ok       otherwise (any other status string, e.g. "in_progress", counts as ok).

grace = max(floor(interval / 2), 30) seconds. While a monitor can become missed it carries
`due_at` (the moment it becomes missed) in a sparse index; the sweeper reads only the monitors
whose `due_at` has passed, so its work grows with what is overdue, not with what exists.

Check-ins are applied only when newer than the latest applied one (later occurred_at, or the same
occurred_at and a larger event id), so late or repeated deliveries never move a monitor backwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from logister_common.contract.check_in_fields import ERROR, MISSED, OK, CheckIn
from logister_common.contract.times import iso_utc

MIN_GRACE_SECONDS = 30
# 9999-12-31T23:59:59Z, the last second ISO 8601 (and Python's datetime) can write. A monitor due
# later is never missed in practice; bounding due_at here keeps every alert renderable.
LATEST_DUE_AT = 253_402_300_799
# SNS refuses a subject of 100 characters or more, or with line breaks or control characters.
SUBJECT_MAX_CHARS = 99
PAUSED = "paused"
MONITOR_MISSED, MONITOR_ERROR, MONITOR_RECOVERED = "monitor_missed", "monitor_error", "monitor_recovered"


def grace_seconds(interval_seconds: int) -> int:
    return max(interval_seconds // 2, MIN_GRACE_SECONDS)


def due_at(last_check_in_epoch: int, interval_seconds: int) -> int:
    """The first second at which the monitor is missed (at the latest LATEST_DUE_AT)."""
    return min(last_check_in_epoch + interval_seconds + grace_seconds(interval_seconds) + 1, LATEST_DUE_AT)


def health_after(check_in: CheckIn) -> str:
    """Only exactly "error" is an error; any other status ("ERROR", "in_progress") is ok."""
    return ERROR if check_in.status == ERROR else OK


def due_after(check_in: CheckIn) -> int | None:
    """When the monitor becomes missed after this check-in.

    None after an error check-in: an error monitor is never missed, so it leaves the due index.
    """
    if health_after(check_in) == ERROR:
        return None
    return due_at(int(check_in.occurred_at.timestamp()), check_in.interval_seconds)


@dataclass(frozen=True, slots=True)
class Monitor:
    """A stored monitor, as the rules read it (the item is described in storage/monitors_table.py)."""

    project_id: str
    monitor_key: str
    slug: str
    environment: str
    status: str | None = None  # ok, error or missed: what the last check-in or sweep recorded
    interval_seconds: int | None = None
    last_check_in_us: int | None = None
    last_check_in_at: str | None = None
    last_event_id: str | None = None
    due_at: int | None = None
    missed_due_at: int | None = None  # the due_at a sweep flagged missed
    paused_at: str | None = None

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Monitor:
        """From a stored item's plain values; absent attributes are None."""

        def number(name: str) -> int | None:
            value = item.get(name)
            return None if value is None else int(value)

        return cls(
            project_id=str(item.get("project_id", "")),
            monitor_key=str(item.get("monitor_key", "")),
            slug=str(item.get("slug", "")),
            environment=str(item.get("environment", "")),
            status=item.get("status"),
            interval_seconds=number("interval_seconds"),
            last_check_in_us=number("last_check_in_us"),
            last_check_in_at=item.get("last_check_in_at"),
            last_event_id=item.get("last_event_id"),
            due_at=number("due_at"),
            missed_due_at=number("missed_due_at"),
            paused_at=item.get("paused_at"),
        )

    def status_at(self, now_epoch: int) -> str:
        """The status an operator sees now."""
        if self.paused_at:
            return PAUSED
        if self.status == ERROR:
            return ERROR
        if self.status == MISSED or (self.due_at is not None and now_epoch >= self.due_at):
            return MISSED
        return OK

    def resumed_due_at(self) -> int | None:
        """When this monitor, resumed now, becomes missed: from its latest check-in, as if it had never
        been paused. None when it cannot become missed now (error, already missed, or never checked
        in). An overdue one is flagged missed by the next sweep.
        """
        if self.status in (ERROR, MISSED) or self.last_check_in_us is None:
            return None
        return due_at(self.last_check_in_us // 1_000_000, self.interval_seconds or 0)


@dataclass(frozen=True, slots=True)
class Alert:
    kind: str
    project_id: str
    slug: str
    environment: str
    status: str
    previous_status: str | None
    transition_id: str
    last_check_in_at: str | None
    due_at: int | None

    @property
    def subject(self) -> str:
        """Whatever the slug and environment hold, a subject SNS accepts: unprintable characters become '?'."""
        text = f"[logister] {self.kind}: {self.slug} ({self.environment})"
        return "".join(character if character.isprintable() else "?" for character in text)[:SUBJECT_MAX_CHARS]

    def message(self) -> dict[str, Any]:
        """The published message. Never raises: a due time ISO 8601 cannot write is null, with its epoch."""
        return {
            "kind": self.kind,
            "project_id": self.project_id,
            "slug": self.slug,
            "environment": self.environment,
            "status": self.status,
            "previous_status": self.previous_status,
            "last_check_in_at": self.last_check_in_at,
            "due_at": _iso_or_none(self.due_at),
            "due_at_epoch": self.due_at,
            "transition_id": self.transition_id,
        }


def _iso_or_none(epoch: int | None) -> str | None:
    if not epoch:
        return None
    try:
        return iso_utc(datetime.fromtimestamp(epoch, UTC))
    except (ValueError, OverflowError, OSError):  # beyond year 1..9999, or the platform's time_t
        return None


def transition(old: Monitor | None, new: Monitor) -> Alert | None:
    """The alert a change of a stored monitor calls for, if any.

    error from anything else -> monitor_error; missed from anything else -> monitor_missed;
    ok after error or missed -> monitor_recovered. Paused monitors alert nothing.
    """
    if new.paused_at:
        return None
    before = old.status if old is not None else None
    after = new.status
    if before == after:
        return None
    if after == ERROR:
        kind = MONITOR_ERROR
    elif after == MISSED:
        kind = MONITOR_MISSED
    elif after == OK and before in (ERROR, MISSED):
        kind = MONITOR_RECOVERED
    else:
        return None
    # Deterministic: a redelivered change yields the same id, so consumers can drop repeats.
    cause = new.last_event_id if after != MISSED else new.missed_due_at
    identity = f"logister:{new.project_id}:{new.monitor_key}:{after}:{cause}"
    return Alert(
        kind=kind,
        project_id=new.project_id,
        slug=new.slug,
        environment=new.environment,
        status=after,
        previous_status=before,
        transition_id=str(uuid.uuid5(uuid.NAMESPACE_URL, identity)),
        last_check_in_at=new.last_check_in_at,
        due_at=new.due_at if new.due_at is not None else new.missed_due_at,
    )
