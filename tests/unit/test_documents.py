"""Stored documents: a preset dictionary keeps a typical SDK error in one write unit, and every stored
form (no dictionary, the dictionary) still decodes."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime

from bench.warm import _error_event
from logister_common.contract.normalization import normalize
from logister_common.storage.documents import decode, encode, record_document


def test_a_typical_sdk_error_compresses_to_under_half_of_plain_zlib_and_round_trips():
    record = normalize(
        _error_event(1)["event"], project_id="p", default_environment="production", now=datetime.now(UTC)
    )
    document = record_document(record)
    encoded = encode(document)
    raw = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    assert encoded.compressed is not None
    assert len(encoded.compressed) * 2 <= len(zlib.compress(raw, 6)) + 40
    assert decode(compressed=encoded.compressed) == json.loads(json.dumps(document, default=str))


def test_documents_stored_before_the_dictionary_still_decode():
    old = zlib.compress(json.dumps({"message": "m", "context": {"a": 1}}).encode())
    assert decode(compressed=old) == {"message": "m", "context": {"a": 1}}
