"""Counting error occurrences into their groups, from the events table's stream.

Grouping happens after acceptance (as in Logister): the request path stores the event with its
group id, title and fingerprint, and this consumer adds a whole stream batch's occurrences with
one update per group. That keeps an error event at one write on the request path and amortizes
the group writes over the batch.

A batch's updates are one transaction whose token is derived from the batch's records, so a batch
the stream redelivers (after a timeout, say) is not counted twice, and a failed transaction
counts nothing and is retried whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .stores import group_store

DEFAULT_SEVERITY = "error"
DEFAULT_STAGE = "production"


@dataclass(slots=True)
class Occurrences:
    project_id: str
    group_id: str
    fingerprint: str
    title: str
    count: int
    first_seen: str
    last_seen: str
    last_event_id: str
    severity: str
    stage: str


def tally(events: Iterable[dict[str, Any]]) -> list[Occurrences]:
    """One entry per (project, group) of the stored error events given (plain attribute values)."""
    groups: dict[tuple[str, str], Occurrences] = {}
    for event in events:
        key = (event["project_id"], event["group_id"])
        seen = event["received_at"]
        group = groups.get(key)
        if group is None:
            groups[key] = Occurrences(
                project_id=event["project_id"],
                group_id=event["group_id"],
                fingerprint=event.get("group_fingerprint", ""),
                title=event.get("group_title", ""),
                count=1,
                first_seen=seen,
                last_seen=seen,
                last_event_id=event["uuid"],
                severity=event.get("group_severity") or DEFAULT_SEVERITY,
                stage=event.get("environment") or DEFAULT_STAGE,
            )
            continue
        group.count += 1
        group.first_seen = min(group.first_seen, seen)
        if seen >= group.last_seen:
            group.last_seen, group.last_event_id = seen, event["uuid"]
            group.severity = event.get("group_severity") or DEFAULT_SEVERITY
    return list(groups.values())


def count_occurrences(errors: list[dict[str, Any]], token: str) -> int:
    """Add these stored error events to their groups, one transaction per batch; returns how many."""
    if errors:
        group_store.add_occurrences(tally(errors), token=token)
    return len(errors)
