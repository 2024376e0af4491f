"""The events stream's consumer cannot be poisoned by one project (issue 12, finding 1).

Events go in through the real ingest handler; the stream reaches the real projections function
through the local poller, as Lambda's event source mapping (ReportBatchItemFailures) would deliver it.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from logister_common.operator import provisioning
from logister_common.operator.provisioning import IssuedToken
from logister_common.operator.recent_events import recent_events
from logister_common.runtime.settings import get_settings
from logister_common.storage.error_groups_table import project_groups
from logister_common.storage.listings_table import PACKED_MAX_BYTES, unpack
from tests.support import all_items, drain_queue, ndjson

ITEM_LIMIT = 400 * 1024  # DynamoDB's


@pytest.fixture
def other_project(aws) -> IssuedToken:
    return provisioning.issue_token(provisioning.create_project("bystander"))


def noise(length: int) -> str:
    """Hardly compressible text of `length` characters."""
    return base64.b64encode(os.urandom(length)).decode()[:length]


def arrived(project_id: str) -> list[str]:
    now = datetime.now(UTC)
    found = recent_events(project_id, since=now - timedelta(days=1), now=now + timedelta(minutes=1), limit=10_000)
    return [entry["id"] for entry in found]


def counts(project_id: str) -> list[int]:
    return [int(group["occurrences"]) for group in project_groups(project_id)]


def listing_items() -> list[dict[str, Any]]:
    return all_items(get_settings().listings_table)


def item_bytes(item: dict[str, Any]) -> int:
    """DynamoDB's measure, for the string, number and binary attributes a listing item has."""
    return sum(
        len(name.encode()) + len(value if isinstance(value, bytes) else value.encode())
        for name, typed in item.items()
        for value in typed.values()
    )


def listed_uuids() -> list[str]:
    return [entry["uuid"] for item in listing_items() for entry in unpack(item["entries"]["B"])]


def failure_reports(aws) -> list[dict[str, Any]]:
    return drain_queue(aws.queue_urls()["StreamFailureQueue"])


def post_errors(ingest: Callable, token: str, *messages: str) -> list[str]:
    uuids = []
    for message in messages:
        reply = ingest({"event": {"event_type": "error", "message": message}}, token=token)
        assert reply.status == 201, reply
        uuids.append(reply.json["id"])
    return uuids


def test_one_project_s_oversized_summaries_neither_block_nor_replay_another_s_error(
    batch, ingest, project, other_project, deliver_streams
):
    """The finding's batches: 1,024-character levels and environments made one listing item over 400 KB."""
    attack: list[str] = []

    def send_attack(count: int) -> None:
        uuids = [str(uuid.uuid4()) for _ in range(count)]
        oversized = {"level": noise(1024), "environment": noise(1024)}
        lines = [
            {"event": {"uuid": event_id, "event_type": "log", "message": noise(1024), **oversized}}
            for event_id in uuids
        ]
        reply = batch(ndjson(*lines), token=project.token)
        assert reply.status == 202, reply
        attack.extend(uuids)

    send_attack(100)
    send_attack(100)
    (bystander,) = post_errors(ingest, other_project.token, "Bystander failed")  # inside the same stream batch
    for _ in range(3):
        send_attack(100)

    assert deliver_streams() == 501
    assert deliver_streams() == 0  # nothing left to retry

    assert counts(other_project.project_id) == [1]
    assert arrived(other_project.project_id) == [bystander]
    assert sorted(arrived(project.project_id)) == sorted(attack)
    items = listing_items()
    assert len([item for item in items if item["project_day"]["S"].startswith(project.project_id)]) > 1  # split
    for item in items:
        assert len(item["entries"]["B"]) <= PACKED_MAX_BYTES
        assert item_bytes(item) < ITEM_LIMIT / 4
        for entry in unpack(item["entries"]["B"]):
            assert len(entry.get("level", "").encode()) <= 64
            assert len(entry.get("environment", "").encode()) <= 64
    assert sorted(listed_uuids()) == sorted([*attack, bystander])  # each listed once


def test_a_write_that_fails_for_good_skips_its_records_at_once(
    ingest, project, other_project, deliver_streams, inject_fault, aws
):
    mine = post_errors(ingest, project.token, "Boom", "Boom")
    theirs = post_errors(ingest, other_project.token, "Bang")
    too_large = ClientError(
        {"Error": {"Code": "ValidationException", "Message": "Item size has exceeded the maximum allowed size"}},
        "PutItem",
    )
    inject_fault(
        "PutItem",
        too_large,
        table=get_settings().listings_table,
        when=lambda params: params["Item"]["project_day"]["S"].startswith(f"{project.project_id}#"),
    )

    assert deliver_streams() == 3
    assert deliver_streams() == 0  # not retried

    reports = failure_reports(aws)
    assert sorted(report["Keys"]["pk"]["S"] for report in reports) == sorted(
        f"{project.project_id}#{uuid}" for uuid in mine
    )
    for report in reports:
        assert report["part"] == "listings"
        assert "Item size has exceeded" in report["reason"]
        assert report["SequenceNumber"] and report["eventSourceARN"]
    assert arrived(project.project_id) == []
    assert counts(project.project_id) == [2]  # error groups are counted independently of listings
    assert arrived(other_project.project_id) == theirs
    assert counts(other_project.project_id) == [1]


def test_a_group_update_that_fails_for_good_rejects_that_group_alone(
    ingest, project, other_project, deliver_streams, inject_fault, aws
):
    """The group transaction is bisected down to the one update that fails."""
    mine = post_errors(ingest, project.token, "Boom")
    post_errors(ingest, other_project.token, "Bang", "Bang")
    invalid = ClientError({"Error": {"Code": "ValidationException", "Message": "invalid"}}, "TransactWriteItems")

    def names_my_group(params: dict[str, Any]) -> bool:
        return any(
            action["Update"]["Key"]["project_id"]["S"] == project.project_id for action in params["TransactItems"]
        )

    inject_fault("TransactWriteItems", invalid, table=get_settings().error_groups_table, when=names_my_group)

    assert deliver_streams() == 3
    assert deliver_streams() == 0

    (report,) = failure_reports(aws)
    assert (report["part"], report["Keys"]["pk"]["S"]) == ("error_groups", f"{project.project_id}#{mine[0]}")
    assert counts(project.project_id) == []
    assert counts(other_project.project_id) == [2]
    assert len(arrived(project.project_id)) == 1  # listed all the same


def test_a_transient_group_failure_is_redelivered_without_listing_or_counting_twice(
    ingest, project, other_project, deliver_streams, inject_fault, aws
):
    post_errors(ingest, project.token, "Boom", "Boom")
    reply = ingest({"event": {"event_type": "log", "message": "between"}}, token=project.token)
    assert reply.status == 201, reply
    post_errors(ingest, other_project.token, "Bang")
    throttled = ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "TransactWriteItems"
    )
    fault = inject_fault("TransactWriteItems", throttled, table=get_settings().error_groups_table, times=1)

    assert deliver_streams() == 4
    assert fault.hits == 1
    assert counts(project.project_id) == []  # nothing counted yet: the stream redelivers
    assert deliver_streams() == 4
    assert deliver_streams() == 0

    assert counts(project.project_id) == [2]
    assert counts(other_project.project_id) == [1]
    assert len(listing_items()) == 2  # the same items rewritten, not new ones
    assert len(listed_uuids()) == len(set(listed_uuids())) == 4
    assert len(arrived(project.project_id)) == 3
    assert failure_reports(aws) == []
