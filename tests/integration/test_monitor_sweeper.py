"""The sweeper: reads only what is overdue, flips each overdue monitor once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from logister_common.monitors.sweep import sweep
from logister_common.operator import provisioning
from logister_common.runtime.settings import get_settings
from logister_common.storage import clients
from logister_common.storage.monitors_table import monitor_key
from tests.support import all_items, seed_monitors

TEN_MINUTES_AGO = datetime.now(UTC) - timedelta(minutes=10)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def monitors() -> dict[str, dict]:
    return {item["slug"]["S"]: item for item in all_items(get_settings().monitors_table)}


def late_check_in(check_in, token: str, slug: str = "nightly") -> None:
    body = {"check_in": {"slug": slug, "expected_interval_seconds": 60, "occurred_at": iso(TEN_MINUTES_AGO)}}
    assert check_in(body, token=token).status == 201


def test_an_overdue_monitor_is_flagged_missed_once(check_in, project):
    late_check_in(check_in, project.token)
    check_in({"check_in": {"slug": "fresh", "expected_interval_seconds": 60}}, token=project.token)
    first = sweep()
    assert (first.items_read, first.missed) == (1, 1)
    monitor = monitors()["nightly"]
    assert monitor["status"]["S"] == "missed"
    # Due again only for its first hourly reminder (Logister's "still missed" pace): nothing before then.
    assert int(monitor["due_at"]["N"]) == int(monitor["reminded_at"]["N"]) + 3600
    assert monitors()["fresh"]["status"]["S"] == "ok"
    assert sweep().items_read == 0


def test_two_overlapping_sweeps_make_one_transition(check_in, project):
    for index in range(5):
        late_check_in(check_in, project.token, slug=f"job-{index}")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: sweep(), range(2)))
    assert sum(result.missed for result in results) == 5
    assert {monitor["status"]["S"] for monitor in monitors().values()} == {"missed"}


def test_a_check_in_after_missed_returns_the_monitor_to_ok(check_in, project):
    late_check_in(check_in, project.token)
    sweep()
    check_in({"check_in": {"slug": "nightly", "expected_interval_seconds": 60}}, token=project.token)
    monitor = monitors()["nightly"]
    assert monitor["status"]["S"] == "ok" and "due_at" in monitor and "missed_due_at" not in monitor


def test_paused_monitors_and_archived_projects_are_skipped(check_in, project):
    late_check_in(check_in, project.token, slug="paused-job")
    clients.dynamodb().update_item(
        TableName=get_settings().monitors_table,
        Key={"project_id": {"S": project.project_id}, "monitor_key": {"S": monitor_key("test", "paused-job")}},
        UpdateExpression="SET paused_at = :now",
        ExpressionAttributeValues={":now": {"S": iso(datetime.now(UTC))}},
    )
    other = provisioning.issue_token(provisioning.create_project("archived"))
    late_check_in(check_in, other.token, slug="archived-job")
    provisioning.archive_project(other.project_id)
    result = sweep()
    assert (result.items_read, result.missed, result.dropped) == (2, 0, 2)
    assert {monitor["status"]["S"] for monitor in monitors().values()} == {"ok"}
    assert sweep().items_read == 0


def test_reads_grow_with_what_is_overdue_not_with_what_exists(aws, project, record_calls):
    """10,000 monitors, 10 overdue: count the items DynamoDB returns to the sweeper."""
    seed_monitors(project.project_id, count=10_000, overdue=10, now=int(datetime.now(UTC).timestamp()))
    queries = record_calls("dynamodb", "Query")
    result = sweep()
    returned = [query.response["Count"] for query in queries]
    assert (result.items_read, result.missed) == (10, 10)
    assert sum(returned) == 10
    assert len(returned) == 16  # one Query per shard
