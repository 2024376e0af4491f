from logister_common.admission.rate_limits import counter_key, decide, window


def test_windows_are_aligned_to_the_epoch():
    current = window(1_000_000_123.9, 60)
    assert (current.start, current.reset_at) == (1_000_000_080, 1_000_000_140)


def test_the_limit_th_request_passes_and_the_next_is_limited():
    current = window(120.0, 60)
    at_limit = decide(1, 1, 60, current, 130.0)
    over = decide(2, 1, 60, current, 130.0)
    assert not at_limit.limited and at_limit.remaining == 0
    assert over.limited and over.remaining == 0 and over.retry_after == 50
    assert over.headers() == {
        "X-RateLimit-Limit": "1",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "180",
        "Retry-After": "50",
    }
    assert over.body() == {"error": "Rate limit exceeded", "limit": 1, "window_seconds": 60, "retry_after": 50}


def test_retry_after_is_at_least_one_second():
    current = window(179.9, 60)
    assert decide(5, 1, 60, current, 179.9).retry_after == 1


def test_batch_amounts_count_as_units():
    current = window(0.0, 60)
    assert decide(4 + 2, 5, 60, current, 0.0).limited


def test_pre_auth_and_auth_failure_counters_are_shared_across_endpoints_but_distinct():
    assert counter_key("pre_auth", "ingest", "ip:1.2.3.4", 60) == counter_key("pre_auth", "check_in", "ip:1.2.3.4", 60)
    assert counter_key("pre_auth", "ingest", "ip:1.2.3.4", 60) != counter_key(
        "auth_failure", "ingest", "ip:1.2.3.4", 60
    )
    assert counter_key("accepted", "ingest", "api_key:1", 60) != counter_key("accepted", "check_in", "api_key:1", 60)
