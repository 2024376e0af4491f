"""How an event's document (message, context, ...) fits in a DynamoDB item. Pure.

Items stop at 400 KB while an event may be 1 MiB: small documents are stored as JSON text,
larger ones zlib-compressed (fewer write units too), and what still does not fit goes to S3.
Nothing accepted is ever truncated.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

from logister_common.contract.normalization import Event, Span

# Above this, zlib roughly halves a JSON document: most events then fit one 1 KB write unit.
INLINE_MAX_BYTES = 512
# Leaves room under DynamoDB's 400 KB item limit for the item's other attributes.
ITEM_DOCUMENT_MAX_BYTES = 350_000
_COMPRESSION_LEVEL = 6


@dataclass(frozen=True, slots=True)
class EncodedDocument:
    """Exactly one of the three forms is set."""

    text: str | None = None
    compressed: bytes | None = None
    overflow: bytes | None = None  # zlib bytes destined for S3


def encode(document: dict[str, Any]) -> EncodedDocument:
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False, default=str)
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) <= INLINE_MAX_BYTES:
        return EncodedDocument(text=text)
    compressed = zlib.compress(raw, _COMPRESSION_LEVEL)
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
        document = json.loads(zlib.decompress(compressed))
    else:
        raise ValueError("no document")
    return document
