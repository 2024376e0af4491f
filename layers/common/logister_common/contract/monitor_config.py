"""A monitor's configuration: how it is expected, when it fails, how it alerts. Pure.

Set by an operator (`logister-admin monitors set`) or sent with a check-in as `monitor_config`, in
the shape Sentry's SDKs send (schedule as a crontab string, `{"type": "crontab", "value": ...}` or
`{"type": "interval", "value": 30, "unit": "minute"}`; `checkin_margin` and `max_runtime` in
minutes; `failure_issue_threshold`, `recovery_threshold`), or with our seconds-named fields. It is
an upsert: the fields given replace those stored, the others stay. Logister's SDKs send none of it,
and their monitors behave as Logister's (contract §7).

Cron schedules are evaluated by cronsim (the library Healthchecks uses) in the monitor's time zone,
so a job at 02:30 on the night the clocks skip that hour is expected at 03:00, and one at 02:30 on
the night it happens twice is expected once, at the first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from itertools import islice
from typing import TYPE_CHECKING, Any, NamedTuple

from logister_common.contract.errors import Unprocessable
from logister_common.contract.ruby_values import is_blank

if TYPE_CHECKING:  # zoneinfo is imported on use: only monitors with a schedule or a zone pay for it
    from zoneinfo import ZoneInfo

DEFAULT_FAILURE_THRESHOLD = 1
DEFAULT_RECOVERY_THRESHOLD = 1
# Logister re-sends "monitor missed" once an hour while a monitor stays missed: our default too.
DEFAULT_REMIND_EVERY_SECONDS = 3600
DEFAULT_CRON_MARGIN_SECONDS = 60
# Each reminder is a sweeper write and an SNS message: a project must not make the shared sweep (and
# the alert topic) work every minute for every one of its monitors.
MIN_REMIND_EVERY_SECONDS = 300
MAX_THRESHOLD = 720  # Sentry's bound
MAX_MINUTES = 40_320  # 28 days: Sentry's bound for checkin_margin and max_runtime
MAX_SECONDS = MAX_MINUTES * 60
MAX_INTERVAL_SECONDS = 365 * 24 * 3600
MAX_SCHEDULE_CHARS = 256
_REPEATED_HOUR_MINUTES = 62  # a repeated hour's past answers, and the one after them
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86_400, "week": 604_800, "month": 2_592_000, "year": 31_536_000}
_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


class MonitorConfig(NamedTuple):
    """Each field None when not set (the monitor then follows its check-ins, as Logister's do)."""

    interval_seconds: int | None = None  # expected every N seconds (else each check-in's expected_interval_seconds)
    schedule: str | None = None  # a crontab expression: expected at each of its times instead
    timezone: str | None = None  # the schedule's IANA zone (UTC when not set)
    margin_seconds: int | None = None  # how late a check-in may be (default: the grace rule, or 60 s for cron)
    max_runtime_seconds: int | None = None  # an in_progress run open longer is a timeout
    failure_threshold: int | None = None  # consecutive failures (errors, misses, timeouts) before an alert
    recovery_threshold: int | None = None  # consecutive ok check-ins before a down monitor recovers
    remind_every_seconds: int | None = None  # while missed, remind this often (0: never)

    def merged(self, update: MonitorConfig | None) -> MonitorConfig:
        """This configuration with the fields `update` sets replaced. A schedule and an interval
        exclude each other: setting one clears the other."""
        if update is None:
            return self
        merged = self._replace(**update.as_dict())
        if update.schedule is not None:
            merged = merged._replace(interval_seconds=None)
        elif update.interval_seconds is not None:
            merged = merged._replace(schedule=None, timezone=None)
        return merged

    def as_dict(self) -> dict[str, Any]:
        return {name: value for name, value in self._asdict().items() if value is not None}

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> MonitorConfig:
        """From stored (already validated) values; unknown names are ignored."""
        known = set(cls._fields)
        values: dict[str, Any] = {}
        for name, value in stored.items():
            if name in known and value is not None:
                values[name] = str(value) if name in ("schedule", "timezone") else int(value)
        return cls(**values)

    @property
    def failures_to_alert(self) -> int:
        return self.failure_threshold or DEFAULT_FAILURE_THRESHOLD

    @property
    def oks_to_recover(self) -> int:
        return self.recovery_threshold or DEFAULT_RECOVERY_THRESHOLD

    @property
    def remind_every(self) -> int:
        return DEFAULT_REMIND_EVERY_SECONDS if self.remind_every_seconds is None else self.remind_every_seconds


def next_scheduled(schedule: str, timezone: str | None, after_epoch: int) -> int:
    """The first time of the cron schedule strictly after `after_epoch`, in the schedule's zone."""
    from cronsim import CronSim  # imported on use: only cron monitors pay for it

    start = datetime.fromtimestamp(after_epoch, UTC).astimezone(_zone(timezone or "UTC"))
    # cronsim walks fixed-time schedules ("30 2 * * *") in naive local time and drops `fold`, so from
    # the second pass of a repeated hour it answers the first pass's time, already past (a monitor
    # checked in at 02:15 +01:00 would be expected at 02:30 +02:00, an hour earlier): skip those, at
    # most an hour's worth of minutes.
    later = (int(moment.timestamp()) for moment in CronSim(_expression(schedule), start))
    return next(
        (moment for moment in islice(later, _REPEATED_HOUR_MINUTES) if moment > after_epoch), after_epoch + 3600
    )


# Configuration a /api/v1/check_ins body may also carry at its top level, beside Logister's fields.
TOP_LEVEL_FIELDS = frozenset({"schedule", "timezone", "checkin_margin_seconds", "max_runtime_seconds"})


def config_from_wire(raw: Any, top_level: dict[str, Any] | None = None) -> MonitorConfig | None:
    """A check-in's `monitor_config` (and the TOP_LEVEL_FIELDS of /api/v1/check_ins); 422 when invalid.

    None when nothing is configured. Unknown fields are ignored; `monitor_config` wins over the top level.
    """
    given: dict[str, Any] = {}
    for source in (top_level or {}, raw if isinstance(raw, dict) else {}):
        given.update({key: value for key, value in source.items() if not is_blank(value)})
    if raw is not None and not isinstance(raw, dict) and not is_blank(raw):
        raise Unprocessable("Monitor config must be an object")
    config = MonitorConfig()
    if "schedule" in given:
        config = _with_schedule(config, given["schedule"], given.get("schedule_type"))
    numbers: dict[str, Any] = {}
    for name, field_name in {"checkin_margin": "margin_seconds", "max_runtime": "max_runtime_seconds"}.items():
        if name in given:
            numbers[field_name] = 60 * _whole(given[name], name, 0 if name == "checkin_margin" else 1, MAX_MINUTES)
    seconds = {
        "checkin_margin_seconds": ("margin_seconds", 0, MAX_SECONDS),
        "max_runtime_seconds": ("max_runtime_seconds", 1, MAX_SECONDS),
        "interval_seconds": ("interval_seconds", 1, MAX_INTERVAL_SECONDS),
        "remind_every_seconds": ("remind_every_seconds", 0, MAX_SECONDS),
        "failure_issue_threshold": ("failure_threshold", 1, MAX_THRESHOLD),
        "failure_threshold": ("failure_threshold", 1, MAX_THRESHOLD),
        "recovery_threshold": ("recovery_threshold", 1, MAX_THRESHOLD),
    }
    for name, (field_name, low, high) in seconds.items():
        if name in given:
            numbers[field_name] = _whole(given[name], name, low, high)
    if 0 < numbers.get("remind_every_seconds", 0) < MIN_REMIND_EVERY_SECONDS:
        raise Unprocessable(f"Monitor remind_every_seconds must be 0 (never) or at least {MIN_REMIND_EVERY_SECONDS}")
    config = config._replace(**numbers)
    if "interval_seconds" in numbers:
        config = config._replace(schedule=None)
    if "timezone" in given:
        config = config._replace(timezone=checked_timezone(given["timezone"]))
    return config if config.as_dict() else None


def checked_schedule(value: Any) -> str:
    """A crontab expression cronsim accepts (aliases such as @daily included); else 422."""
    from cronsim import CronSim, CronSimError

    if not isinstance(value, str) or not value.strip() or len(value) > MAX_SCHEDULE_CHARS:
        raise Unprocessable(f"Monitor schedule must be a crontab expression of at most {MAX_SCHEDULE_CHARS} characters")
    text = " ".join(value.split())
    try:
        CronSim(_expression(text), datetime(2000, 1, 1, tzinfo=UTC))
    except (CronSimError, ValueError) as error:
        raise Unprocessable(f"Monitor schedule is not a valid crontab expression: {error}") from None
    return text


def checked_timezone(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise Unprocessable("Monitor timezone must be an IANA time zone name, such as Europe/Berlin")
    from zoneinfo import ZoneInfoNotFoundError

    name = value.strip()
    try:
        _zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Unprocessable(f"Monitor timezone is not a known IANA time zone: {name}") from None
    return name


def _with_schedule(config: MonitorConfig, schedule: Any, schedule_type: Any) -> MonitorConfig:
    if isinstance(schedule, dict):
        kind, value, unit = schedule.get("type"), schedule.get("value"), schedule.get("unit")
    elif isinstance(schedule, list) and len(schedule) == 2:  # Sentry's older [30, "minute"] with schedule_type
        kind, (value, unit) = schedule_type or "interval", schedule
    else:
        kind, value, unit = schedule_type or "crontab", schedule, None
    if kind == "crontab":
        return config._replace(schedule=checked_schedule(value), interval_seconds=None)
    if kind == "interval":
        if not isinstance(unit, str) or unit not in _UNIT_SECONDS:
            raise Unprocessable(f"Monitor schedule unit must be one of {', '.join(_UNIT_SECONDS)}")
        count = _whole(value, "schedule value", 1, MAX_INTERVAL_SECONDS)
        return config._replace(interval_seconds=min(count * _UNIT_SECONDS[unit], MAX_INTERVAL_SECONDS), schedule=None)
    raise Unprocessable("Monitor schedule type must be crontab or interval")


def _whole(value: Any, name: str, low: int, high: int) -> int:
    """A whole number within [low, high] (an integral float or digit string too); else 422."""
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 12:
        number = int(value.strip())
    if number is None or not low <= number <= high:
        raise Unprocessable(f"Monitor {name} must be a whole number from {low} to {high}")
    return number


def _expression(schedule: str) -> str:
    return _ALIASES.get(schedule.strip().lower(), schedule)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)
