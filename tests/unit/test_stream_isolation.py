"""The events-stream consumer's decisions: which failures are for good, where a redelivery starts, how
listing items stay bounded."""

from __future__ import annotations

import base64
import os

import pytest
from botocore.exceptions import ClientError, ParamValidationError, ReadTimeoutError

from logister_common.contract.errors import StoreUnavailable, Unprocessable
from logister_common.projections.arrivals import listings
from logister_common.projections.consumer import _restart
from logister_common.projections.pending_check_ins import apply_pending
from logister_common.projections.units import content_token
from logister_common.storage.listings_table import PACKED_MAX_BYTES, pack
from logister_common.storage.write_failures import failed_for_good


def client_error(code: str, reasons: list[str] | None = None) -> ClientError:
    response: dict = {"Error": {"Code": code, "Message": code}}
    if reasons is not None:
        response["CancellationReasons"] = [{"Code": reason} for reason in reasons]
    return ClientError(response, "TransactWriteItems")


@pytest.mark.parametrize(
    ("error", "for_good"),
    [
        (client_error("ValidationException"), True),
        (ParamValidationError(report="bad"), True),
        (TypeError("cannot render"), True),
        (client_error("TransactionCanceledException", ["None", "ValidationError"]), True),
        (client_error("TransactionCanceledException", ["ValidationError", "ThrottlingError"]), False),
        (client_error("TransactionCanceledException", ["TransactionConflict"]), False),
        (client_error("ProvisionedThroughputExceededException"), False),
        (client_error("InternalServerError"), False),
        (client_error("AccessDeniedException"), False),
        (ReadTimeoutError(endpoint_url="https://dynamodb"), False),
        (StoreUnavailable("monitors"), False),  # our own store call's verdict: transient
        (Unprocessable("Record cannot be stored"), True),
    ],
)
def test_only_failures_of_the_data_are_for_good(error, for_good):
    assert failed_for_good(error) is for_good


def test_a_redelivery_starts_at_the_first_record_to_do_moved_back_to_whole_units():
    assert _restart(set(), [[0, 1]]) is None
    assert _restart({5}, [[0, 1], [6, 7]]) == 5  # units entirely before or after stay as written
    assert _restart({5}, [[3, 8], [1, 4]]) == 1  # [3, 8] reaches past 5, then [1, 4] reaches past 3


def test_content_tokens_name_the_records_in_any_order():
    records = [("p", "a"), ("q", "b")]
    assert content_token(records) == content_token(records[::-1]) != content_token(records[:1])
    assert len(content_token(records)) == 36  # a transaction token's maximum


def noise(length: int) -> str:
    return base64.b64encode(os.urandom(length)).decode()[:length]


def test_listing_items_are_bounded_whatever_the_summaries_hold():
    records = [
        {
            "project_id": "p",
            "uuid": f"u{n:03d}",
            "received_at": f"2026-11-27T10:00:{n % 60:02d}.{n:06d}Z",
            "level": noise(1024),
            "environment": "é" * 1024,
            "title": noise(1024),
        }
        for n in range(500)
    ]
    made = listings(records)
    assert len(made) > 1
    assert sorted(entry["uuid"] for listing in made for entry in listing.entries) == [f"u{n:03d}" for n in range(500)]
    for listing in made:
        assert len(pack(listing.entries)) <= PACKED_MAX_BYTES
        assert listing.slot.split("#")[0] == listing.entries[0]["received_at"]  # newest first
        for entry in listing.entries:
            assert len(entry["level"].encode()) == 64
            assert entry["environment"] == "é" * 32  # cut between characters, never inside one
            assert len(entry["title"].encode()) == 200
    again = listings(records)
    assert [listing.slot for listing in again] == [listing.slot for listing in made]  # same records, same keys


@pytest.mark.parametrize(
    "pending",
    [
        {"slug": "nightly", "environment": "test", "status": "ok", "occurred_at": "not a time", "interval_seconds": 60},
        {"slug": "nightly"},
        {"slug": "nightly", "environment": "test", "status": "ok", "occurred_at": "2026-01-01T00:00:00Z"},
    ],
)
def test_a_pending_check_in_that_cannot_be_read_is_rejected_without_a_store_call(pending):
    """Rejected for good (reported and skipped), never retried, never written: no AWS client exists here."""
    item = {"project_id": "p", "uuid": "u", "pending_check_in": pending}
    result = apply_pending([item, {"project_id": "p", "uuid": "v"}])
    assert [key for key, _ in result.rejected] == [("p", "u")]
    assert (result.pending, result.written) == ([], [])
