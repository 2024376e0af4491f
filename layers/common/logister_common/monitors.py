"""Check-in monitors: the algorithm, in plain code. Pure.

A monitor is identified by (project, slug, environment). Each applied check-in records when it
happened, its status and the expected interval. A monitor is:

- paused   while an operator has paused it (it still records check-ins, but alerts nothing);
- error    when the latest check-in reported exactly "error" (an error monitor is never missed);
- missed   when no check-in arrived within interval + grace after the latest one;
- ok       otherwise (any other status string, e.g. "in_progress", counts as ok).

grace = max(floor(interval / 2), 30) seconds. While a monitor can become missed it carries
`due_at` (the moment it becomes missed) in a sparse, sharded index; the sweeper reads only the
monitors whose `due_at` has passed, so its work grows with what is overdue, not with what exists.

Check-ins are applied only when newer than the latest applied one (later occurred_at, or the same
occurred_at and a larger event id), so late or repeated deliveries never move a monitor backwards.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .clock import iso_utc
from .values import is_blank, to_i, to_text

DEFAULT_INTERVAL_SECONDS = 300
MIN_GRACE_SECONDS = 30
DEFAULT_ENVIRONMENT = "production"
SHARDS = 16
# DynamoDB sort keys stop at 1 KB: the monitor key holds the environment and the slug.
MAX_KEY_PART_BYTES = 256

OK, ERROR, MISSED, PAUSED = "ok", "error", "missed", "paused"
MONITOR_MISSED, MONITOR_ERROR, MONITOR_RECOVERED = "monitor_missed", "monitor_error", "monitor_recovered"


@dataclass(frozen=True, slots=True)
class CheckIn:
    """What a check-in tells its monitor."""

    slug: str
    environment: str
    status: str
    occurred_at: datetime
    interval_seconds: int
    event_id: str

    @property
    def health(self) -> str:
        return ERROR if self.status == ERROR else OK

    @property
    def due_at(self) -> int:
        return due_at(int(self.occurred_at.timestamp()), self.interval_seconds)


def grace_seconds(interval_seconds: int) -> int:
    return max(interval_seconds // 2, MIN_GRACE_SECONDS)


def due_at(last_check_in_epoch: int, interval_seconds: int) -> int:
    """The first second at which the monitor is missed."""
    return last_check_in_epoch + interval_seconds + grace_seconds(interval_seconds) + 1


def interval_from(value: Any) -> int:
    """`to_i` when > 0, else 300 (strings are cast, floats truncated)."""
    interval = to_i(value)
    return interval if interval > 0 else DEFAULT_INTERVAL_SECONDS


def monitor_key(environment: str, slug: str) -> str:
    """Sort key within a project; '%' and '#' in the environment are escaped so keys never collide."""
    return f"{environment.replace('%', '%25').replace('#', '%23')}#{slug}"


def fits_key(part: str) -> bool:
    return len(part.encode("utf-8", "surrogatepass")) <= MAX_KEY_PART_BYTES


def shard_for(project_id: str, key: str) -> str:
    """Spreads the due index over SHARDS partitions so no partition gets hot."""
    digest = hashlib.sha256(f"{project_id}/{key}".encode()).digest()
    return str(digest[0] % SHARDS)


def status_at(monitor: dict[str, Any], now_epoch: int) -> str:
    """The status an operator sees now, from a stored monitor (plain attribute values)."""
    if monitor.get("paused_at"):
        return PAUSED
    if monitor.get("status") == ERROR:
        return ERROR
    due = monitor.get("due_at")
    if monitor.get("status") == MISSED or (due is not None and now_epoch >= int(due)):
        return MISSED
    return OK


def resumed_due_at(monitor: dict[str, Any]) -> int | None:
    """When a monitor that is resumed becomes missed (plain attribute values): from its latest check-in,
    as if it had never been paused. None when it cannot become missed now (error, already missed, or
    never checked in). An overdue one is flagged missed by the next sweep.
    """
    if monitor.get("status") in (ERROR, MISSED) or monitor.get("last_check_in_us") is None:
        return None
    return due_at(int(monitor["last_check_in_us"]) // 1_000_000, int(monitor["interval_seconds"]))


def check_in_from_context(
    message: str, context: dict[str, Any], occurred_at: datetime, event_id: str
) -> CheckIn | None:
    """The monitor update a `check_in` event sent through /api/v1/ingest_events carries (section 7)."""
    slug = to_text(context.get("check_in_slug")).strip() or message.strip()
    environment_value = context.get("environment")
    environment = to_text(environment_value).strip() if not is_blank(environment_value) else DEFAULT_ENVIRONMENT
    if not slug or not fits_key(slug) or not fits_key(environment):
        return None  # Logister ignores blank slugs; keys DynamoDB cannot hold are ignored the same way
    status = context.get("check_in_status")
    if is_blank(status):
        status = context.get("status")
    return CheckIn(
        slug=slug,
        environment=environment,
        status=to_text(status).strip() if not is_blank(status) else OK,
        occurred_at=occurred_at,
        interval_seconds=interval_from(context.get("expected_interval_seconds")),
        event_id=event_id,
    )


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

    def message(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "project_id": self.project_id,
            "slug": self.slug,
            "environment": self.environment,
            "status": self.status,
            "previous_status": self.previous_status,
            "last_check_in_at": self.last_check_in_at,
            "due_at": iso_utc(datetime.fromtimestamp(self.due_at, UTC)) if self.due_at else None,
            "transition_id": self.transition_id,
        }


def transition(old: dict[str, Any] | None, new: dict[str, Any]) -> Alert | None:
    """The alert a change of a stored monitor calls for, if any (plain attribute values).

    error from anything else -> monitor_error; missed from anything else -> monitor_missed;
    ok after error or missed -> monitor_recovered. Paused monitors alert nothing.
    """
    if new.get("paused_at"):
        return None
    before = (old or {}).get("status")
    after = new.get("status")
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
    cause = new.get("last_event_id") if after != MISSED else new.get("missed_due_at")
    identity = f"logister:{new['project_id']}:{new['monitor_key']}:{after}:{cause}"
    due = new.get("due_at") if new.get("due_at") is not None else new.get("missed_due_at")
    return Alert(
        kind=kind,
        project_id=new["project_id"],
        slug=new["slug"],
        environment=new["environment"],
        status=after,
        previous_status=before,
        transition_id=str(uuid.uuid5(uuid.NAMESPACE_URL, identity)),
        last_check_in_at=new.get("last_check_in_at"),
        due_at=int(due) if due is not None else None,
    )
