import gc
import tracemalloc

from logister_common.admission.pre_auth import MAX_TALLIES, BufferedCounter
from logister_common.admission.rate_limits import counter_key


class SharedCounter:
    """Stands in for the DynamoDB counter: one shared total per key."""

    def __init__(self) -> None:
        self.totals: dict[str, int] = {}
        self.writes = 0

    def increment(self, key: str, amount: int, expires_at: int) -> int:
        self.writes += 1
        self.totals[key] = self.totals.get(key, 0) + amount
        return self.totals[key]


def test_small_limits_are_checked_exactly_on_every_request():
    shared, counter = SharedCounter(), BufferedCounter()
    decisions = [counter.check("ip:1", 1, 60, 100.0, shared.increment) for _ in range(3)]
    assert [decision.limited for decision in decisions] == [False, True, True]
    assert shared.writes == 3


def test_the_default_limit_writes_every_twelve_requests():
    shared, counter = SharedCounter(), BufferedCounter()
    for _ in range(120):
        counter.check("ip:1", 12_000, 60, 100.0, shared.increment)
    assert shared.writes == 10
    assert sum(shared.totals.values()) == 120


def test_over_admission_is_bounded_by_one_flush_and_then_every_request_is_checked():
    shared, counter = SharedCounter(), BufferedCounter()
    key = counter_key("pre_auth", "all", "ip:1", 60)
    shared.totals[key] = 11_990  # what other containers counted in this window
    decisions = [counter.check("ip:1", 12_000, 60, 100.0, shared.increment) for _ in range(30)]
    passed_unchecked = decisions.index(next(d for d in decisions if d is not None))
    assert passed_unchecked == 11  # at most flush_every - 1 requests pass on the estimate alone
    checked = decisions[passed_unchecked:]
    assert all(decision is not None and decision.limited for decision in checked)
    assert shared.writes == len(checked)  # past the limit, each request is checked exactly


def test_a_new_window_starts_from_zero():
    shared, counter = SharedCounter(), BufferedCounter()
    assert not counter.check("ip:1", 1, 60, 100.0, shared.increment).limited
    assert counter.check("ip:1", 1, 60, 110.0, shared.increment).limited
    assert not counter.check("ip:1", 1, 60, 130.0, shared.increment).limited


def test_tallies_stay_bounded_whatever_the_number_of_addresses():
    shared, counter = SharedCounter(), BufferedCounter()
    counter.check("ip:warm", 12_000, 60, 100.0, shared.increment)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(5 * MAX_TALLIES):
            counter.check(f"ip:2001:db8::{number:x}", 12_000, 60, 100.0, lambda key, amount, expires_at: amount)
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # A tally takes ~150 bytes: room for one round of addresses (1.3 MiB measured), never five (7.3 MiB).
    assert growth < MAX_TALLIES * 300
