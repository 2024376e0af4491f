"""Logister's TelemetryPayloadLimits: per-event size and shape limits, walked on the raw event. Pure."""

from __future__ import annotations

import json
from typing import Any

from logister_common.contract.errors import PayloadTooLarge

MAX_WIRE_BYTES = 2 * 1024 * 1024
MAX_MESSAGE_BYTES = 65_536
MAX_DEPTH = 16
MAX_KEYS = 512
MAX_ARRAY_LENGTH = 1_000
MAX_STRING_BYTES = 262_144
MAX_EVENT_BYTES = 1_048_576

_PER_ENTRY_OVERHEAD = 4
_NULL_BYTES = 8


class PayloadLimitExceeded(PayloadTooLarge):
    def __init__(self, code: str, limit: int, actual: int) -> None:
        super().__init__(
            {
                "error": f"telemetry payload {code.replace('_', ' ')} exceeds {limit}",
                "code": code,
                "limit": limit,
                "actual": actual,
            }
        )
        self.code = code


def request_too_large() -> PayloadTooLarge:
    return PayloadTooLarge(
        {"error": f"telemetry request exceeds {MAX_WIRE_BYTES} bytes", "code": "request_bytes", "limit": MAX_WIRE_BYTES}
    )


def check_event(event: dict[str, Any]) -> None:
    """Raise PayloadLimitExceeded for the first rule the raw event breaks (message size first)."""
    message = event.get("message")
    if isinstance(message, str):
        size = _utf8_len(message)
        if size > MAX_MESSAGE_BYTES:
            raise PayloadLimitExceeded("message_bytes", MAX_MESSAGE_BYTES, size)
    walker = _Walker()
    walker.walk(event, 0)
    if walker.estimated_bytes > MAX_EVENT_BYTES:
        raise PayloadLimitExceeded("event_bytes", MAX_EVENT_BYTES, walker.estimated_bytes)


class _Walker:
    """Depth-first walk; the event object is depth 0 and its direct values depth 1."""

    __slots__ = ("estimated_bytes", "keys")

    def __init__(self) -> None:
        self.keys = 0
        self.estimated_bytes = 0

    def walk(self, value: Any, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise PayloadLimitExceeded("context_depth", MAX_DEPTH, depth)
        if isinstance(value, dict):
            self.keys += len(value)
            if self.keys > MAX_KEYS:
                raise PayloadLimitExceeded("context_keys", MAX_KEYS, self.keys)
            for key, item in value.items():
                self.estimated_bytes += _utf8_len(key if isinstance(key, str) else str(key)) + _PER_ENTRY_OVERHEAD
                self._child(item, depth + 1)
        elif isinstance(value, list):
            if len(value) > MAX_ARRAY_LENGTH:
                raise PayloadLimitExceeded("array_length", MAX_ARRAY_LENGTH, len(value))
            for item in value:
                self._child(item, depth + 1)
        else:
            self._child(value, depth)

    def _child(self, value: Any, depth: int) -> None:
        """Strings (most values) are counted here without another call; containers recurse."""
        if isinstance(value, str) and depth <= MAX_DEPTH:
            size = _utf8_len(value)
            if size > MAX_STRING_BYTES:
                raise PayloadLimitExceeded("string_bytes", MAX_STRING_BYTES, size)
            self.estimated_bytes += size + _PER_ENTRY_OVERHEAD
        elif isinstance(value, dict | list) or depth > MAX_DEPTH:
            self.walk(value, depth)
        elif value is None:
            self.estimated_bytes += _NULL_BYTES
        else:
            self.estimated_bytes += len(_ruby_to_s(value)) + _PER_ENTRY_OVERHEAD


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def _ruby_to_s(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)
