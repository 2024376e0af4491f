"""The monitor algorithm (monitors/rules.py) and its configuration (contract/monitor_config.py), issue 14.

Pure: check-ins are built directly and applied in the order each test chooses; the sweeper is `on_due`
called at chosen seconds, and the alerts are what `transition` yields between consecutive states.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from logister_common.contract.check_in_fields import CheckIn
from logister_common.contract.errors import Unprocessable
from logister_common.contract.monitor_config import MonitorConfig, config_from_wire, next_scheduled
from logister_common.monitors.rules import (
    IN_PROGRESS,
    MAX_OPEN_RUNS,
    MONITOR_ERROR,
    MONITOR_MISSED,
    MONITOR_RECOVERED,
    MONITOR_TIMEOUT,
    Alert,
    Monitor,
    apply_check_in,
    new_monitor,
    on_due,
    transition,
)

T0 = datetime(2026, 6, 20, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def check_in(
    status: str = "ok",
    at: datetime = T0,
    *,
    received: datetime | None = None,
    run_id: str | None = None,
    interval: int = 60,
    duration_ms: float | None = None,
    config: MonitorConfig | None = None,
) -> CheckIn:
    """A check-in of job/production with a fresh random event id, received when it occurred unless told."""
    return CheckIn(
        slug="job",
        environment="production",
        status=status,
        occurred_at=at,
        interval_seconds=interval,
        event_id=str(uuid.uuid4()),
        received_at=received or at,
        run_id=run_id,
        duration_ms=duration_ms,
        config=config,
    )


def applied(monitor: Monitor | None, *check_ins: CheckIn) -> Monitor:
    """The monitor after these check-ins, each applied when it was received (a new monitor from the first)."""
    for each in check_ins:
        monitor = monitor or new_monitor("p", "production#job", each)
        monitor = apply_check_in(monitor, each, each.received_at or each.occurred_at)
    assert monitor is not None
    return monitor


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def at(epoch_seconds: int) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC)


def swept(monitor: Monitor, epoch_seconds: int) -> Monitor:
    return on_due(monitor, at(epoch_seconds))


def alerts(start: Monitor, *steps: Callable[[Monitor], Monitor]) -> list[Alert]:
    """The alerts between consecutive states as each step (a check-in or a sweep) changes the monitor."""
    found: list[Alert] = []
    monitor = start
    for step in steps:
        changed = step(monitor)
        alert = transition(monitor, changed)
        if alert is not None:
            found.append(alert)
        monitor = changed
    return found


def receive(each: CheckIn) -> Callable[[Monitor], Monitor]:
    return lambda monitor: apply_check_in(monitor, each, each.received_at or each.occurred_at)


def sweep(epoch_seconds: int) -> Callable[[Monitor], Monitor]:
    return lambda monitor: swept(monitor, epoch_seconds)


def kinds(found: Sequence[Alert]) -> list[tuple[str, int]]:
    return [(alert.kind, alert.reminder) for alert in found]


# 1. Ordering: a start and its finish reported in the same (whole) second end on the finish.


@pytest.mark.parametrize("finish", ["ok", "error"])
def test_a_start_and_a_finish_in_the_same_second_end_on_the_finish_in_either_order(finish: str) -> None:
    occurred = datetime(2026, 6, 20, 12, 0, 5, tzinfo=UTC)  # whole seconds, as logister-ruby sends
    config = MonitorConfig(max_runtime_seconds=60)
    start_uuid_larger = set()
    for attempt in range(100):
        received = occurred + timedelta(microseconds=1_000 * attempt)
        started = check_in(IN_PROGRESS, occurred, received=received, config=config)
        finished = check_in(finish, occurred, received=received + timedelta(microseconds=1))
        start_uuid_larger.add(started.event_id > finished.event_id)
        for first, second in ((started, finished), (finished, started)):
            monitor = applied(None, first, second)
            assert (monitor.last_status, monitor.status) == (finish, finish)
            assert monitor.runs == ()  # no run left open to time out later
    # Both uuid orders occurred (a 2**-99 chance otherwise), so the uuids did not decide.
    assert start_uuid_larger == {True, False}


# 2. Runs.


def test_in_progress_starts_a_run_and_the_next_finish_closes_it_with_the_duration_measured_from_the_start() -> None:
    started = applied(None, check_in(IN_PROGRESS, T0))
    assert [(run.run_id, run.started_us) for run in started.runs] == [("", epoch(T0) * 1_000_000)]
    assert (started.status, started.last_status) == ("ok", IN_PROGRESS)  # a start is neither success nor failure

    finished = applied(started, check_in("ok", T0 + timedelta(seconds=90, milliseconds=500)))
    assert finished.runs == ()
    assert finished.last_duration_ms == 90_500
    assert finished.recent[0].duration_ms == 90_500

    reported = applied(started, check_in("error", T0 + timedelta(seconds=5), duration_ms=1234.5))
    assert (reported.runs, reported.last_duration_ms, reported.status) == ((), 1234.5, "error")


def test_overlapping_runs_pair_by_their_run_ids() -> None:
    run_a = check_in(IN_PROGRESS, T0, run_id="a")
    run_b = check_in(IN_PROGRESS, T0 + timedelta(seconds=10), run_id="b")
    both = applied(None, run_a, run_b)
    assert [run.run_id for run in both.runs] == ["a", "b"]

    b_done = applied(both, check_in("ok", T0 + timedelta(seconds=25), run_id="b"))
    assert [run.run_id for run in b_done.runs] == ["a"]
    assert b_done.last_duration_ms == 15_000

    a_done = applied(b_done, check_in("error", T0 + timedelta(seconds=40), run_id="a"))
    assert a_done.runs == ()
    assert (a_done.last_duration_ms, a_done.status) == (40_000, "error")

    unknown = applied(both, check_in("ok", T0 + timedelta(seconds=30), run_id="c"))
    assert [run.run_id for run in unknown.runs] == ["a", "b"]  # an id no run has closes nothing
    assert unknown.last_duration_ms is None


def test_a_run_past_max_runtime_times_out_as_an_error_at_its_deadline_and_alerts_once() -> None:
    config = MonitorConfig(max_runtime_seconds=300)
    running = applied(None, check_in(IN_PROGRESS, T0, interval=3600, config=config))
    deadline = epoch(T0) + 301
    assert running.next_due() == running.due_at == deadline

    before = swept(running, deadline - 1)
    assert (before.status, len(before.runs), transition(running, before)) == ("ok", 1, None)

    timed_out = swept(running, deadline)
    assert (timed_out.status, timed_out.failure_kind, timed_out.runs) == ("error", "timeout", ())
    alert = transition(running, timed_out)
    assert alert is not None
    assert (alert.kind, alert.status, alert.previous_status) == (MONITOR_TIMEOUT, "error", "ok")
    assert transition(timed_out, swept(timed_out, deadline + 3600)) is None


def test_a_run_closed_in_time_never_times_out() -> None:
    config = MonitorConfig(max_runtime_seconds=300)
    done = applied(
        None,
        check_in(IN_PROGRESS, T0, interval=3600, config=config),
        check_in("ok", T0 + timedelta(seconds=299), interval=3600),
    )
    assert done.runs == ()
    assert done.next_due() != epoch(T0) + 301
    later = swept(done, epoch(T0) + 301)
    assert (later.status, later.failure_kind, transition(done, later)) == ("ok", None, None)


def test_at_most_max_open_runs_are_kept_the_newest() -> None:
    starts = [check_in(IN_PROGRESS, T0 + timedelta(seconds=i), run_id=f"r{i}") for i in range(MAX_OPEN_RUNS + 5)]
    monitor = applied(None, *starts)
    assert [run.run_id for run in monitor.runs] == [f"r{i}" for i in range(5, MAX_OPEN_RUNS + 5)]


# 3. Cron schedules in a time zone.

BERLIN_0230 = MonitorConfig(schedule="30 2 * * *", timezone="Europe/Berlin")


def test_a_berlin_job_at_0230_is_expected_at_0300_the_night_the_clocks_skip_0230() -> None:
    monitor = applied(None, check_in("ok", datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN), config=BERLIN_0230))
    expected = epoch(datetime(2026, 3, 29, 3, 0, tzinfo=BERLIN))
    assert at(expected) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 +02:00
    assert monitor.expected_at() == expected
    assert monitor.missed_deadline() == monitor.next_due() == monitor.due_at == expected + 60 + 1

    deadline = expected + 61
    assert monitor.status_at(deadline - 1) == "ok"
    assert monitor.status_at(deadline) == "missed"
    early = swept(monitor, deadline - 1)
    assert (early.status, transition(monitor, early)) == ("ok", None)
    missed = swept(monitor, deadline)
    assert missed.status == "missed"
    alert = transition(monitor, missed)
    assert alert is not None and (alert.kind, alert.reminder) == (MONITOR_MISSED, 0)
    # The next night is back to 02:30 (+02:00).
    assert applied(missed, check_in("ok", at(expected + 30))).expected_at() == epoch(
        datetime(2026, 3, 30, 2, 30, tzinfo=BERLIN)
    )


@pytest.mark.parametrize(
    "after_utc",
    [
        datetime(2026, 10, 24, 10, 0, tzinfo=UTC),  # the day before
        datetime(2026, 10, 25, 0, 30, 5, tzinfo=UTC),  # just after the first 02:30 (+02:00)
        datetime(2026, 10, 25, 1, 15, tzinfo=UTC),  # 02:15 +01:00: the hour's second pass
        datetime(2026, 10, 25, 1, 29, 59, tzinfo=UTC),  # 02:29:59 +01:00
    ],
)
def test_a_berlin_job_at_0230_runs_once_the_night_0230_happens_twice(after_utc: datetime) -> None:
    first_0230 = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 +02:00
    expected = next_scheduled("30 2 * * *", "Europe/Berlin", epoch(after_utc))
    assert expected > epoch(after_utc)
    if after_utc < first_0230:
        assert at(expected) == first_0230
    else:  # never the second 02:30 (+01:00): the next is the next night's
        assert at(expected) == datetime(2026, 10, 26, 2, 30, tzinfo=BERLIN)


def test_a_berlin_cron_monitor_across_the_october_change_expects_0230_once() -> None:
    monitor = applied(None, check_in("ok", datetime(2026, 10, 24, 12, 0, tzinfo=BERLIN), config=BERLIN_0230))
    first_0230 = epoch(datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
    next_night = epoch(datetime(2026, 10, 26, 2, 30, tzinfo=BERLIN))
    assert monitor.expected_at() == first_0230
    # A job that ran at the first 02:30 and finished within the repeated hour is next expected tomorrow.
    for finish_utc in (datetime(2026, 10, 25, 0, 31, tzinfo=UTC), datetime(2026, 10, 25, 1, 10, tzinfo=UTC)):
        finished = applied(monitor, check_in("ok", finish_utc))
        assert finished.expected_at() == next_night
        assert finished.status_at(epoch(datetime(2026, 10, 25, 12, 0, tzinfo=UTC))) == "ok"
    # Missed at the first 02:30; with a threshold of 2 the next expectation is tomorrow's, not the second 02:30.
    patient_config = MonitorConfig(schedule="30 2 * * *", timezone="Europe/Berlin", failure_threshold=2)
    patient = applied(None, check_in("ok", datetime(2026, 10, 24, 12, 0, tzinfo=BERLIN), config=patient_config))
    once = swept(patient, first_0230 + 61)
    assert (once.status, once.failures, once.expected_at()) == ("ok", 1, next_night)


def test_a_new_york_weekday_job_is_missed_at_the_right_minute_across_the_march_change() -> None:
    config = MonitorConfig(schedule="0 9 * * 1-5", timezone="America/New_York", margin_seconds=300)
    friday = datetime(2026, 3, 6, 9, 0, 10, tzinfo=NEW_YORK)  # EST, -05:00
    monitor = applied(None, check_in("ok", friday, config=config))
    monday = datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # 09:00 EDT, -04:00, after Sunday's change
    assert monitor.expected_at() == epoch(monday)
    deadline = epoch(monday) + 301
    assert monitor.due_at == deadline
    assert swept(monitor, deadline - 1).status == "ok"
    assert swept(monitor, deadline).status == "missed"


def test_new_york_skipped_and_repeated_hours() -> None:
    spring = next_scheduled("30 2 * * *", "America/New_York", epoch(datetime(2026, 3, 7, 12, 0, tzinfo=NEW_YORK)))
    assert at(spring) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT: 02:30 does not exist
    first = next_scheduled("30 1 * * *", "America/New_York", epoch(datetime(2026, 10, 31, 12, 0, tzinfo=NEW_YORK)))
    assert at(first) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, the first
    for after in (first, epoch(datetime(2026, 11, 1, 6, 10, tzinfo=UTC))):  # ...and from 01:10 EST, the second pass
        assert at(next_scheduled("30 1 * * *", "America/New_York", after)) == datetime(2026, 11, 2, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize("schedule", ["61 * * * *", "0 0 30 2 *", "* * *", "every day", 42, "x" * 257])
def test_an_invalid_crontab_is_a_422(schedule: object) -> None:
    with pytest.raises(Unprocessable) as raised:
        config_from_wire({"schedule": schedule})
    assert raised.value.status == 422


@pytest.mark.parametrize("timezone", ["Mars/Olympus", "Europe/Berlinn", "../../etc/passwd", 5])
def test_an_unknown_zone_is_a_422(timezone: object) -> None:
    with pytest.raises(Unprocessable):
        config_from_wire({"schedule": "0 3 * * *", "timezone": timezone})


def test_crontab_aliases_are_accepted() -> None:
    for alias in ("@daily", "@hourly", "@weekly", "@monthly", "@yearly", "@midnight", "@annually"):
        config = config_from_wire({"schedule": alias})
        assert config is not None and config.schedule == alias
    midnight = next_scheduled("@daily", "Europe/Berlin", epoch(datetime(2026, 6, 20, 12, 0, tzinfo=BERLIN)))
    assert at(midnight) == datetime(2026, 6, 21, 0, 0, tzinfo=BERLIN)
    hour = next_scheduled("@hourly", None, epoch(T0 + timedelta(minutes=10)))
    assert at(hour) == T0 + timedelta(hours=1)


# 4. Thresholds.


def test_failure_threshold_3_alerts_on_the_third_consecutive_error() -> None:
    first = applied(None, check_in("ok", T0, config=MonitorConfig(failure_threshold=3)))
    errors = [check_in("error", T0 + timedelta(seconds=10 * n)) for n in (1, 2, 3)]
    found = alerts(first, *map(receive, errors))
    assert kinds(found) == [(MONITOR_ERROR, 0)]
    assert applied(first, *errors[:2]).status == "ok"
    assert (applied(first, *errors[:2]).last_status, applied(first, *errors).status) == ("error", "error")
    # An ok in between starts the count again.
    interrupted = applied(first, errors[0], errors[1], check_in("ok", T0 + timedelta(seconds=25)), errors[2])
    assert (interrupted.status, interrupted.failures) == ("ok", 1)


def test_misses_count_toward_the_failure_threshold() -> None:
    first = applied(None, check_in("ok", T0, config=MonitorConfig(failure_threshold=3)))
    deadlines = [epoch(T0) + 60 * n + 30 + 1 for n in (1, 2, 3)]  # interval 60, grace 30
    monitor = first
    for deadline, status in zip(deadlines, ["ok", "ok", "missed"], strict=True):
        assert monitor.due_at == deadline
        assert swept(monitor, deadline - 1).failures == monitor.failures
        monitor = swept(monitor, deadline)
        assert monitor.status == status
    assert kinds(alerts(first, *map(sweep, deadlines))) == [(MONITOR_MISSED, 0)]
    # A stopped sweeper catches up to the threshold in one pass.
    assert swept(first, epoch(T0) + 10_000).status == "missed"
    # Errors and misses count together; the last failure names the status.
    two_errors = applied(
        first, check_in("error", T0 + timedelta(seconds=5)), check_in("error", T0 + timedelta(seconds=6))
    )
    assert two_errors.status == "ok"
    assert swept(two_errors, epoch(T0) + 6 + 91).status == "missed"


def test_recovery_threshold_2_recovers_on_the_second_consecutive_ok() -> None:
    first = applied(None, check_in("error", T0, config=MonitorConfig(recovery_threshold=2)))
    assert first.status == "error"
    oks = [check_in("ok", T0 + timedelta(seconds=10 * n)) for n in (1, 2)]
    assert applied(first, oks[0]).status == "error"
    assert applied(first, *oks).status == "ok"
    assert kinds(alerts(first, *map(receive, oks))) == [(MONITOR_RECOVERED, 0)]
    # An error in between starts the count again.
    relapse = applied(first, oks[0], check_in("error", T0 + timedelta(seconds=15)), oks[1])
    assert relapse.status == "error"


def test_default_thresholds_behave_as_logister() -> None:
    first = applied(None, check_in("ok", T0))
    error = check_in("error", T0 + timedelta(seconds=10))
    ok = check_in("ok", T0 + timedelta(seconds=20))
    assert applied(first, error).status == "error"
    assert applied(first, error, ok).status == "ok"
    assert kinds(alerts(first, receive(error), receive(ok))) == [(MONITOR_ERROR, 0), (MONITOR_RECOVERED, 0)]
    # Logister's case-sensitive "error": anything else is a success.
    assert applied(first, check_in("ERROR", T0 + timedelta(seconds=10))).status == "ok"


# 5. Reminders while missed.


def missed_monitor(config: MonitorConfig | None = None) -> tuple[Monitor, int]:
    """A monitor swept missed at its deadline, and that deadline."""
    monitor = applied(None, check_in("ok", T0, config=config))
    deadline = epoch(T0) + 91
    missed = swept(monitor, deadline)
    assert (missed.status, missed.reminded_at) == ("missed", deadline)
    return missed, deadline


def test_a_missed_monitor_is_reminded_hourly_by_default_with_distinct_ids() -> None:
    missed, went_missed = missed_monitor()
    assert missed.next_due() == missed.due_at == went_missed + 3600
    assert transition(missed, swept(missed, went_missed + 3599)) is None

    first = swept(missed, went_missed + 3600)
    second = swept(first, went_missed + 7200)
    assert second.due_at == went_missed + 10_800
    reminders = [transition(missed, first), transition(first, second)]
    assert kinds([alert for alert in reminders if alert]) == [(MONITOR_MISSED, 1), (MONITOR_MISSED, 2)]
    went_down = transition(swept(applied(None, check_in("ok", T0)), went_missed - 91), missed)
    assert went_down is not None
    ids = {alert.transition_id for alert in [went_down, *reminders] if alert}
    assert len(ids) == 3


def test_remind_every_sets_the_pace() -> None:
    missed, went_missed = missed_monitor(MonitorConfig(remind_every_seconds=600))
    assert missed.due_at == went_missed + 600
    reminded = swept(missed, went_missed + 600)
    alert = transition(missed, reminded)
    assert alert is not None and alert.reminder == 1


def test_no_reminders_when_remind_every_is_0() -> None:
    missed, went_missed = missed_monitor(MonitorConfig(remind_every_seconds=0))
    assert missed.next_due() is None
    later = swept(missed, went_missed + 10 * 86_400)
    assert (later.status, later.reminders, transition(missed, later)) == ("missed", 0, None)


def test_error_monitors_get_no_reminders() -> None:
    error = applied(None, check_in("error", T0))
    assert error.next_due() is None
    later = swept(error, epoch(T0) + 10 * 86_400)
    assert (later.status, later.reminders, transition(error, later)) == ("error", 0, None)


# 6. Each alert exactly once, with an id that is stable for the same change.


def test_a_monitor_s_life_yields_each_alert_once() -> None:
    start = applied(None, check_in("ok", T0))
    found = alerts(
        start,
        receive(check_in("error", T0 + timedelta(seconds=10))),
        receive(check_in("error", T0 + timedelta(seconds=20))),  # still error: nothing
        receive(check_in("ok", T0 + timedelta(seconds=30))),
        sweep(epoch(T0) + 30 + 91 - 1),  # not yet
        sweep(epoch(T0) + 30 + 91),
        sweep(epoch(T0) + 30 + 91 + 5),  # swept again: nothing
        sweep(epoch(T0) + 30 + 91 + 3600),
        receive(check_in("ok", T0 + timedelta(hours=2))),
        receive(check_in("ok", T0 + timedelta(hours=2, seconds=10))),  # still ok: nothing
    )
    assert kinds(found) == [
        (MONITOR_ERROR, 0),
        (MONITOR_RECOVERED, 0),
        (MONITOR_MISSED, 0),
        (MONITOR_MISSED, 1),
        (MONITOR_RECOVERED, 0),
    ]
    assert len({alert.transition_id for alert in found}) == len(found)


def test_the_transition_id_is_stable_for_the_same_change() -> None:
    start = applied(None, check_in("ok", T0))
    error = check_in("error", T0 + timedelta(seconds=10))
    once, again = transition(start, applied(start, error)), transition(start, applied(start, error))
    assert once is not None and again is not None and once.transition_id == again.transition_id
    # A redelivered check-in changes nothing, so alerts nothing.
    down = applied(start, error)
    assert transition(down, apply_check_in(down, error, T0 + timedelta(seconds=11))) is None
    # The same miss swept late (a retried sweep) has the same id.
    deadline = epoch(T0) + 91
    on_time, late = transition(start, swept(start, deadline)), transition(start, swept(start, deadline + 7))
    assert on_time is not None and late is not None and on_time.transition_id == late.transition_id
    # The same timeout too.
    running = applied(None, check_in(IN_PROGRESS, T0, interval=3600, config=MonitorConfig(max_runtime_seconds=60)))
    timeouts = [transition(running, swept(running, epoch(T0) + 61 + delay)) for delay in (0, 30)]
    assert [alert.kind if alert else None for alert in timeouts] == [MONITOR_TIMEOUT, MONITOR_TIMEOUT]
    assert len({alert.transition_id for alert in timeouts if alert}) == 1


# 7. Configuration on the wire (Sentry's shapes and ours) and its upsert.


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ({"schedule": "0 3 * * *"}, MonitorConfig(schedule="0 3 * * *")),
        ({"schedule": " 0  3 * * * ", "schedule_type": "crontab"}, MonitorConfig(schedule="0 3 * * *")),
        ({"schedule": {"type": "crontab", "value": "0 3 * * *"}}, MonitorConfig(schedule="0 3 * * *")),
        ({"schedule": {"type": "interval", "value": 30, "unit": "minute"}}, MonitorConfig(interval_seconds=1800)),
        ({"schedule": {"type": "interval", "value": 2, "unit": "hour"}}, MonitorConfig(interval_seconds=7200)),
        ({"schedule": [30, "minute"], "schedule_type": "interval"}, MonitorConfig(interval_seconds=1800)),
        (
            {
                "schedule": "0 3 * * *",
                "timezone": "Europe/Berlin",
                "checkin_margin": 5,
                "max_runtime": 30,
                "failure_issue_threshold": 3,
                "recovery_threshold": 2,
            },
            MonitorConfig(
                schedule="0 3 * * *",
                timezone="Europe/Berlin",
                margin_seconds=300,
                max_runtime_seconds=1800,
                failure_threshold=3,
                recovery_threshold=2,
            ),
        ),
        (
            {"checkin_margin_seconds": 90, "max_runtime_seconds": "120", "remind_every_seconds": 0},
            MonitorConfig(margin_seconds=90, max_runtime_seconds=120, remind_every_seconds=0),
        ),
        ({"interval_seconds": 600, "failure_threshold": 2.0}, MonitorConfig(interval_seconds=600, failure_threshold=2)),
        (
            {"schedule": "0 3 * * *", "alert_rule": {"targets": []}, "owner": "team:ops", "is_muted": True},
            MonitorConfig(schedule="0 3 * * *"),
        ),
    ],
)
def test_config_from_wire_reads_sentry_s_shapes_and_ours(wire: dict[str, object], expected: MonitorConfig) -> None:
    assert config_from_wire(wire) == expected


def test_config_from_wire_without_configuration_is_none_and_monitor_config_wins_over_the_top_level() -> None:
    assert config_from_wire(None) is None
    assert config_from_wire({}) is None
    assert config_from_wire({"owner": "x", "schedule": None, "timezone": ""}) is None
    top = {"schedule": "0 4 * * *", "timezone": "UTC", "checkin_margin_seconds": 30}
    assert config_from_wire({"schedule": "0 3 * * *"}, top) == MonitorConfig(
        schedule="0 3 * * *", timezone="UTC", margin_seconds=30
    )


@pytest.mark.parametrize(
    "wire",
    [
        "0 3 * * *",  # monitor_config must be an object
        {"checkin_margin": -1},
        {"checkin_margin": "five"},
        {"checkin_margin": 2.5},
        {"max_runtime": 0},
        {"max_runtime": True},
        {"max_runtime": 40_321},
        {"failure_issue_threshold": 0},
        {"recovery_threshold": 721},
        {"interval_seconds": 0},
        {"schedule": {"type": "interval", "value": 30, "unit": "fortnight"}},
        {"schedule": {"type": "interval", "value": 0, "unit": "minute"}},
        {"schedule": {"type": "solar", "value": "0 3 * * *"}},
        {"schedule": ["0 3 * * *"]},
        {"schedule": "0 3 * * *", "timezone": "Nowhere/Town"},
    ],
)
def test_config_from_wire_refuses_invalid_values_with_a_422(wire: object) -> None:
    with pytest.raises(Unprocessable) as raised:
        config_from_wire(wire)
    assert raised.value.status == 422 and raised.value.body["errors"]


def test_merged_is_an_upsert_where_a_schedule_and_an_interval_exclude_each_other() -> None:
    stored = MonitorConfig(schedule="0 3 * * *", timezone="Europe/Berlin", margin_seconds=120, failure_threshold=3)
    assert stored.merged(None) == stored
    assert stored.merged(MonitorConfig(recovery_threshold=2)) == MonitorConfig(
        schedule="0 3 * * *", timezone="Europe/Berlin", margin_seconds=120, failure_threshold=3, recovery_threshold=2
    )
    to_interval = stored.merged(MonitorConfig(interval_seconds=600))
    assert (to_interval.interval_seconds, to_interval.schedule) == (600, None)
    assert (to_interval.margin_seconds, to_interval.failure_threshold) == (120, 3)
    back = to_interval.merged(MonitorConfig(schedule="@hourly"))
    assert (back.schedule, back.interval_seconds, back.margin_seconds) == ("@hourly", None, 120)


def test_a_check_in_s_config_is_an_upsert_onto_the_monitor() -> None:
    monitor = applied(None, check_in("ok", T0, config=BERLIN_0230))
    monitor = applied(monitor, check_in("ok", T0 + timedelta(seconds=10), config=MonitorConfig(failure_threshold=2)))
    assert monitor.config == MonitorConfig(schedule="30 2 * * *", timezone="Europe/Berlin", failure_threshold=2)
    interval = applied(monitor, check_in("ok", T0 + timedelta(seconds=20), config=MonitorConfig(interval_seconds=900)))
    assert (interval.config.schedule, interval.config.interval_seconds) == (None, 900)
    assert interval.expected_at() == epoch(T0) + 20 + 900
    unconfigured = applied(interval, check_in("ok", T0 + timedelta(seconds=30)))
    assert unconfigured.config == interval.config  # a check-in without config keeps the stored one


def test_reminders_more_often_than_every_5_minutes_are_refused():
    """One project's 1,000 missed monitors reminding every second would make every shared sweep write
    (and publish) 1,000 times a minute."""
    from logister_common.contract.errors import Unprocessable
    from logister_common.contract.monitor_config import config_from_wire

    for too_often in (1, 299):
        with pytest.raises(Unprocessable, match="at least 300"):
            config_from_wire({"remind_every_seconds": too_often})
    assert config_from_wire({"remind_every_seconds": 300}).remind_every_seconds == 300
    assert config_from_wire({"remind_every_seconds": 0}).remind_every_seconds == 0
