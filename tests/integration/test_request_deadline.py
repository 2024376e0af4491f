"""A stalled store is answered 503 with Retry-After before the function timeout, never cut off by it.

The deadline comes from the Lambda context (less a margin); an AWS attempt starts only when it can
fail (connect and read timeouts) before it. The clock is simulated: every attempt that is sent
takes its whole worst case and times out, as against a store that stalls.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from local.lambda_runtime import FakeLambdaContext
from logister_common.container import reset_container_state
from logister_common.runtime import deadline
from logister_common.storage import clients
from tests.support import Reply, http_event

EVENT = {"event": {"event_type": "log", "message": "m"}}


@pytest.fixture
def stalled_store(aws, monkeypatch) -> list[float]:
    """Every DynamoDB attempt sent times out after ATTEMPT_SECONDS; returns the time left when each one started."""
    now = [0.0]
    monkeypatch.setattr(deadline, "_now", lambda: now[0])
    reset_container_state()
    started_with: list[float] = []

    def stall(**_: Any) -> None:
        started_with.append(deadline.remaining_seconds())
        now[0] += clients.ATTEMPT_SECONDS
        raise ReadTimeoutError(endpoint_url="https://dynamodb")  # botocore retries it, as any timeout

    clients.dynamodb().meta.events.register("before-send", stall)  # after the deadline's own check
    return started_with


def post(timeout_seconds: int, token: str) -> tuple[Reply, float]:
    """The reply and the (simulated) seconds it took."""
    import ingest_handler

    context = FakeLambdaContext(function_name="IngestFunction", memory_limit_in_mb=512, timeout_seconds=timeout_seconds)
    started = deadline._now()
    reply = Reply(ingest_handler.lambda_handler(http_event(EVENT, token=token), context))
    return reply, deadline._now() - started


@pytest.mark.parametrize("valid", [True, False])
def test_a_stalled_store_is_answered_503_before_the_function_timeout(project, stalled_store, valid):
    reply, took = post(10, project.token if valid else "logister_" + "0" * 48)
    assert reply.status == 503, reply
    assert reply.headers["retry-after"] == "1"
    assert stalled_store, "some attempts had the time to run"
    assert all(left >= clients.ATTEMPT_SECONDS for left in stalled_store)  # each could fail before the deadline
    assert took <= 10 - deadline.MARGIN_SECONDS


def test_no_attempt_starts_when_the_context_has_too_little_left(project, stalled_store):
    reply, took = post(int(deadline.MARGIN_SECONDS + clients.ATTEMPT_SECONDS) - 1, project.token)
    assert reply.status == 503, reply
    assert reply.headers["retry-after"] == "1"
    assert (stalled_store, took) == ([], 0)


def test_a_healthy_store_answers_within_the_deadline(project, aws) -> None:
    import ingest_handler

    reset_container_state()
    context = FakeLambdaContext(function_name="IngestFunction", memory_limit_in_mb=512, timeout_seconds=10)
    reply = Reply(ingest_handler.lambda_handler(http_event(EVENT, token=project.token), context))
    assert reply.status == 201, reply
    assert deadline.remaining_seconds() is None  # the deadline ends with the request
