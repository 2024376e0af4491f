"""Transaction aggregates through the real ingest handler and the real stream consumer (moto): counted
once on redelivery, merged after a lost race, capped per hour, and isolated per unit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from logister_common.operator import performance
from logister_common.operator.provisioning import IssuedToken, create_project, issue_token
from logister_common.projections import performance as projection
from logister_common.projections.performance import OTHER, RELATIVE_ACCURACY, Sketch
from logister_common.runtime.settings import get_settings
from logister_common.storage import clients, performance_table
from logister_common.storage.performance_table import Aggregate
from tests.support import all_items, drain_queue

ENVIRONMENT = "production"


@pytest.fixture
def other_project(aws) -> IssuedToken:
    return issue_token(create_project("bystander"))


def send(ingest: Callable, token: str, name: str, *durations: float, **fields: Any) -> list[str]:
    uuids = []
    for duration in durations:
        body = {"event_type": "transaction", "message": name, "transaction_name": name, "duration_ms": duration}
        reply = ingest({"event": {**body, "environment": ENVIRONMENT, **fields}}, token=token)
        assert reply.status == 201, reply
        uuids.append(reply.json["id"])
    return uuids


def stats(project_id: str) -> dict[str, performance.TransactionPerformance]:
    now = datetime.now(UTC)
    found = performance.aggregates(project_id, ENVIRONMENT, now - timedelta(hours=1), now)
    return {row.transaction: row for row in performance.summarize(found, 60)}


def aggregates_of(project_id: str) -> list[dict[str, Any]]:
    prefix = f"{project_id}#"
    return [item for item in all_items(get_settings().performance_table) if item["pk"]["S"].startswith(prefix)]


def failure_reports(aws) -> list[dict[str, Any]]:
    return drain_queue(aws.queue_urls()["StreamFailureQueue"])


def test_transactions_are_aggregated_per_name_with_logister_s_error_rule(ingest, project, deliver_streams):
    send(ingest, project.token, "GET /", 100, 200, 300)
    send(ingest, project.token, "GET /", 400, context={"status": 503})
    send(ingest, project.token, "POST /pay", 1_000, level="error")
    reply = ingest({"event": {"event_type": "log", "message": "not a transaction"}}, token=project.token)
    assert reply.status == 201

    assert deliver_streams() == 6
    rows = stats(project.project_id)
    assert list(rows) == ["POST /pay", "GET /"]  # slowest first
    get = rows["GET /"]
    assert (get.count, get.errors, get.error_rate) == (4, 1, 0.25)
    assert get.p50_ms == pytest.approx(200, rel=RELATIVE_ACCURACY)
    assert get.p99_ms == pytest.approx(400, rel=RELATIVE_ACCURACY)
    assert rows["POST /pay"].errors == 1
    directory, *named = sorted(aggregates_of(project.project_id), key=lambda item: item["sk"]["S"])
    assert len(directory["names"]["SS"]) == 2 and len(named) == 2


def test_a_redelivered_batch_counts_its_transactions_once(ingest, project, deliver_streams, inject_fault, aws):
    send(ingest, project.token, "GET /", 10, 20, 30)
    throttled = ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}, "PutItem")
    fault = inject_fault("PutItem", throttled, table=get_settings().listings_table, times=1)

    assert deliver_streams() == 3  # aggregated, not listed: the whole batch is redelivered
    assert fault.hits == 1
    assert stats(project.project_id)["GET /"].count == 3
    assert deliver_streams() == 3
    assert deliver_streams() == 0

    assert stats(project.project_id)["GET /"].count == 3  # the aggregate remembered the unit's token
    assert failure_reports(aws) == []


def test_a_concurrent_writer_s_update_is_kept_and_ours_retried(ingest, project, deliver_streams, inject_fault):
    send(ingest, project.token, "GET /", 50, 60)
    hour = datetime.now(UTC).strftime("%Y-%m-%dT%H")
    racer = Sketch()
    for duration in (1_000.0,) * 5:
        racer.add(duration)

    def another_shard_writes_first() -> None:
        other = Aggregate(project.project_id, ENVIRONMENT, hour, "GET /", count=5, errors=5, sketch=racer.encode())
        assert performance_table.write(other)

    def aggregate_put(params: dict[str, Any]) -> bool:
        return params["Item"].get("name", {}).get("S") == "GET /"

    fault = inject_fault(
        "PutItem", another_shard_writes_first, table=get_settings().performance_table, when=aggregate_put, times=1
    )
    assert deliver_streams() == 2
    assert fault.hits == 1

    row = stats(project.project_id)["GET /"]
    assert (row.count, row.errors) == (7, 5)  # both writers' transactions
    assert row.p50_ms == pytest.approx(1_000, rel=RELATIVE_ACCURACY)
    (item,) = [item for item in aggregates_of(project.project_id) if "name" in item]
    assert item["version"]["N"] == "2"


def test_names_past_the_hour_s_cap_fold_into_other(ingest, project, deliver_streams, monkeypatch):
    monkeypatch.setattr(projection, "MAX_NAMES", 3)
    for index in range(3):
        send(ingest, project.token, f"name-{index}", 10)
    assert deliver_streams() == 3
    for index in range(3, 6):
        send(ingest, project.token, f"name-{index}", 1_000)
    send(ingest, project.token, "name-0", 20)  # admitted already: still its own

    assert deliver_streams() == 4
    rows = stats(project.project_id)
    assert set(rows) == {"name-0", "name-1", "name-2", OTHER}
    assert rows[OTHER].count == 3 and rows["name-0"].count == 2
    assert len(aggregates_of(project.project_id)) == 1 + 4  # the directory, three names, <other>


def test_a_unit_that_fails_for_good_rejects_its_own_records_alone(
    ingest, project, other_project, deliver_streams, inject_fault, aws
):
    mine = send(ingest, project.token, "GET /", 10, 20)
    send(ingest, other_project.token, "GET /", 30)
    invalid = ClientError({"Error": {"Code": "ValidationException", "Message": "invalid"}}, "PutItem")
    inject_fault(
        "PutItem",
        invalid,
        table=get_settings().performance_table,
        when=lambda params: params["Item"]["pk"]["S"].startswith(project.project_id) and "name" in params["Item"],
    )

    assert deliver_streams() == 3
    assert deliver_streams() == 0  # not retried

    reports = failure_reports(aws)
    assert sorted(report["Keys"]["pk"]["S"] for report in reports) == sorted(
        f"{project.project_id}#{uuid}" for uuid in mine
    )
    assert {report["part"] for report in reports} == {"performance"}
    assert stats(other_project.project_id)["GET /"].count == 1
    assert "GET /" not in stats(project.project_id)


def test_a_malformed_transaction_image_is_isolated(ingest, project, deliver_streams, aws):
    send(ingest, project.token, "GET /", 10)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    poison = "0d0d0d0d-0000-4000-8000-000000000001"
    clients.dynamodb().put_item(
        TableName=get_settings().events_table,
        Item={
            "pk": {"S": f"{project.project_id}#{poison}"},
            "signal": {"S": "event"},
            "project_id": {"S": project.project_id},
            "uuid": {"S": poison},
            "event_type": {"S": "transaction"},
            "received_at": {"S": now},
            "expires_at": {"N": "4102444800"},
            "environment": {"S": ENVIRONMENT},
            "transaction": {"M": {"name": {"N": "7"}, "duration_ms": {"N": "1"}, "errored": {"BOOL": False}}},
        },
    )

    assert deliver_streams() == 2
    (report,) = failure_reports(aws)
    assert (report["part"], report["Keys"]["pk"]["S"]) == ("performance", f"{project.project_id}#{poison}")
    assert stats(project.project_id)["GET /"].count == 1


def test_environments_past_the_hour_s_cap_fold_into_other_environment(
    ingest, project, other_project, deliver_streams, monkeypatch
):
    monkeypatch.setattr(projection, "MAX_ENVIRONMENTS", 2)
    for environment in ("production", "staging", "env-3", "env-4"):
        send(ingest, project.token, "GET /", 10, environment=environment)
    send(ingest, other_project.token, "GET /", 10, environment="env-5")  # another project's cap
    assert deliver_streams() == 5

    now = datetime.now(UTC)

    def counted(project_id: str, environment: str) -> dict[str, int]:
        found = performance.aggregates(project_id, environment, now - timedelta(hours=1), now)
        return {row.transaction: row.count for row in performance.summarize(found, 60)}

    admitted = [
        environment
        for environment in ("production", "staging", "env-3", "env-4")
        if counted(project.project_id, environment)
    ]
    assert len(admitted) == 2  # the first two in digest order, the same on any redelivery
    assert counted(project.project_id, projection.OTHER_ENVIRONMENT) == {"GET /": 2}
    assert counted(other_project.project_id, "env-5") == {"GET /": 1}
    # A name directory and an aggregate for each admitted environment and <other>; the project's environment
    # directory is keyed apart (its key holds no '#').
    assert len(aggregates_of(project.project_id)) == 3 * 2
