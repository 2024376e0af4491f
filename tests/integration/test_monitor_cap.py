"""Issue 12, finding 7: monitors per project are capped (MaxMonitorsPerProject).

A check-in that would create a monitor beyond its project's cap is answered 422 on every route that
creates monitors (/api/v1/check_ins, a check_in event on /api/v1/ingest_events, a batch) and stores
nothing; existing monitors keep updating at the cap, and other projects are not affected.
"""

from __future__ import annotations

import uuid

import pytest

from logister_common.operator import provisioning
from logister_common.runtime.settings import get_settings
from tests.support import all_items, event_item, ndjson

CAP = 3
LIMIT_ERROR = "Monitor limit reached: a project can have at most 3 monitors (slug and environment pairs)"


@pytest.fixture(autouse=True)
def small_cap(aws, settings_env) -> None:
    settings_env(LOGISTER_MAX_MONITORS_PER_PROJECT=str(CAP))


def slugs(project_id: str) -> set[str]:
    return {
        item["slug"]["S"] for item in all_items(get_settings().monitors_table) if item["project_id"]["S"] == project_id
    }


def check_in_event(slug: str, event_uuid: str | None = None) -> dict:
    event = {"event_type": "check_in", "message": slug, "context": {"check_in_slug": slug}}
    return {"event": {**event, "uuid": event_uuid or str(uuid.uuid4())}}


@pytest.fixture
def at_the_cap(check_in, project) -> None:
    for index in range(CAP):
        assert check_in({"check_in": {"slug": f"job-{index}"}}, token=project.token).status == 201


def test_the_check_in_that_would_create_one_monitor_too_many_is_a_422_that_stores_nothing(
    check_in, project, at_the_cap
):
    event_uuid = str(uuid.uuid4())
    reply = check_in({"check_in": {"slug": "one-too-many", "uuid": event_uuid}}, token=project.token)
    assert (reply.status, reply.json) == (422, {"errors": [LIMIT_ERROR]})
    assert event_item(project.project_id, event_uuid) is None
    assert slugs(project.project_id) == {"job-0", "job-1", "job-2"}


def test_existing_monitors_keep_updating_at_the_cap(check_in, project, at_the_cap):
    reply = check_in({"check_in": {"slug": "job-1", "status": "error"}}, token=project.token)
    assert reply.status == 201
    (monitor,) = [item for item in all_items(get_settings().monitors_table) if item["slug"]["S"] == "job-1"]
    assert monitor["status"]["S"] == "error"


def test_a_check_in_event_beyond_the_cap_is_a_422_that_stores_nothing(ingest, project, at_the_cap):
    event_uuid = str(uuid.uuid4())
    reply = ingest(check_in_event("one-too-many", event_uuid), token=project.token)
    assert (reply.status, reply.json) == (422, {"errors": [LIMIT_ERROR]})
    assert event_item(project.project_id, event_uuid) is None
    assert "one-too-many" not in slugs(project.project_id)
    assert ingest(check_in_event("job-0"), token=project.token).status == 201  # an existing monitor


def test_a_batch_that_would_create_one_monitor_too_many_is_rejected_whole(batch, project, at_the_cap):
    log = {"event": {"event_type": "log", "message": "m", "uuid": str(uuid.uuid4())}}
    existing, new = check_in_event("job-0"), check_in_event("one-too-many")
    reply = batch(ndjson(log, existing, new), token=project.token)
    assert reply.status == 422
    assert [result["status"] for result in reply.json["results"]] == ["rolled_back", "rolled_back", "rejected"]
    assert reply.json["results"][2]["errors"] == [LIMIT_ERROR]
    for envelope in (log, existing, new):
        assert event_item(project.project_id, envelope["event"]["uuid"]) is None
    assert "one-too-many" not in slugs(project.project_id)


def test_one_batch_cannot_create_more_monitors_than_the_cap(batch, project):
    """The finding: one batch of 100 check-ins created 100 monitors."""
    envelopes = [check_in_event(f"job-{index}") for index in range(100)]
    reply = batch(ndjson(*envelopes), token=project.token)
    assert reply.status == 422
    assert {result["status"] for result in reply.json["results"]} == {"rejected"}
    assert slugs(project.project_id) == set()
    assert all(event_item(project.project_id, envelope["event"]["uuid"]) is None for envelope in envelopes)
    # Nothing was counted: the cap is still free.
    reply = batch(ndjson(*envelopes[:CAP]), token=project.token)
    assert reply.status == 202
    assert slugs(project.project_id) == {"job-0", "job-1", "job-2"}


def test_a_retried_check_in_is_counted_once(check_in, project, inject_fault):
    """A check-in whose monitor was registered but whose write failed (503) costs no second slot when retried."""
    from botocore.exceptions import ClientError

    operation = "TransactWriteItems"  # the check-in's event and monitor update
    error = ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "x"}}, operation)
    inject_fault(operation, error, table=get_settings().events_table, times=CAP)
    body = {"check_in": {"slug": "retried", "uuid": str(uuid.uuid4())}}
    assert [check_in(body, token=project.token).status for _ in range(CAP)] == [503] * CAP
    assert check_in(body, token=project.token).status == 201
    for index in range(CAP - 1):
        assert check_in({"check_in": {"slug": f"job-{index}"}}, token=project.token).status == 201
    assert check_in({"check_in": {"slug": "one-too-many"}}, token=project.token).status == 422


def test_the_cap_is_per_project(check_in, project, at_the_cap):
    other = provisioning.issue_token(provisioning.create_project("other"))
    for index in range(CAP):
        assert check_in({"check_in": {"slug": f"job-{index}"}}, token=other.token).status == 201
