"""Whatever a monitor holds, its alert renders (issue 12, finding 2): Alert.message() and .subject are total."""

from __future__ import annotations

import json

import pytest

from logister_common.monitors.rules import LATEST_DUE_AT, Alert, due_at


def alert(due: int | None = None, slug: str = "nightly") -> Alert:
    return Alert("monitor_missed", "p", slug, "production", "missed", "ok", "t", None, due)


def test_due_times_stop_at_the_last_second_iso_8601_can_write():
    assert due_at(0, 300_000_000_000) == LATEST_DUE_AT
    assert due_at(LATEST_DUE_AT - 60, 300) == LATEST_DUE_AT
    assert due_at(0, 60) == 91
    assert alert(LATEST_DUE_AT).message()["due_at"] == "9999-12-31T23:59:59.000000Z"


@pytest.mark.parametrize("due", [LATEST_DUE_AT + 1, 10**12, -(10**12), 10**40])
def test_a_due_time_beyond_iso_8601_is_null_with_its_epoch(due):
    message = alert(due).message()
    assert (message["due_at"], message["due_at_epoch"]) == (None, due)
    json.dumps(message)


def test_the_subject_is_one_sns_accepts_whatever_the_slug():
    subject = alert(slug="a\nb\x00c\ud800é" * 50).subject
    assert len(subject) == 99
    assert subject.isprintable() and "é" in subject
    subject.encode("utf-8")
