"""A job's start and finish reported in the same second end on the finish (issue 14's bug), through the real
handlers, on every path a check-in takes.

The payloads are logister-ruby's, as its Reporter#report_check_in builds them (lib/logister/reporter.rb:
`occurred_at` is `Time.now.utc.iso8601`, whole seconds; the client adds a random uuid per payload,
lib/logister/client.rb `with_stable_uuid`) and as its client sends them: one `{"event": ...}` body per
request when synchronous, gzip NDJSON batches in report order when asynchronous (the default). Before
the fix, the monitor compared the two random uuids and kept the start half of the time.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from logister_common.runtime.settings import get_settings
from tests.support import all_items, ndjson

REPEATS = 100
START = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


def ruby_check_in(slug: str, status: str, occurred_at: datetime) -> dict:
    """Reporter#report_check_in's payload with the client's uuid (fingerprint and service as configured)."""
    return {
        "event_type": "check_in",
        "level": "error" if status == "error" else "info",
        "message": slug,
        "fingerprint": "0" * 32,
        "occurred_at": occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "context": {
            "environment": "production",
            "service": "billing",
            "check_in_slug": slug,
            "check_in_status": status,
            "expected_interval_seconds": 300,
        },
        "uuid": str(uuid.uuid4()),
    }


def monitor(slug: str) -> dict:
    [item] = [item for item in all_items(get_settings().monitors_table) if item["slug"]["S"] == slug]
    return item


def finishes(run: int) -> str:
    return "error" if run % 2 else "ok"


def test_start_and_finish_in_one_second_end_on_the_finish_sent_one_by_one(ingest, project):
    for run in range(REPEATS):
        second = START + timedelta(minutes=run)
        for status in ("in_progress", finishes(run)):
            assert ingest({"event": ruby_check_in("sync-job", status, second)}, token=project.token).status == 201
        stored = monitor("sync-job")
        assert (stored["last_status"]["S"], stored["status"]["S"]) == (finishes(run), finishes(run)), run
        assert stored.get("runs", {"L": []})["L"] == []  # the finish closed the run it started


def test_start_and_finish_in_one_second_end_on_the_finish_in_one_batch(batch, project):
    for run in range(REPEATS):
        second = START + timedelta(minutes=run)
        lines = [{"event": ruby_check_in("async-job", status, second)} for status in ("in_progress", finishes(run))]
        assert batch(ndjson(*lines), token=project.token).status == 202
        stored = monitor("async-job")
        assert (stored["last_status"]["S"], stored["status"]["S"]) == (finishes(run), finishes(run)), run


def test_start_and_finish_in_one_second_end_on_the_finish_on_the_check_ins_route(check_in, project):
    for run in range(REPEATS):
        second = (START + timedelta(minutes=run)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for status in ("in_progress", finishes(run)):
            body = {"check_in": {"slug": "cron-job", "status": status, "occurred_at": second}}
            assert check_in(body, token=project.token).status == 201
        stored = monitor("cron-job")
        assert (stored["last_status"]["S"], stored["status"]["S"]) == (finishes(run), finishes(run)), run
