"""The performance part's pure aggregation: sketches (merge, encode, quantiles within their accuracy),
the name cap, duration clamping, and the summaries the CLI prints."""

from __future__ import annotations

import math
import random

import pytest

from logister_common.contract.transaction_fields import (
    DURATION_MAX_MS,
    NAME_MAX_BYTES,
    clamp_duration,
    transaction_fields,
)
from logister_common.operator.performance import hourly_p95, summarize
from logister_common.projections.performance import (
    APPLIED_TOKENS,
    OTHER,
    RELATIVE_ACCURACY,
    UNNAMED,
    Sketch,
    Transaction,
    Unit,
    admit,
    group,
    merged,
    name_digest,
    read_transaction,
)
from logister_common.storage.performance_table import Aggregate


def exact(values: list[float], q: float) -> float:
    """Logister's nearest-rank q-quantile: the value at index ceil(n * q) - 1 of the sorted values."""
    ordered = sorted(values)
    return ordered[max(math.ceil(len(ordered) * q) - 1, 0)]


def sketch_of(values: list[float]) -> Sketch:
    sketch = Sketch()
    for value in values:
        sketch.add(value)
    return sketch


@pytest.mark.parametrize("q", [0.5, 0.95, 0.99])
def test_quantiles_are_within_the_relative_accuracy_of_the_exact_ones(q):
    rng = random.Random(7)
    values = [rng.lognormvariate(5, 1.2) for _ in range(5_000)]
    found = sketch_of(values).quantile(q)
    assert found is not None
    assert abs(found - exact(values, q)) <= RELATIVE_ACCURACY * exact(values, q)


def test_merging_encoded_sketches_equals_sketching_everything_at_once():
    rng = random.Random(11)
    hours = [[rng.uniform(1, 2_000) for _ in range(300)] for _ in range(5)]
    everything = [value for hour in hours for value in hour]
    whole = sketch_of(everything)
    combined = Sketch()
    for hour in hours:
        combined.merge(Sketch.decode(sketch_of(hour).encode()))
    assert combined.count == whole.count == 1_500
    for q in (0.5, 0.95, 0.99):
        assert combined.quantile(q) == whole.quantile(q)
        assert abs(combined.quantile(q) - exact(everything, q)) <= RELATIVE_ACCURACY * exact(everything, q)


def test_zero_durations_are_left_out_of_percentiles_as_logister_does():
    sketch = sketch_of([0.0, 0.0, 0.0, 100.0])
    assert sketch.count == 1
    assert sketch.quantile(0.5) == pytest.approx(100.0, rel=RELATIVE_ACCURACY)
    assert Sketch().quantile(0.95) is None
    assert Sketch.decode(Sketch().encode()).count == 0


def test_a_sketch_stays_small_whatever_the_durations():
    rng = random.Random(3)
    wide = sketch_of([10 ** rng.uniform(-6, math.log10(DURATION_MAX_MS)) for _ in range(50_000)])
    assert len(wide.encode()) < 16 * 1024  # the collapsing store's bin limit bounds it


@pytest.mark.parametrize(
    ("raw", "clamped"),
    [(-5.0, 0.0), (math.nan, 0.0), (math.inf, 0.0), (-math.inf, 0.0), (1e300, DURATION_MAX_MS), (245.7, 245.7)],
)
def test_durations_are_clamped(raw, clamped):
    assert clamp_duration(raw) == clamped


def test_transaction_fields_follow_logister_definitions():
    fields = transaction_fields("transaction", "info", {"transaction_name": "GET /", "duration_ms": "12ms"})
    assert (fields.name, fields.duration_ms, fields.errored) == ("GET /", 12.0, False)
    assert transaction_fields("transaction", "info", {"transactionName": "x", "status": "503"}).errored
    assert transaction_fields("transaction", "fatal", {}).errored
    assert transaction_fields("transaction", "info", {"status": 404}).errored is False
    assert transaction_fields("transaction", None, {"durationMs": -1}).duration_ms == 0.0
    assert transaction_fields("error", "error", {"transaction_name": "x"}) is None
    long_name = transaction_fields("transaction", None, {"transaction_name": "é" * 500}).name
    assert len(long_name.encode()) <= NAME_MAX_BYTES and long_name == "é" * (NAME_MAX_BYTES // 2)


def image(uuid: str, name: object = "GET /", duration: object = 10.0, errored: object = False) -> dict:
    return {
        "project_id": "p1",
        "uuid": uuid,
        "environment": "production",
        "received_at": "2026-11-30T11:42:00.000000Z",
        "expires_at": "1900000000",
        "transaction": {"name": name, "duration_ms": duration, "errored": errored},
    }


def test_an_image_is_read_with_its_hour_of_arrival_and_a_label_for_no_name():
    transaction = read_transaction(image("u1", name=""))
    assert (transaction.hour, transaction.name, transaction.environment) == ("2026-11-30T11", UNNAMED, "production")
    with pytest.raises(TypeError):
        read_transaction(image("u2", name=7))
    with pytest.raises(KeyError):
        read_transaction({**image("u3"), "transaction": {}})


def test_the_name_cap_admits_known_names_then_new_ones_in_a_fixed_order():
    known = {name_digest(f"n{i}") for i in range(3)}
    offered = {name_digest(f"m{i}") for i in range(4)} | {name_digest("n0")}
    first = admit(known, offered, cap=5)
    assert len(first) == 5 and known <= first
    assert admit(known, offered, cap=5) == first  # a redelivery admits the same names
    assert admit(first, {name_digest("late")}, cap=5) == first  # full: nothing new


def test_names_past_the_cap_fold_into_one_other_unit():
    transactions = [
        Transaction(("p1", f"u{i}"), "production", "2026-11-30T11", f"name-{i % 4}", 10.0 * (i + 1), i == 0, 100)
        for i in range(8)
    ]
    place = ("p1", "production", "2026-11-30T11")
    units = group(transactions, {place: {name_digest("name-0"), name_digest("name-1")}})
    by_name = {unit.name: unit for unit in units}
    assert set(by_name) == {"name-0", "name-1", None}
    assert by_name[None].count == 4 and len(by_name[None].records) == 4
    assert by_name["name-0"].errors == 1 and by_name["name-0"].duration_sum == 10.0 + 50.0


def test_merging_a_unit_remembers_its_token_among_the_last_few():
    stored = Aggregate("p1", "production", "2026-11-30T11", "GET /", count=2, errors=1, duration_sum=30.0)
    stored.applied = [f"t{i}" for i in range(APPLIED_TOKENS)]
    unit = Unit("p1", "production", "2026-11-30T11", "GET /")
    unit.add(("p1", "u1"), 50.0, True, 200)
    after = merged(stored, unit, "new")
    assert (after.count, after.errors, after.duration_sum, after.expires_at) == (3, 2, 80.0, 200)
    assert after.applied[-1] == "new" and len(after.applied) == APPLIED_TOKENS and "t0" not in after.applied


def aggregate(hour: str, name: str | None, durations: list[float], errors: int = 0) -> Aggregate:
    return Aggregate(
        "p1",
        "production",
        hour,
        name,
        count=len(durations),
        errors=errors,
        duration_sum=sum(durations),
        sketch=sketch_of(durations).encode(),
    )


def test_summaries_merge_hours_sort_slowest_first_and_use_logister_rates():
    found = [
        aggregate("2026-11-30T10", "fast", [10.0] * 50, errors=5),
        aggregate("2026-11-30T11", "fast", [12.0] * 50),
        aggregate("2026-11-30T11", "slow", [900.0, 1_000.0]),
        aggregate("2026-11-30T11", None, [300.0]),
        aggregate("2026-11-30T11", "instant", [0.0, 0.0]),
    ]
    rows = summarize(found, window_minutes=1_440)
    assert [row.transaction for row in rows] == ["slow", OTHER, "fast", "instant"]
    fast = rows[2]
    assert (fast.count, fast.errors, fast.error_rate) == (100, 5, 0.05)
    assert fast.throughput_per_minute == round(100 / 1_440, 3)
    assert fast.p50_ms == pytest.approx(10.0, rel=RELATIVE_ACCURACY)
    assert fast.p99_ms == pytest.approx(12.0, rel=RELATIVE_ACCURACY)
    assert rows[3].p95_ms is None and rows[3].count == 2


def test_hourly_p95_of_one_transaction():
    found = [aggregate("2026-11-30T11", "a", [200.0]), aggregate("2026-11-30T10", "a", [100.0])]
    found.append(aggregate("2026-11-30T10", "b", [5.0]))
    points = hourly_p95(found, "a")
    assert [(point.hour, point.count) for point in points] == [("2026-11-30T10", 1), ("2026-11-30T11", 1)]
    assert points[1].p95_ms == pytest.approx(200.0, rel=RELATIVE_ACCURACY)


def test_the_chart_fits_80_columns_and_scales_to_the_slowest_hour():
    from admin.performance import CHART_BAR_WIDTH, chart
    from admin.shapes import HourlyP95

    points = [
        HourlyP95(hour="2026-11-30T10", count=3, p95_ms=50.0),
        HourlyP95(hour="2026-11-30T11", count=123_456, p95_ms=86_400_000.0),
        HourlyP95(hour="2026-11-30T12", count=1, p95_ms=None),
    ]
    lines = chart(points)
    assert all(len(line) <= 80 for line in lines)
    assert lines[1].count("#") == CHART_BAR_WIDTH and lines[0].count("#") == 0 and lines[2].count("#") == 0
    assert lines[0].startswith("2026-11-30 10h |") and "50 ms" in lines[0]
