"""Decoding an NDJSON batch (contract §2): encoding, size limits, lines, envelopes, identities. Pure."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from logister_common.contract.envelopes import load_json
from logister_common.contract.errors import ApiError, BadRequest, PayloadTooLarge
from logister_common.contract.event_ids import InvalidUuid, is_valid_uuid
from logister_common.contract.key_casing import normalize_top_level
from logister_common.contract.payload_limits import MAX_WIRE_BYTES, check_event
from logister_common.contract.ruby_values import is_blank, to_text

MAX_DECOMPRESSED_BYTES = 8 * 1024 * 1024
MAX_EVENTS = 100
# Ten per event: an encoder that flushes a member per line fits; 2 MiB of empty members does not.
MAX_GZIP_MEMBERS = 1_000
BATCH_MEDIA_TYPES = frozenset({"application/x-ndjson", "application/ndjson"})
SUPPORTED_ENCODINGS = frozenset({"gzip", "identity"})
MAX_BATCH_ID_LENGTH = 128
# zlib copies what follows a member's end (unused_data): each member's input starts small and
# doubles, so that copy stays within twice the member's size plus _FIRST_CHUNK.
_FIRST_CHUNK = 1024
_LARGEST_CHUNK = 64 * 1024


class UnsupportedMediaType(ApiError):
    status = 415


@dataclass(frozen=True, slots=True)
class BatchLine:
    index: int  # 0-based over non-blank lines
    line_number: int  # 1-based physical line
    event: dict[str, Any]  # the raw event, as sent
    uuid: str  # normalized


def check_media_type(headers: Mapping[str, str]) -> None:
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in BATCH_MEDIA_TYPES:
        raise UnsupportedMediaType(
            {"error": "Batch ingest requires application/x-ndjson", "code": "unsupported_content_type"}
        )


def batch_id(headers: Mapping[str, str]) -> str | None:
    value = headers.get("x-logister-batch-id", "")
    return value[:MAX_BATCH_ID_LENGTH] if value.strip() else None


def decode(body: bytes, content_encoding: str | None) -> list[BatchLine]:
    """The batch's events in order; raises the contract's 400, 413 and 415 answers."""
    encodings = [part.strip() for part in (content_encoding or "").lower().split(",") if part.strip()]
    if encodings not in ([], ["identity"], ["gzip"]):
        listed = ", ".join([part for part in encodings if part not in SUPPORTED_ENCODINGS] or encodings)
        raise UnsupportedMediaType(
            {"error": f"unsupported telemetry batch content encoding: {listed}", "code": "unsupported_encoding"}
        )
    if len(body) > MAX_WIRE_BYTES:
        raise PayloadTooLarge({"error": f"telemetry batch exceeds {MAX_WIRE_BYTES} bytes", "code": "compressed_bytes"})
    raw = gunzip(body) if encodings == ["gzip"] else body
    if len(raw) > MAX_DECOMPRESSED_BYTES:
        raise _too_large_decompressed()
    lines: list[BatchLine] = []
    for line_number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        if len(lines) == MAX_EVENTS:
            raise PayloadTooLarge({"error": f"telemetry batch exceeds {MAX_EVENTS} events", "code": "event_count"})
        lines.append(_decode_line(line, line_number, len(lines)))
    if not lines:
        raise _bad("empty_batch", "telemetry batch must contain at least one event")
    return lines


def _decode_line(line: bytes, line_number: int, index: int) -> BatchLine:
    """Checked in Logister's order (TelemetryBatchDecoder#parse_ndjson): JSON, envelope, event, identity,
    then the payload limits."""
    try:
        envelope = load_json(line.decode("utf-8"))
    except UnicodeDecodeError:
        raise _bad("invalid_json", f"telemetry batch line {line_number} is invalid JSON: invalid UTF-8") from None
    except RecursionError:
        raise _bad("invalid_json", f"telemetry batch line {line_number} is invalid JSON: nesting is too deep") from None
    except ValueError as error:  # the parser's own words follow Logister's prefix, as Ruby's do there
        raise _bad("invalid_json", f"telemetry batch line {line_number} is invalid JSON: {error}") from None
    if not isinstance(envelope, dict):
        raise _bad("invalid_envelope", f"telemetry batch line {line_number} must contain an envelope object")
    event = envelope.get("event")
    if not isinstance(event, dict):
        raise _bad("missing_event", f"telemetry batch line {line_number} must contain an event object")
    identity = _identity(event, line_number)
    check_event(event)
    return BatchLine(index=index, line_number=line_number, event=event, uuid=identity)


def _identity(event: dict[str, Any], line_number: int) -> str:
    """Every batch event needs `uuid` or `event_id`; when both are given they must agree."""
    top = normalize_top_level(event)
    candidates = [to_text(top[key]).strip().lower() for key in ("uuid", "event_id") if not is_blank(top.get(key))]
    if not candidates:
        raise _bad("missing_identity", f"telemetry batch line {line_number} requires a nonblank uuid or event_id")
    try:
        for candidate in candidates:
            if not is_valid_uuid(candidate):
                raise InvalidUuid(candidate)
    except InvalidUuid:
        message = f"telemetry batch line {line_number} uuid/event_id must be a valid UUID"
        raise _bad("invalid_identity", message) from None
    if len(set(candidates)) > 1:
        raise _bad(
            "conflicting_identity",
            f"telemetry batch line {line_number} uuid and event_id must identify the same envelope",
        )
    return candidates[0]


def gunzip(body: bytes) -> bytes:
    """The members of a gzip body, concatenated, in time linear in the body's size.

    Members are walked by offset over one view of the body (never a copy of its rest), and at
    most MAX_GZIP_MEMBERS of them; at most MAX_DECOMPRESSED_BYTES + 1 are decompressed, so a gzip
    bomb is refused without being expanded.
    """
    output = bytearray()
    view = memoryview(body)
    offset = 0
    members = 0
    try:
        while offset < len(view):
            members += 1
            if members > MAX_GZIP_MEMBERS:
                raise PayloadTooLarge(
                    {"error": f"telemetry batch exceeds {MAX_GZIP_MEMBERS} gzip members", "code": "gzip_members"}
                )
            decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
            chunk_size = _FIRST_CHUNK
            while not decompressor.eof:
                chunk = view[offset : offset + chunk_size]
                chunk_size = min(2 * chunk_size, _LARGEST_CHUNK)
                if not chunk:
                    raise _invalid_gzip("unexpected end of file")  # Ruby's words for a truncated member
                # Output stops one byte past the cap, so input left unconsumed means too large.
                output += decompressor.decompress(chunk, MAX_DECOMPRESSED_BYTES + 1 - len(output))
                if len(output) > MAX_DECOMPRESSED_BYTES:
                    raise _too_large_decompressed()
                offset += len(chunk) - len(decompressor.unused_data)  # the next member starts there
    except zlib.error as error:
        # Ruby's words when a member lacks the gzip magic; zlib's would be "incorrect header check".
        reason = "not in gzip format" if bytes(view[offset : offset + 2]) != b"\x1f\x8b" else str(error)
        raise _invalid_gzip(reason) from None
    return bytes(output)


def _too_large_decompressed() -> PayloadTooLarge:
    return PayloadTooLarge(
        {"error": f"telemetry batch exceeds {MAX_DECOMPRESSED_BYTES} decompressed bytes", "code": "decompressed_bytes"}
    )


def _invalid_gzip(reason: str) -> BadRequest:
    return _bad("invalid_gzip", f"invalid gzip telemetry batch: {reason}")


def _bad(code: str, message: str) -> BadRequest:
    return BadRequest({"error": message, "code": code})
