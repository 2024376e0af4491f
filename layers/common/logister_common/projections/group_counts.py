"""Counting error occurrences into their groups, from the events table's stream.

Grouping happens after acceptance (as in Logister): the request path stores the event with its
group id, title and fingerprint, and this consumer adds a whole stream batch's occurrences with
one update per group. That keeps an error event at one write on the request path and amortizes
the group writes over the batch.

A batch's updates are transactions of up to 100 groups whose tokens derive from the events they
count, so a transaction the stream redelivers (after a timeout, say) is not counted twice, and a
failed transaction counts nothing. A transaction that fails for good is bisected down to the one
group whose update fails, and only that group's events are rejected.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from logister_common.projections.units import PartResult, RecordKey, content_token
from logister_common.storage import error_groups_table
from logister_common.storage.error_groups_table import MAX_TRANSACTION_ACTIONS, Occurrences

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


def count_occurrences(errors: list[dict[str, Any]]) -> PartResult:
    """Add these stored error events to their groups, up to 100 groups per transaction."""
    result = PartResult()
    members: dict[tuple[str, str], list[RecordKey]] = {}
    for event in errors:
        members.setdefault((event["project_id"], event["group_id"]), []).append((event["project_id"], event["uuid"]))
    groups = tally(errors)
    for start in range(0, len(groups), MAX_TRANSACTION_ACTIONS):
        _count(groups[start : start + MAX_TRANSACTION_ACTIONS], members, result)
    return result


def _count(groups: list[Occurrences], members: dict[tuple[str, str], list[RecordKey]], result: PartResult) -> None:
    covered = [key for group in groups for key in members[(group.project_id, group.group_id)]]
    error = result.attempt(covered, lambda: error_groups_table.add_occurrences(groups, token=content_token(covered)))
    if error is None:
        return
    if len(groups) == 1:
        result.reject(covered, error)
        return
    middle = len(groups) // 2
    _count(groups[:middle], members, result)
    _count(groups[middle:], members, result)
