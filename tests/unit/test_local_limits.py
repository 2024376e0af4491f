from logister_common.admission.local_limits import MAX_COUNTERS, LocalCounter, local_limit
from logister_common.admission.rate_limits import window

NOW = 1_800_000_030.0
CURRENT = window(NOW, 60)


def test_the_share_is_the_limit_divided_by_the_expected_containers_rounded_up():
    assert [local_limit(limit, 10) for limit in (1, 2, 10, 11, 1_200)] == [1, 1, 1, 2, 120]
    assert local_limit(7, 1) == 7


def test_the_local_counter_decides_like_the_shared_one():
    counter = LocalCounter()
    decisions = [counter.check("accepted#k", 1, 2, 60, CURRENT, NOW) for _ in range(3)]
    assert [(d.limited, d.remaining) for d in decisions] == [(False, 1), (False, 0), (True, 0)]
    assert decisions[-1].headers() == {
        "X-RateLimit-Limit": "2",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(CURRENT.reset_at),
        "Retry-After": "30",
    }
    assert counter.check("accepted#other", 2, 2, 60, CURRENT, NOW).limited is False  # counters are per key


def test_many_new_keys_evict_idle_counters_not_a_busy_one():
    counter = LocalCounter()
    counter.check("idle", 1, 1, 60, CURRENT, NOW)
    counter.check("busy", 1, 1, 60, CURRENT, NOW)
    for i in range(MAX_COUNTERS * 2):
        counter.check(f"flood-{i}", 1, 1, 60, CURRENT, NOW)
        if i % 100 == 0:
            assert counter.check("busy", 1, 1, 60, CURRENT, NOW).limited  # still counted: never forgotten
    assert len(counter._counts) == MAX_COUNTERS
    assert counter.check("idle", 1, 1, 60, CURRENT, NOW).limited is False  # forgotten: counts from zero again
