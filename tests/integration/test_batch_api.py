"""POST /api/v1/ingest_events/batch through the real handler against emulated DynamoDB (contract §11)."""

from __future__ import annotations

import gzip
import os

from logister_common.runtime.settings import get_settings
from tests.support import all_items, event_item, ndjson, span_items, stored_document, tables_of


def uuid(number: int) -> str:
    return f"{number:08x}-bbbb-cccc-dddd-eeeeeeeeeeee"


def log(number: int, **fields) -> dict:
    return {"event": {"event_type": "log", "level": "info", "message": f"log {number}", "uuid": uuid(number), **fields}}


def span(number: int, **fields) -> dict:
    return {
        "event": {
            "event_type": "span",
            "name": "GET /",
            "trace_id": "trace-1",
            "span_id": f"span-{number}",
            "uuid": uuid(number),
            "duration_ms": 5,
            **fields,
        }
    }


def events_stored() -> int:
    return len([item for item in all_items(get_settings().events_table) if item["signal"]["S"] == "event"])


def test_a_gzip_batch_of_a_log_and_a_span(batch, project):
    reply = batch(ndjson(log(1), span(2)), token=project.token, headers={"X-Logister-Batch-Id": "batch-1"})
    assert reply.status == 202, reply
    body = reply.json
    assert (body["schema_version"], body["batch_id"], body["status"]) == (1, "batch-1", "accepted")
    assert (body["accepted"], body["duplicates"]) == (2, 0)
    assert [result["id"] for result in body["results"]] == [uuid(1), uuid(2)]
    assert body["results"][0] == {
        "index": 0,
        "status": "accepted",
        "type": "event",
        "id": uuid(1),
        "legacy_id": body["results"][0]["legacy_id"],
        "duplicate": False,
    }
    assert body["results"][1]["type"] == "span"
    assert stored_document(event_item(project.project_id, uuid(1)))["message"] == "log 1"
    assert len(span_items()) == 1
    assert reply.headers["x-ratelimit-remaining"] == "1198"  # two units


def test_replaying_a_batch_returns_all_duplicates(batch, project):
    body = ndjson(log(1), span(2))
    batch(body, token=project.token)
    replay = batch(body, token=project.token)
    assert replay.status == 202
    assert (replay.json["accepted"], replay.json["duplicates"]) == (2, 2)
    assert all(result["duplicate"] for result in replay.json["results"])
    assert events_stored() == 1


def test_one_invalid_entry_rolls_back_the_whole_batch(batch, project):
    error = {"event": {"event_type": "error", "uuid": uuid(2)}}
    reply = batch(ndjson(log(1), error), token=project.token)
    assert reply.status == 422
    body = reply.json
    assert (body["schema_version"], body["status"], "batch_id" in body) == (1, "rejected", False)
    assert [result["status"] for result in body["results"]] == ["rolled_back", "rejected"]
    assert "Message can't be blank" in body["results"][1]["errors"]
    assert body["results"][0]["errors"] == ["Batch was rolled back because another envelope was invalid"]
    assert all_items(get_settings().events_table) == []


def test_a_rejected_batch_reports_already_stored_entries_as_duplicates(batch, project):
    batch(ndjson(log(1)), token=project.token)
    reply = batch(
        ndjson(log(1), {"event": {"event_type": "nope", "message": "m", "uuid": uuid(3)}}), token=project.token
    )
    assert [(r["status"], r.get("duplicate")) for r in reply.json["results"]] == [
        ("accepted", True),
        ("rejected", None),
    ]


def test_over_the_limit_a_batch_is_429_and_stores_nothing(batch, project, settings_env):
    settings_env(LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS="2")
    reply = batch(ndjson(log(1), log(2), log(3)), token=project.token)
    assert reply.status == 429 and reply.json["error"] == "Rate limit exceeded"
    assert all_items(get_settings().events_table) == []


def test_content_type_and_encoding_errors(batch, project):
    wrong_type = batch(ndjson(log(1)), token=project.token, content_type="application/json")
    assert (wrong_type.status, wrong_type.json["code"]) == (415, "unsupported_content_type")
    not_gzip = batch(b"not-gzip", token=project.token)
    assert (not_gzip.status, not_gzip.json["code"]) == (400, "invalid_gzip")
    assert not_gzip.headers["x-ratelimit-limit"] == "1200"
    brotli = batch(ndjson(log(1)), token=project.token, encoding="br")
    assert (brotli.status, brotli.json["code"]) == (415, "unsupported_encoding")


def test_line_errors(batch, project):
    assert batch(b"[]", encoding=None, token=project.token).json["code"] == "invalid_envelope"
    no_uuid = ndjson({"event": {"event_type": "log", "message": "m"}})
    assert batch(no_uuid, token=project.token).json["code"] == "missing_identity"
    invalid = ndjson({"event": {"event_type": "log", "message": "m", "event_id": "invalid"}})
    assert batch(invalid, token=project.token).json["code"] == "invalid_identity"


def test_an_event_id_only_envelope(batch, project):
    reply = batch(ndjson({"event": {"event_type": "log", "message": "m", "event_id": uuid(7)}}), token=project.token)
    assert reply.status == 202 and reply.json["results"][0]["id"] == uuid(7)


def test_a_uuid_repeated_inside_a_batch_is_stored_once(batch, project):
    reply = batch(ndjson(log(1), log(1, message="again")), token=project.token)
    assert [result["duplicate"] for result in reply.json["results"]] == [False, True]
    assert reply.json["duplicates"] == 1
    assert events_stored() == 1


def test_a_100_event_gzip_batch_in_one_transaction(batch, project, record_calls):
    calls = record_calls("dynamodb")
    body = ndjson(*[log(number) for number in range(100)])
    reply = batch(body, token=project.token)
    assert reply.status == 202 and reply.json["accepted"] == 100
    assert events_stored() == 100
    assert calls.operations.count("TransactWriteItems") == 1
    assert len(calls) <= 8, calls


def test_errors_in_a_batch_count_their_groups_once_per_event(batch, project, deliver_streams):
    errors = [{"event": {"event_type": "error", "message": "Boom", "uuid": uuid(n)}} for n in range(3)]
    batch(ndjson(*errors), token=project.token)
    batch(ndjson(*errors), token=project.token)  # a replay counts nothing
    deliver_streams()
    groups = all_items(get_settings().error_groups_table)
    assert [group["occurrences"]["N"] for group in groups] == ["3"]


def test_a_full_batch_of_spans_and_errors_is_one_transaction(batch, project, deliver_streams, record_calls):
    spans = [span(number) for number in range(70)]  # one item each: 100 actions with the errors
    errors = [{"event": {"event_type": "error", "message": f"E{n % 3}", "uuid": uuid(100 + n)}} for n in range(30)]
    transactions = record_calls("dynamodb", "TransactWriteItems")
    reply = batch(ndjson(*spans, *errors), token=project.token)
    assert reply.status == 202 and reply.json["accepted"] == 100
    assert len(transactions) == 1
    deliver_streams()
    assert len(span_items()) == 70
    groups = all_items(get_settings().error_groups_table)
    assert sorted(int(group["occurrences"]["N"]) for group in groups) == [10, 10, 10]
    replay = batch(ndjson(*spans, *errors), token=project.token)
    assert replay.json["duplicates"] == 100


def test_documents_beyond_one_transactions_bytes_go_to_s3_and_the_batch_stays_one_transaction(
    batch, project, record_calls, monkeypatch
):
    from logister_common.endpoints import ingest_batch

    # Scaled down: the wire's 2 MiB cap keeps a real batch's documents near DynamoDB's 4 MB only by design.
    monkeypatch.setattr(ingest_batch, "MAX_INLINE_DOCUMENT_BYTES", 200_000)
    blobs = [os.urandom(45_000).hex() for _ in range(10)]  # about 50 KB each, compressed
    transactions = record_calls("dynamodb", "TransactWriteItems")
    reply = batch(ndjson(*[log(n, context={"blob": blob}) for n, blob in enumerate(blobs)]), token=project.token)
    assert reply.status == 202 and reply.json["accepted"] == 10
    assert len(transactions) == 1
    items = [event_item(project.project_id, uuid(n)) for n in range(10)]
    assert [stored_document(item)["context"]["blob"] for item in items] == blobs
    assert 0 < sum("doc_s3" in item for item in items) < 10


def test_span_identity_duplicates(batch, ingest, project):
    ingest({"event": span(1)["event"] | {"uuid": uuid(50)}}, token=project.token)
    reply = batch(ndjson(span(1), span(2), span(3, span_id="span-2")), token=project.token)
    assert [(r["id"], r["duplicate"]) for r in reply.json["results"]] == [
        (uuid(50), True),
        (uuid(2), False),
        (uuid(2), True),
    ]


def test_cross_signal_reuse_in_a_batch_is_rejected(batch, ingest, project):
    ingest(log(1), token=project.token)
    reply = batch(ndjson(span(1)), token=project.token)
    assert reply.status == 422
    assert reply.json["results"][0]["errors"] == ["Uuid has already been used for another telemetry signal"]


def test_a_check_in_in_a_batch_updates_its_monitor(batch, project):
    check_in = {"event": {"event_type": "check_in", "message": "nightly", "status": "ok", "uuid": uuid(1)}}
    assert batch(ndjson(check_in), token=project.token).status == 202
    assert [item["slug"]["S"] for item in all_items(get_settings().monitors_table)] == ["nightly"]


def check_in(number: int, slug: str, occurred_at: str, **fields) -> dict:
    return {
        "event": {
            "event_type": "check_in",
            "message": slug,
            "check_in_slug": slug,
            "occurred_at": occurred_at,
            "uuid": uuid(number),
            **fields,
        }
    }


def monitors() -> dict[str, dict]:
    return {item["slug"]["S"]: item for item in all_items(get_settings().monitors_table)}


def test_a_throttled_batch_stores_neither_its_check_ins_nor_their_monitors(batch, project, inject_fault):
    from botocore.exceptions import ClientError

    error = ClientError({"Error": {"Code": "ThrottlingException", "Message": "x"}}, "TransactWriteItems")
    inject_fault("TransactWriteItems", error, table=get_settings().monitors_table, times=1)
    body = ndjson(log(1), check_in(2, "nightly", "2026-01-01T00:00:00Z"))
    first = batch(body, token=project.token)
    assert first.status == 503 and first.headers["retry-after"]
    assert (events_stored(), monitors()) == (0, {})
    assert batch(body, token=project.token).status == 202
    assert (events_stored(), monitors()["nightly"]["last_event_id"]["S"]) == (2, uuid(2))


def test_check_ins_of_one_monitor_in_a_batch_leave_the_newest_on_it(batch, project):
    body = ndjson(
        check_in(1, "nightly", "2026-01-01T00:00:02Z", check_in_status="newest"),
        check_in(2, "nightly", "2026-01-01T00:00:01Z"),
        check_in(3, "nightly", "2026-01-01T00:00:03Z", environment="staging"),
    )
    assert batch(body, token=project.token).status == 202
    assert events_stored() == 3
    by_environment = {item["environment"]["S"]: item for item in all_items(get_settings().monitors_table)}
    assert by_environment["test"]["last_event_id"]["S"] == uuid(1)
    assert by_environment["test"]["last_status"]["S"] == "newest"
    assert by_environment["staging"]["last_event_id"]["S"] == uuid(3)


def test_an_out_of_order_check_in_in_a_batch_is_stored_and_leaves_the_monitor(batch, project):
    assert batch(ndjson(check_in(1, "nightly", "2026-01-01T00:00:10Z")), token=project.token).status == 202
    reply = batch(
        ndjson(log(2), check_in(3, "nightly", "2026-01-01T00:00:05Z"), check_in(4, "hourly", "2026-01-01T00:00:05Z")),
        token=project.token,
    )
    assert reply.status == 202 and reply.json["duplicates"] == 0
    assert events_stored() == 4
    assert monitors()["nightly"]["last_event_id"]["S"] == uuid(1)
    assert monitors()["hourly"]["last_event_id"]["S"] == uuid(4)


def test_a_gzip_bomb_answers_413(batch, project):
    bomb = gzip.compress(b"\n" * (64 * 1024 * 1024), compresslevel=9)
    reply = batch(bomb, token=project.token)
    assert (reply.status, reply.json["code"]) == (413, "decompressed_bytes")


def test_a_failed_transaction_of_a_full_batch_stores_nothing_and_the_retry_stores_it_all(batch, project, inject_fault):
    from botocore.exceptions import ClientError

    error = ClientError({"Error": {"Code": "ThrottlingException", "Message": "x"}}, "TransactWriteItems")
    inject_fault("TransactWriteItems", error, times=1)
    body = ndjson(*[span(number) for number in range(100)])
    first = batch(body, token=project.token)
    assert first.status == 503
    assert span_items() == []  # all or nothing, at the contract's largest batch
    retry = batch(body, token=project.token)
    assert retry.status == 202 and retry.json["duplicates"] == 0
    assert len(span_items()) == 100


def test_check_ins_of_more_monitors_than_one_transaction_holds_all_reach_their_monitors(
    batch, project, deliver_streams, record_calls
):
    """100 new check-ins of 100 monitors: 200 writes. The events commit in one transaction; the monitor
    updates that do not fit ride in their events, and the events stream applies them."""
    body = ndjson(*[check_in(n, f"job-{n}", "2026-01-01T00:00:00Z") for n in range(100)])
    transactions = record_calls("dynamodb", "TransactWriteItems")
    reply = batch(body, token=project.token)
    assert reply.status == 202 and reply.json["accepted"] == 100
    events_table = get_settings().events_table  # the others register the new monitors on the project
    assert [call for call in transactions if events_table in tables_of(call.params)] == transactions[-1:]
    assert events_stored() == 100
    deliver_streams()
    assert {slug: item["last_event_id"]["S"] for slug, item in monitors().items()} == {
        f"job-{n}": uuid(n) for n in range(100)
    }


def test_a_batch_fills_its_transaction_with_monitor_updates_and_leaves_the_rest_to_the_stream(
    batch, project, deliver_streams
):
    body = ndjson(*[check_in(n, f"job-{n}", "2026-01-01T00:00:00Z") for n in range(60)])
    assert batch(body, token=project.token).status == 202
    assert len(monitors()) == 40  # 60 events and 40 updates: 100 actions
    pending = [n for n in range(60) if "pending_check_in" in event_item(project.project_id, uuid(n))]
    assert pending == list(range(40, 60))
    deliver_streams()
    assert len(monitors()) == 60
    assert all(item["last_status"]["S"] == "ok" for item in monitors().values())


def test_a_pending_check_in_the_stream_fails_to_apply_is_redelivered_and_applied(
    batch, project, deliver_streams, inject_fault
):
    from botocore.exceptions import ClientError

    body = ndjson(*[check_in(n, f"job-{n}", "2026-01-01T00:00:00Z") for n in range(51)])  # 2 left to the stream
    assert batch(body, token=project.token).status == 202
    throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "x"}}, "PutItem")
    inject_fault("PutItem", throttled, table=get_settings().monitors_table, times=1)
    deliver_streams()
    assert len(monitors()) == 50  # one applied, one throttled: left to the stream, not skipped
    deliver_streams()
    assert len(monitors()) == 51
