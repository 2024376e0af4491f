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
from typing import Any

from logister_common.storage import error_groups_table
from logister_common.storage.error_groups_table import Occurrences

DEFAULT_SEVERITY = "error"
# Logister quirk, kept on purpose (contract §1.5): a group's stage is the environment of its first
# event, else the literal "production" (not the server's default environment).
DEFAULT_STAGE = "production"


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
        error_groups_table.add_occurrences(tally(errors), token=token)
    return len(errors)
