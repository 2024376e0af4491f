from logister_common.projections.group_counts import tally


def stored(uuid: str, group: str, received_at: str, **fields) -> dict:
    return {
        "project_id": "p",
        "group_id": group,
        "uuid": uuid,
        "received_at": received_at,
        "group_title": f"title {group}",
        "group_fingerprint": f"fp {group}",
        **fields,
    }


def test_a_batch_becomes_one_count_per_group():
    groups = tally(
        [
            stored("e1", "a", "2026-11-27T12:00:02Z", group_severity="warning"),
            stored("e2", "b", "2026-11-27T12:00:01Z", environment="staging"),
            stored("e3", "a", "2026-11-27T12:00:01Z"),
            stored("e4", "a", "2026-11-27T12:00:03Z", group_severity="fatal"),
        ]
    )
    first, second = groups
    assert (first.group_id, first.count, first.first_seen, first.last_seen) == (
        "a",
        3,
        "2026-11-27T12:00:01Z",
        "2026-11-27T12:00:03Z",
    )
    assert (first.last_event_id, first.severity, first.title, first.fingerprint) == ("e4", "fatal", "title a", "fp a")
    assert (second.count, second.stage, second.severity) == (1, "staging", "error")
