"""Check-in monitors: the algorithm, in plain code (contract §7). Pure.

A monitor is identified by (project, slug, environment) and is, for an operator:

- paused   while an operator has paused it (it still records check-ins, but alerts nothing);
- error    after `failure_threshold` consecutive failures the last of which was an error check-in
           or a run past its `max_runtime_seconds` (a timeout); an error monitor is never missed;
- missed   after `failure_threshold` consecutive failures the last of which was a missed check-in;
- ok       otherwise. A down monitor recovers after `recovery_threshold` consecutive ok check-ins.

A check-in's status is `in_progress` (a run starts: neither success nor failure), exactly `error`
(a failure), or anything else (success: "ok", "ERROR", ...). A run is closed by the next finishing
check-in with the same run id (`check_in_id`), else by the next one without an id; its duration is
measured from its start when the client sends none. With the thresholds at 1 (the default) and no
`in_progress`, a monitor behaves exactly as Logister's.

When the next check-in is expected: after the latest check-in (or the latest missed expectation),
one interval later (the operator's `interval_seconds`, else the check-in's
`expected_interval_seconds`), or at the cron schedule's next time in its time zone. It is missed
`margin` seconds after that: the operator's `margin_seconds`, else 60 s for a schedule and
max(floor(interval / 2), 30) for an interval (Logister's grace).

While a run is open and `max_runtime_seconds` is set, the run's timeout stands in for the expectation
(a long run is not missed while it runs).

`due_at` is the earliest moment anything can happen without a check-in: an expectation missed, an
open run timing out, a reminder while missed (`remind_every_seconds`, hourly by default, as
Logister's missed notifications). It sits in a sparse index; the sweeper reads only monitors whose
`due_at` has passed (its work grows with what is overdue, not with what exists) and applies `on_due`.

Check-ins change a monitor's health only when newer than the latest applied one: a later
occurred_at; at the same occurred_at a later arrival (receive time, in microseconds); then a larger
event id. So a job's start and finish reported in the same second end on the finish.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from logister_common.contract.check_in_fields import ERROR, MISSED, OK, CheckIn
from logister_common.contract.monitor_config import DEFAULT_CRON_MARGIN_SECONDS, MonitorConfig, next_scheduled
from logister_common.contract.times import iso_utc

MIN_GRACE_SECONDS = 30
DEFAULT_INTERVAL_SECONDS = 300
# 9999-12-31T23:59:59Z, the last second ISO 8601 (and Python's datetime) can write. A monitor due
# later is never missed in practice; bounding due_at here keeps every alert renderable.
LATEST_DUE_AT = 253_402_300_799
# SNS refuses a subject of 100 characters or more, or with line breaks or control characters.
SUBJECT_MAX_CHARS = 99
PAUSED = "paused"
IN_PROGRESS = "in_progress"
TIMEOUT = "timeout"  # a failure kind beside ERROR and MISSED: the monitor's status is then error
MONITOR_MISSED, MONITOR_ERROR, MONITOR_RECOVERED = "monitor_missed", "monitor_error", "monitor_recovered"
MONITOR_TIMEOUT = "monitor_timeout"
RECENT_MAX = 10  # check-ins a monitor keeps for `monitors show`
RECENT_MAX_AGE_US = 30 * 86_400 * 1_000_000  # and none older than this
MAX_OPEN_RUNS = 20  # a client that starts runs and never finishes them cannot grow the item


def grace_seconds(interval_seconds: int) -> int:
    return max(interval_seconds // 2, MIN_GRACE_SECONDS)


def due_at(last_check_in_epoch: int, interval_seconds: int) -> int:
    """Logister's rule: the first second at which an interval monitor is missed (at most LATEST_DUE_AT)."""
    return min(last_check_in_epoch + interval_seconds + grace_seconds(interval_seconds) + 1, LATEST_DUE_AT)


def check_in_order(check_in: CheckIn) -> tuple[int, int, str]:
    """(occurred, received, event id): the later check-in wins; at the same occurred_at the later arrival."""
    received = check_in.received_at or check_in.occurred_at
    return _us(check_in.occurred_at), _us(received), check_in.event_id


class Run(NamedTuple):
    """A run an in_progress check-in started and no finishing check-in has closed yet."""

    run_id: str  # "" when the client sent none
    started_us: int
    event_id: str

    def deadline(self, max_runtime_seconds: int | None) -> int | None:
        """The first second at which the run has timed out."""
        if not max_runtime_seconds:
            return None
        return min(self.started_us // 1_000_000 + max_runtime_seconds + 1, LATEST_DUE_AT)


class Recent(NamedTuple):
    """One of the monitor's latest check-ins, as `monitors show` prints it."""

    status: str
    occurred_at: str
    received_us: int
    event_id: str
    duration_ms: float | None = None
    run_id: str | None = None


class Monitor(NamedTuple):
    """A stored monitor, as the rules read and write it (the item: storage/monitors_table.py)."""

    project_id: str
    monitor_key: str
    slug: str
    environment: str
    status: str | None = None  # ok, error or missed
    interval_seconds: int | None = None  # the latest check-in's expected_interval_seconds
    last_check_in_us: int | None = None
    last_received_us: int | None = None
    last_check_in_at: str | None = None
    last_event_id: str | None = None
    last_status: str | None = None  # the status string the latest check-in sent
    last_duration_ms: float | None = None
    last_error_at: str | None = None
    expected_from: int | None = None  # epoch the next expectation counts from
    due_at: int | None = None
    missed_due_at: int | None = None  # the deadline whose miss made it missed
    missed_at: str | None = None
    paused_at: str | None = None
    config: MonitorConfig = MonitorConfig()  # immutable: the default is shared
    runs: tuple[Run, ...] = ()
    failures: int = 0  # consecutive failures
    oks: int = 0  # consecutive successes since the last failure
    failure_kind: str | None = None  # why it is down: error, missed or timeout
    failure_cause: str | None = None  # what made it go down (names the down transition)
    reminders: int = 0  # reminders sent since it went missed
    reminded_at: int | None = None  # epoch it went missed or was last reminded
    consecutive_missed_count: int = 0  # Logister's counter: reset by non-error check-ins, never incremented
    recent: tuple[Recent, ...] = ()
    created_at: str | None = None
    updated_at: str | None = None
    seq: int | None = None  # the stored version: every write is conditional on it

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Monitor:
        """From a stored item's plain values; absent attributes take their defaults."""

        def number(name: str) -> int | None:
            value = item.get(name)
            return None if value is None else int(value)

        def decimal(value: Any) -> float | None:
            return None if value is None else float(value)

        last_check_in_us = number("last_check_in_us")
        return cls(
            project_id=str(item.get("project_id", "")),
            monitor_key=str(item.get("monitor_key", "")),
            slug=str(item.get("slug", "")),
            environment=str(item.get("environment", "")),
            status=item.get("status"),
            interval_seconds=number("interval_seconds"),
            last_check_in_us=last_check_in_us,
            last_received_us=number("last_received_us"),
            last_check_in_at=item.get("last_check_in_at"),
            last_event_id=item.get("last_event_id"),
            last_status=item.get("last_status"),
            last_duration_ms=decimal(item.get("last_duration_ms")),
            last_error_at=item.get("last_error_at"),
            # Monitors stored before expectations had an anchor count from their latest check-in.
            expected_from=number("expected_from")
            if "expected_from" in item
            else (None if last_check_in_us is None else last_check_in_us // 1_000_000),
            due_at=number("due_at"),
            missed_due_at=number("missed_due_at"),
            missed_at=item.get("missed_at"),
            paused_at=item.get("paused_at"),
            config=MonitorConfig.from_dict(dict(item.get("config") or {})),
            runs=tuple(
                Run(str(run.get("run_id", "")), int(run["started_us"]), str(run.get("event_id", "")))
                for run in item.get("runs") or ()
            ),
            failures=number("failures") or 0,
            oks=number("oks") or 0,
            failure_kind=item.get("failure_kind"),
            failure_cause=item.get("failure_cause"),
            reminders=number("reminders") or 0,
            reminded_at=number("reminded_at"),
            consecutive_missed_count=number("consecutive_missed_count") or 0,
            recent=tuple(
                Recent(
                    status=str(entry.get("status", "")),
                    occurred_at=str(entry.get("occurred_at", "")),
                    received_us=int(entry.get("received_us", 0)),
                    event_id=str(entry.get("event_id", "")),
                    duration_ms=decimal(entry.get("duration_ms")),
                    run_id=entry.get("run_id"),
                )
                for entry in item.get("recent") or ()
            ),
            created_at=item.get("created_at"),
            updated_at=item.get("updated_at"),
            seq=number("seq"),
        )

    def to_item(self) -> dict[str, Any]:
        """Plain values to store (None values left out); storage adds the keys' index shard."""
        values: dict[str, Any] = {
            name: value for name, value in self._asdict().items() if name not in ("config", "runs", "recent")
        }
        values["config"] = self.config.as_dict()
        values["runs"] = [
            {"run_id": run.run_id, "started_us": run.started_us, "event_id": run.event_id} for run in self.runs
        ]
        values["recent"] = [
            {name: value for name, value in entry._asdict().items() if value is not None} for entry in self.recent
        ]
        return {name: value for name, value in values.items() if value is not None and value != {}}

    @property
    def down(self) -> bool:
        return self.status in (ERROR, MISSED)

    def expected_at(self) -> int | None:
        """When the next check-in is expected (None before the first check-in)."""
        if self.expected_from is None:
            return None
        if self.config.schedule:
            return next_scheduled(self.config.schedule, self.config.timezone, self.expected_from)
        return self.expected_from + self.effective_interval()

    def effective_interval(self) -> int:
        return self.config.interval_seconds or self.interval_seconds or DEFAULT_INTERVAL_SECONDS

    def margin(self) -> int:
        if self.config.margin_seconds is not None:
            return self.config.margin_seconds
        if self.config.schedule:
            return DEFAULT_CRON_MARGIN_SECONDS
        return grace_seconds(self.effective_interval())

    def missed_deadline(self) -> int | None:
        """The first second at which the expected check-in is missed, while one is awaited."""
        expected = self.expected_at()
        if expected is None or self.down or (self.runs and self.config.max_runtime_seconds):
            return None  # a run that is bounded by max_runtime times out instead of being missed
        return min(expected + self.margin() + 1, LATEST_DUE_AT)

    def reminder_due(self) -> int | None:
        every = self.config.remind_every
        if self.status != MISSED or every <= 0 or self.reminded_at is None:
            return None
        return min(self.reminded_at + every, LATEST_DUE_AT)

    def next_due(self) -> int | None:
        """The earliest moment the sweeper has something to do for this monitor (None: nothing, or paused)."""
        if self.paused_at:
            return None
        moments = [self.missed_deadline(), self.reminder_due()]
        moments += [run.deadline(self.config.max_runtime_seconds) for run in self.runs]
        due = [moment for moment in moments if moment is not None]
        return min(due) if due else None

    def status_at(self, now_epoch: int) -> str:
        """The status an operator sees now, before the sweeper has caught up."""
        if self.paused_at:
            return PAUSED
        if self.down:
            return str(self.status)
        deadline = self.missed_deadline()
        if deadline is not None and now_epoch >= deadline and self.failures + 1 >= self.config.failures_to_alert:
            return MISSED
        return OK


def new_monitor(project_id: str, key: str, check_in: CheckIn) -> Monitor:
    return Monitor(project_id=project_id, monitor_key=key, slug=check_in.slug, environment=check_in.environment)


def apply_check_in(monitor: Monitor, check_in: CheckIn, now: datetime) -> Monitor:
    """The monitor after this check-in (its configuration, run, history; its health when newer)."""
    now_us = _us(now)
    config = monitor.config.merged(check_in.config)
    runs = list(monitor.runs)
    duration = check_in.duration_ms
    run_id = check_in.run_id or ""
    order = check_in_order(check_in)
    newer = _order(monitor) is None or order > _order(monitor)  # type: ignore[operator]
    if check_in.status == IN_PROGRESS:
        if newer:
            runs = [run for run in runs if run.run_id != run_id] + [Run(run_id, order[0], check_in.event_id)]
            runs = runs[-MAX_OPEN_RUNS:]
    else:
        closed = _closing(runs, run_id)
        if closed is not None:
            runs.remove(closed)
            if duration is None:
                duration = max(order[0] - closed.started_us, 0) / 1000
    entry = Recent(
        status=check_in.status[:256],
        occurred_at=iso_utc(check_in.occurred_at),
        received_us=order[1],
        event_id=check_in.event_id,
        duration_ms=duration,
        run_id=run_id or None,
    )
    recent = sorted((entry, *monitor.recent), key=lambda kept: kept.received_us, reverse=True)
    changed = monitor._replace(
        config=config,
        runs=tuple(runs),
        recent=tuple(kept for kept in recent[:RECENT_MAX] if kept.received_us > now_us - RECENT_MAX_AGE_US),
        updated_at=iso_utc(now),
        created_at=monitor.created_at or iso_utc(now),
    )
    if newer:
        changed = _newest(changed, check_in, order, duration)
    return changed._replace(due_at=changed.next_due())


def already_applied(monitor: Monitor, check_in: CheckIn) -> bool:
    """Whether the check-in is among those the monitor remembers, or older than all of them (so it was
    applied, or would change nothing a newer one has not)."""
    if any(entry.event_id == check_in.event_id for entry in monitor.recent):
        return True
    received = check_in_order(check_in)[1]
    return len(monitor.recent) >= RECENT_MAX and received < min(entry.received_us for entry in monitor.recent)


def _closing(runs: list[Run], run_id: str) -> Run | None:
    """The run a finishing check-in closes: the one with its id; without an id, the id-less run, else the oldest."""
    for run in runs:
        if run.run_id == run_id:
            return run
    return runs[0] if runs and not run_id else None


def _newest(monitor: Monitor, check_in: CheckIn, order: tuple[int, int, str], duration: float | None) -> Monitor:
    """Record the newest check-in and what its status does to the monitor's health."""
    latest = monitor._replace(
        slug=check_in.slug,
        environment=check_in.environment,
        interval_seconds=check_in.interval_seconds,
        last_check_in_us=order[0],
        last_received_us=order[1],
        last_check_in_at=iso_utc(check_in.occurred_at),
        last_event_id=check_in.event_id,
        last_status=check_in.status[:256],
        last_duration_ms=duration,
        expected_from=order[0] // 1_000_000,
        status=monitor.status or OK,
    )
    if check_in.status == IN_PROGRESS:
        return latest  # a start is a sign of life, neither a success nor a failure
    if check_in.status == ERROR:
        failed = latest._replace(failures=latest.failures + 1, oks=0, last_error_at=latest.last_check_in_at)
        if failed.down or failed.failures >= failed.config.failures_to_alert:
            return _down(failed, ERROR, ERROR, check_in.event_id, order[0] // 1_000_000)
        return failed
    succeeded = latest._replace(oks=latest.oks + 1, failures=0, consecutive_missed_count=0)
    if succeeded.down and succeeded.oks < succeeded.config.oks_to_recover:
        return succeeded
    return succeeded._replace(
        status=OK,
        failure_kind=None,
        failure_cause=None,
        reminders=0,
        reminded_at=None,
        missed_due_at=None,
        missed_at=None,
    )


def on_due(monitor: Monitor, now: datetime) -> Monitor:
    """The monitor after the sweeper found it due: runs timed out, expectations missed, a reminder."""
    now_epoch = int(now.timestamp())
    if monitor.paused_at:
        return monitor._replace(due_at=None)
    changed = monitor
    max_runtime = monitor.config.max_runtime_seconds
    for run in monitor.runs:
        deadline = run.deadline(max_runtime)
        if deadline is not None and deadline <= now_epoch:
            changed = changed._replace(runs=tuple(kept for kept in changed.runs if kept != run))
            changed = _failed(changed, TIMEOUT, f"timeout:{run.event_id}", now)
    # One failure per expectation missed; a sweeper that was stopped catches up to the threshold at most.
    for _ in range(changed.config.failures_to_alert):
        deadline = changed.missed_deadline()
        if deadline is None or deadline > now_epoch:
            break
        expected = changed.expected_at()
        changed = changed._replace(expected_from=expected)
        changed = _failed(changed, MISSED, str(deadline), now, missed_due_at=deadline)
    reminder = changed.reminder_due()
    if changed.status == MISSED and monitor.status == MISSED and reminder is not None and reminder <= now_epoch:
        changed = changed._replace(reminders=changed.reminders + 1, reminded_at=now_epoch)
    return changed._replace(due_at=changed.next_due(), updated_at=iso_utc(now))


def _failed(monitor: Monitor, kind: str, cause: str, now: datetime, missed_due_at: int | None = None) -> Monitor:
    failed = monitor._replace(failures=monitor.failures + 1, oks=0)
    if failed.down or failed.failures < failed.config.failures_to_alert:
        return failed
    status = MISSED if kind == MISSED else ERROR
    down = _down(failed, status, kind, cause, int(now.timestamp()))
    if kind == MISSED:
        down = down._replace(missed_due_at=missed_due_at, missed_at=iso_utc(now))
    return down


def _down(monitor: Monitor, status: str, kind: str, cause: str, at_epoch: int) -> Monitor:
    return monitor._replace(status=status, failure_kind=kind, failure_cause=cause, reminders=0, reminded_at=at_epoch)


def _order(monitor: Monitor) -> tuple[int, int, str] | None:
    if monitor.last_check_in_us is None:
        return None
    return monitor.last_check_in_us, monitor.last_received_us or monitor.last_check_in_us, monitor.last_event_id or ""


def _us(moment: datetime) -> int:
    return round(moment.timestamp() * 1_000_000)


class Alert(NamedTuple):
    kind: str
    project_id: str
    slug: str
    environment: str
    status: str
    previous_status: str | None
    transition_id: str
    last_check_in_at: str | None
    due_at: int | None
    reminder: int = 0  # 0 for the transition, n for its n-th reminder

    @property
    def subject(self) -> str:
        """Whatever the slug and environment hold, a subject SNS accepts: unprintable characters become '?'."""
        still = " (still)" if self.reminder else ""
        text = f"[logister] {self.kind}{still}: {self.slug} ({self.environment})"
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
            "reminder": self.reminder,
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

    Down (error or missed) from anything else -> monitor_error, monitor_timeout or monitor_missed;
    ok after down -> monitor_recovered; still missed with one more reminder -> monitor_missed again,
    as its n-th reminder. Paused monitors alert nothing.
    """
    if new.paused_at:
        return None
    before = old.status if old is not None else None
    after = new.status
    reminder = 0
    if after in (ERROR, MISSED) and before != after:
        kind = MONITOR_MISSED if after == MISSED else MONITOR_TIMEOUT if new.failure_kind == TIMEOUT else MONITOR_ERROR
        cause = new.failure_cause or (new.last_event_id if after == ERROR else str(new.missed_due_at))
    elif after == OK and before in (ERROR, MISSED):
        kind, cause = MONITOR_RECOVERED, str(new.last_event_id)
    elif after == MISSED and before == MISSED and old is not None and new.reminders > old.reminders:
        kind, reminder = MONITOR_MISSED, new.reminders
        cause = f"{new.failure_cause}:reminder:{reminder}"
    else:
        return None
    # Deterministic: a redelivered change yields the same id, so consumers can drop repeats.
    identity = f"logister:{new.project_id}:{new.monitor_key}:{after}:{cause}"
    return Alert(
        kind=kind,
        project_id=new.project_id,
        slug=new.slug,
        environment=new.environment,
        status=str(after),
        previous_status=before,
        transition_id=str(uuid.uuid5(uuid.NAMESPACE_URL, identity)),
        last_check_in_at=new.last_check_in_at,
        due_at=new.missed_due_at if after == MISSED else new.due_at,  # a missed alert names the deadline missed
        reminder=reminder,
    )
