"""Concurrent deliveries of one uuid: exactly one record, the others answer duplicate."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from logister_common.runtime.settings import get_settings
from tests.support import all_items

UUID = "cccccccc-dddd-eeee-ffff-aaaaaaaaaaaa"


def test_same_uuid_sent_concurrently_is_stored_once(ingest, project, deliver_streams):
    body = {"event": {"event_type": "error", "message": "race", "uuid": UUID}}
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda _: ingest(body, token=project.token), range(50)))
    statuses = sorted(reply.status for reply in replies)
    assert statuses == [200] * 49 + [201]
    assert {reply.json["id"] for reply in replies} == {UUID}
    assert len(all_items(get_settings().events_table)) == 1
    deliver_streams()
    groups = all_items(get_settings().error_groups_table)
    assert [group["occurrences"]["N"] for group in groups] == ["1"]
