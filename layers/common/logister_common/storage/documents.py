"""How an event's document (message, context, ...) fits in a DynamoDB item. Pure.

Items stop at 400 KB while an event may be 1 MiB: small documents are stored as JSON text,
larger ones zlib-compressed with a preset dictionary (fewer write units too), and what still does not
fit goes to S3.
Nothing accepted is ever truncated.
"""

from __future__ import annotations

import json
import zlib
from typing import Any, NamedTuple

from logister_common.contract.normalization import Event, Span

# Above this, zlib roughly halves a JSON document: most events then fit one 1 KB write unit.
INLINE_MAX_BYTES = 512
# Leaves room under DynamoDB's 400 KB item limit for the item's other attributes.
ITEM_DOCUMENT_MAX_BYTES = 350_000
_COMPRESSION_LEVEL = 6
# A preset dictionary of what our documents repeat (Logister's keys, the server's telemetry_evidence
# block): zlib then halves a typical SDK error again (611 -> 302 bytes), so its item stays one write
# unit. A compressed document names its dictionary in its header (FDICT, with the dictionary's
# Adler-32), so documents compressed without one, or with a later dictionary, still decode. Never edit
# this one: add a new dictionary instead.
_DICTIONARY_V1 = (
    b'{"name":"","status":"ok","duration_ms":,"context":{"trace_id":"","span_id":"","parent_span_id":"'
    b'","kind":"server","transaction_name":"","request_id":"","session_id":"","user_id":"","user":{"id'
    b'":"","email":"","name":""},"tags":{},"breadcrumbs":[{"category":"","message":"","level":"info","'
    b'timestamp":"","data":{}}],"dependencyCalls":[],"service":"","commit_sha":"","repository":"","bra'
    b'nch":"","deployment":{},"check_in_slug":"","check_in_status":"ok","expected_interval_seconds":30'
    b'0,"check_in_id":"","metric":{"name":"","value":,"unit":""},"value":,"unit":"ms","sdk":{"name":"l'
    b'ogister-","version":""},"runtime":{"name":"","version":""},"os":{"name":"Linux"},"platform":"","'
    b'python_version":"","runtime_name":"","process_id":,"hostname":"","url":"https://","method":"GET"'
    b',"headers":{"user-agent":""},"request":{"method":"POST","path":"/","request_id":"","url":""},"ex'
    b'ception":{"class":"","message":"","backtrace":["",""],"cause":{},"frames":[{"filename":"","linen'
    b'o":,"function":"","in_app":true}]},"telemetry_evidence":{"schema_version":1,"source":"api","kind'
    b'":"","capture_mode":"api","evidence_kind":"event_payload","identity_scope":"occurrence","fatalit'
    b'y":"unknown","time":{"precision":"exact","occurred_at":"2026-","reporting_start":"","reporting_e'
    b'nd":"","received_at":"2026-"},"producer":{},"normalization":{"owner":"server","normalizer":"Tele'
    b'metryEvidenceNormalizer","sensitive_key_filter_applied":true}}}}{"message":"","level":"error","f'
    b'ingerprint":null,"context":{"environment":"production","release":"",'
)
_DICTIONARIES = {zlib.adler32(_DICTIONARY_V1): _DICTIONARY_V1}


class EncodedDocument(NamedTuple):
    """Exactly one of the three forms is set."""

    text: str | None = None
    compressed: bytes | None = None
    overflow: bytes | None = None  # zlib bytes destined for S3


def encode(document: dict[str, Any]) -> EncodedDocument:
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False, default=str)
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) <= INLINE_MAX_BYTES:
        return EncodedDocument(text=text)
    compressor = zlib.compressobj(_COMPRESSION_LEVEL, zdict=_DICTIONARY_V1)
    compressed = compressor.compress(raw) + compressor.flush()
    if len(compressed) <= ITEM_DOCUMENT_MAX_BYTES:
        return EncodedDocument(compressed=compressed)
    return EncodedDocument(overflow=compressed)


def record_document(record: Event | Span) -> dict[str, Any]:
    """What is stored of a record beyond its indexed attributes."""
    if isinstance(record, Span):
        return {
            "name": record.name,
            "status": record.status,
            "duration_ms": record.duration_ms,
            "context": record.context,
        }
    return {
        "message": record.message,
        "level": record.level,
        "fingerprint": record.fingerprint,
        "context": record.context,
    }


def decode(text: str | None = None, compressed: bytes | None = None) -> dict[str, Any]:
    document: dict[str, Any]
    if text is not None:
        document = json.loads(text)
    elif compressed is not None:
        document = json.loads(decompress(compressed))
    else:
        raise ValueError("no document")
    return document


def decompress(compressed: bytes) -> bytes:
    """A stored document's zlib bytes (item or S3 object), with the preset dictionary its header names, if any."""
    if len(compressed) >= 6 and compressed[1] & 0x20:  # FDICT: the dictionary's Adler-32 follows the header
        dictionary = _DICTIONARIES[int.from_bytes(compressed[2:6], "big")]
        decompressor = zlib.decompressobj(zdict=dictionary)
        return decompressor.decompress(compressed) + decompressor.flush()
    return zlib.decompress(compressed)
