"""Event identities: client uuids, deterministic span uuids, legacy ids. Pure."""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

from logister_common.contract.ruby_values import is_blank, to_text

_UUID = re.compile(r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$", re.IGNORECASE)


class InvalidUuid(ValueError):
    pass


def client_uuid(top: dict[str, Any]) -> str | None:
    """The client's identity: `uuid`, or `event_id` when uuid is blank; stripped, checked, lowercased.

    Version and variant nibbles are not checked (Logister's specs use aaaaaaaa-bbbb-cccc-...).
    """
    raw = top.get("uuid")
    if is_blank(raw):
        raw = top.get("event_id")
    if is_blank(raw):
        return None
    text = to_text(raw).strip()
    if not _UUID.match(text):
        raise InvalidUuid(text)
    return text.lower()


def is_valid_uuid(text: str) -> bool:
    return bool(_UUID.match(text))


def random_uuid() -> str:
    return str(uuid.uuid4())


def span_uuid(project_id: str, trace_id: str, span_id: str) -> str:
    """Logister's deterministic span uuid: sha256 of the span's identity, shaped as a v5 uuid."""
    hexdigits = list(hashlib.sha256(f"logister:span:{project_id}:{trace_id}:{span_id}".encode()).hexdigest()[:32])
    hexdigits[12] = "5"
    hexdigits[16] = "89ab"[int(hexdigits[16], 16) & 0x3]
    text = "".join(hexdigits)
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def legacy_id(event_uuid: str) -> int:
    """A stable integer id for clients that store one: the uuid's first 52 bits (JavaScript-safe)."""
    return int(event_uuid.replace("-", "")[:13], 16)
