"""What `logister-admin --json` prints: one model per JSON shape, declared once.

The commands build these and `output.emit_json` dumps them; times are ISO 8601 UTC strings. The
commands import this module when they run, so `--help` never loads pydantic.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class Shape(BaseModel):
    """Closed and immutable: what is printed is exactly what is declared."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RateLimitOverrides(Shape):
    """A project's overrides (None: the stack's default applies)."""

    requests: int | None
    period_seconds: int | None
    auth_failures: int | None


class RateLimits(Shape):
    requests: int
    period_seconds: int
    auth_failures: int


class CreatedProject(Shape):
    """`projects create`: the token is printed this once."""

    project_id: str
    name: str
    token_id: str
    token: str


class Project(Shape):
    """An entry of `projects list`."""

    project_id: str
    name: str | None
    created_at: str | None
    archived_at: str | None
    rate_limit_overrides: RateLimitOverrides


class ArchivedProject(Shape):
    """`projects archive`."""

    project_id: str
    archived: Literal[True] = True
    revoked_token_ids: list[str]


class RestoredProject(Shape):
    """`projects restore`."""

    project_id: str
    archived: Literal[False] = False


class CreatedToken(Shape):
    """`tokens create`: the token is printed this once."""

    project_id: str
    token_id: str
    name: str
    token: str


class Token(Shape):
    """An entry of `tokens list`, and `tokens revoke`: never the token, nor its whole digest."""

    token_id: str
    project_id: str
    name: str | None
    digest_prefix: str
    created_at: str | None
    last_used_at: str | None
    revoked_at: str | None


class ProjectLimits(Shape):
    """`limits show|set|clear`."""

    project_id: str
    overrides: RateLimitOverrides
    defaults: RateLimits
    effective: RateLimits


class Arrival(Shape):
    """An entry of `events`: an event, check-in or span, newest first."""

    id: str
    type: str | None
    level: str | None
    environment: str | None
    title: str | None
    occurred_at: str | None
    received_at: str
    trace_id: str | None  # spans only


class ErrorGroup(Shape):
    """An entry of `errors`."""

    group_id: str
    title: str | None
    occurrences: int
    first_seen: str | None
    last_seen: str | None
    severity: str | None
    stage: str | None
    fingerprint: str | None
    last_event_id: str | None


class Deployment(Shape):
    """An entry of `deployments`: recorded through the API, or indexed from event telemetry (source)."""

    deployment_id: str
    release: str
    environment: str
    repository: str
    commit_sha: str
    source: str  # api or telemetry: whichever was accepted last
    deployed_at: str | None
    pull_request_number: str | None
    pull_request_url: str | None


class MonitorState(Shape):
    """An entry of `monitors`, and `monitors pause|resume`."""

    slug: str
    environment: str
    status: str  # now: paused, error, missed or ok (missed as soon as overdue, before the sweeper runs)
    last_check_in_at: str | None
    last_status: str | None
    interval_seconds: int | None  # the latest check-in's expected_interval_seconds
    due_at: str | None  # when the sweeper next has something to do for it
    missed_since: str | None
    paused_at: str | None
    last_error_at: str | None
    last_event_id: str | None
    schedule: str | None  # its cron expression, if it has one
    timezone: str | None  # the cron expression's zone (None without a schedule)
    every_seconds: int | None  # without a schedule, the interval it is expected at (configured, else the check-ins')
    next_expected_at: str | None  # None before its first check-in
    open_runs: int  # runs started (in_progress) and not finished
    running_since: str | None  # the oldest open run's start


class MonitorSettings(Shape):
    """A monitor's configuration as set (by `monitors set` or a check-in's monitor_config); None: not set."""

    interval_seconds: int | None
    schedule: str | None
    timezone: str | None
    margin_seconds: int | None
    max_runtime_seconds: int | None
    failure_threshold: int | None
    recovery_threshold: int | None
    remind_every_seconds: int | None


class OpenRun(Shape):
    run_id: str | None  # None when the client sent no check_in_id
    started_at: str | None
    running_seconds: int
    times_out_at: str | None  # None without max_runtime_seconds


class RecentCheckIn(Shape):
    status: str
    occurred_at: str
    duration_ms: float | None
    run_id: str | None
    event_id: str


class MonitorDetails(MonitorState):
    """`monitors show` and `monitors set`: the state, the configuration and the recent check-ins."""

    settings: MonitorSettings
    expected: str  # how it is expected, e.g. "cron 0 3 * * * Europe/Berlin" or "every 300s (from check-ins)"
    margin_seconds: int  # how late a check-in may be (effective)
    missed_at: str | None  # when the awaited check-in counts as missed (None while down or before the first)
    failure_threshold: int  # effective values
    recovery_threshold: int
    remind_every_seconds: int  # 0: never
    failures: int  # consecutive failures
    oks: int  # consecutive ok check-ins since the last failure
    failure_kind: str | None  # why it is down: error, missed or timeout
    reminders: int  # reminders sent since it went missed
    runs: list[OpenRun]
    recent: list[RecentCheckIn]  # newest first


class TraceSpan(Shape):
    """A span of `trace`, in tree order."""

    span_id: str
    parent_span_id: str | None
    name: str | None
    kind: str | None
    status: str | None
    started_at: str | None
    depth: int
    offset_ms: float
    duration_ms: float
    orphan: bool  # its parent is not stored
    id: str | None


class Trace(Shape):
    """`trace`."""

    trace_id: str
    started_at: str
    duration_ms: float
    spans: list[TraceSpan]


class TransactionPerformance(Shape):
    """A row of `performance`: one transaction name over the window (`<other>`: names past the cap)."""

    transaction: str
    count: int
    errors: int
    error_rate: float
    p50_ms: float | None  # None: no positive duration
    p95_ms: float | None
    p99_ms: float | None
    throughput_per_minute: float


class HourlyP95(Shape):
    hour: str  # YYYY-MM-DDTHH, UTC
    count: int
    p95_ms: float | None


class Performance(Shape):
    """`performance`: transactions slowest (p95) first; with --transaction, that one and its p95 per hour."""

    project_id: str
    environment: str
    since: str
    until: str
    transactions: list[TransactionPerformance]
    hourly_p95: list[HourlyP95] | None
