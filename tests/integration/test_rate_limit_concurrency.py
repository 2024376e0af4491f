"""1,300 requests from 16 threads against a limit of 1,200: exactly 1,200 accepted, 100 refused."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from logister_common.runtime.settings import get_settings
from tests.support import all_items


def test_the_accepted_limit_is_exact_under_concurrency(ingest, project, settings_env, monkeypatch):
    settings_env(LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS="1200", LOGISTER_TOKEN_CACHE_SECONDS="10")
    # One fixed window for the whole run: a run that crossed a minute would rightly accept more.
    monkeypatch.setattr("logister_common.admission.pipeline.epoch_seconds", lambda: 1_800_000_030.0)
    body = {"event": {"event_type": "log", "message": "m"}}
    with ThreadPoolExecutor(max_workers=16) as pool:
        replies = list(pool.map(lambda _: ingest(body, token=project.token), range(1_300)))
    assert Counter(reply.status for reply in replies) == {201: 1_200, 429: 100}
    for reply in replies:
        assert reply.headers["x-ratelimit-limit"] == "1200"
        if reply.status == 429:
            assert reply.headers["x-ratelimit-remaining"] == "0"
            assert int(reply.headers["retry-after"]) >= 1
            assert reply.json["limit"] == 1200 and reply.json["window_seconds"] == 60
    assert len(all_items(get_settings().events_table)) == 1_200
