"""Issue 12, finding 6: with the counter write throttled, a limit of 2 let 200 of 200 requests through,
with no X-RateLimit headers. Now each container falls back to its share of the limit,
ceil(limit / LOGISTER_RATE_LIMIT_FAIL_OPEN_CONTAINERS), answered like the shared limit and counted
as `rate_limit_skipped`."""

from __future__ import annotations

from collections import Counter
from uuid import uuid4

import pytest
from botocore.exceptions import ClientError

from logister_common.container import reset_container_state
from logister_common.runtime.settings import get_settings
from tests.support import all_items, ndjson

BODY = {"event": {"event_type": "log", "message": "m"}}
NOW = 1_800_000_030.0  # one fixed window for the whole test


def throttled(operation: str = "UpdateItem") -> ClientError:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation)


def counter_item_is(prefix: str):
    """Only this kind of counter item throttles (a hot item), the others stay healthy."""
    return lambda params: params["Key"]["key"]["S"].startswith(prefix)


@pytest.fixture
def skipped(monkeypatch) -> list[str]:
    """The metrics the admission pipeline counts (Powertools Metrics is off in tests)."""
    counted: list[str] = []
    monkeypatch.setattr("logister_common.admission.pipeline.count", counted.append)
    monkeypatch.setattr("logister_common.admission.pipeline.epoch_seconds", lambda: NOW)
    return counted


@pytest.mark.parametrize(("containers", "share", "sent"), [(None, 1, 200), ("1", 2, 20)])
def test_a_throttled_counter_keeps_this_containers_share_of_the_limit(
    ingest, project, settings_env, inject_fault, skipped, containers, share, sent
):
    settings_env(LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS="2", LOGISTER_TOKEN_CACHE_SECONDS="10")
    if containers is not None:
        settings_env(LOGISTER_RATE_LIMIT_FAIL_OPEN_CONTAINERS=containers)
    inject_fault("UpdateItem", throttled(), table=get_settings().rate_limits_table, when=counter_item_is("accepted#"))
    replies = [ingest(BODY, token=project.token) for _ in range(sent)]
    assert Counter(reply.status for reply in replies) == {201: share, 429: sent - share}
    for reply in replies:
        assert reply.headers["x-ratelimit-limit"] == str(share)
        assert int(reply.headers["x-ratelimit-reset"]) == NOW + 30
        if reply.status == 429:
            assert reply.headers["x-ratelimit-remaining"] == "0" and reply.headers["retry-after"] == "30"
            assert reply.json["limit"] == share and reply.json["window_seconds"] == 60
    assert len(all_items(get_settings().events_table)) == share
    assert skipped == ["rate_limit_skipped"] * sent


def test_while_the_store_fails_the_containers_together_accept_about_the_limit(
    ingest, project, settings_env, inject_fault, skipped
):
    """The README's bound: accepted <= containers * ceil(limit / expected containers) per window."""
    settings_env(LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS="20", LOGISTER_RATE_LIMIT_FAIL_OPEN_CONTAINERS="4")
    inject_fault("UpdateItem", throttled(), table=get_settings().rate_limits_table)
    accepted = 0
    for _ in range(4):  # four containers, as many as expected
        reset_container_state()
        accepted += sum(ingest(BODY, token=project.token).status == 201 for _ in range(10))
    assert accepted == 20


def test_a_batch_counts_its_events_against_the_share(batch, project, settings_env, inject_fault, skipped):
    settings_env(LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS="30")  # a share of 3 per container
    inject_fault("UpdateItem", throttled(), table=get_settings().rate_limits_table, when=counter_item_is("accepted#"))
    four = ndjson(*[{"event": {"event_type": "log", "message": "m", "uuid": str(uuid4())}} for _ in range(4)])
    refused = batch(four, token=project.token)
    assert refused.status == 429 and refused.headers["x-ratelimit-limit"] == "3"
    assert all_items(get_settings().events_table) == []


def test_failed_authentications_keep_their_limit_when_the_store_fails(ingest, settings_env, inject_fault, skipped):
    settings_env(LOGISTER_PUBLIC_API_AUTH_FAILURE_RATE_LIMIT_REQUESTS="20")
    inject_fault("UpdateItem", throttled(), table=get_settings().rate_limits_table)
    statuses = [ingest(BODY, token="guessed").status for _ in range(5)]
    assert statuses == [401, 401, 429, 429, 429]  # 20 / 10 containers


def test_the_pre_auth_guard_keeps_its_limit_when_the_store_fails(ingest, project, settings_env, inject_fault, skipped):
    settings_env(LOGISTER_PUBLIC_API_PRE_AUTH_RATE_LIMIT_REQUESTS="30")
    inject_fault("UpdateItem", throttled(), table=get_settings().rate_limits_table, when=counter_item_is("pre_auth#"))
    replies = [ingest(BODY, token=project.token) for _ in range(5)]
    assert [reply.status for reply in replies] == [201, 201, 201, 429, 429]
    assert replies[-1].headers["x-ratelimit-limit"] == "3"  # the pre-auth share, answered before authentication
    assert replies[0].headers["x-ratelimit-limit"] == "1200"  # the healthy accepted counter, exact


def test_a_healthy_store_decides_alone_and_exactly(ingest, project, settings_env, inject_fault, skipped):
    """The fallback counts only what the store could not: once healed, the shared count decides again."""
    settings_env(LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS="3")
    fault = inject_fault("UpdateItem", throttled(), table=get_settings().rate_limits_table, times=1)
    assert ingest(BODY, token=project.token).headers["x-ratelimit-limit"] == "1"  # the share while it failed
    assert fault.hits == 1
    replies = [ingest(BODY, token=project.token) for _ in range(4)]
    assert [reply.status for reply in replies] == [201, 201, 201, 429]
    assert {reply.headers["x-ratelimit-limit"] for reply in replies} == {"3"}
    assert skipped == ["rate_limit_skipped"]
