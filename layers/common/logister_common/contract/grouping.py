"""Error grouping: which group an error event belongs to. Pure."""

from __future__ import annotations

import hashlib
from typing import NamedTuple

from logister_common.contract.normalization import Event
from logister_common.contract.ruby_values import is_present

UNTITLED = "Untitled error"


class GroupKey(NamedTuple):
    group_id: str
    fingerprint: str
    title: str
    severity: str


def group_key(event: Event) -> GroupKey:
    """Fingerprint fallback order: client fingerprint, first message line, event uuid."""
    first_line = event.message.strip().splitlines()[0].strip() if event.message.strip() else ""
    fingerprint = event.fingerprint if is_present(event.fingerprint) else first_line or event.uuid
    assert fingerprint is not None
    return GroupKey(
        group_id=hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()[:32],
        fingerprint=fingerprint,
        title=first_line or UNTITLED,
        severity=event.level if event.level is not None and is_present(event.level) else "error",
    )
