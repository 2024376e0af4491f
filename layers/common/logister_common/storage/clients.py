"""AWS clients, created once per container and only when first needed.

A client builds tens of thousands of objects (its service model, endpoint rules and handlers) that live as
long as the container: it is built like the handler's imports, under `initializing()`, so that no collection
pass walks them again.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError

from logister_common.runtime import deadline
from logister_common.runtime.initialization import initializing

# Lambda answers an HTTP request: fail fast and let the client retry (we answer 503) rather than
# spend the whole function timeout in botocore's retries.
_CONNECT_TIMEOUT, _READ_TIMEOUT = 1, 2
_CONFIG = Config(
    connect_timeout=_CONNECT_TIMEOUT,
    read_timeout=_READ_TIMEOUT,
    retries={"max_attempts": 2, "mode": "standard"},
    tcp_keepalive=True,
)
# The longest one attempt (one HTTP request, retries are attempts too) can take before it fails.
ATTEMPT_SECONDS = _CONNECT_TIMEOUT + _READ_TIMEOUT


class DeadlineReached(BotoCoreError):  # type: ignore[misc]  # botocore ships no types
    """Too little time is left in the request to start another attempt: the callers answer 503."""

    fmt = "{remaining:.3f} s left before the request's deadline, an attempt may take {needed} s"


def _within_deadline(**_: Any) -> None:
    remaining = deadline.remaining_seconds()
    if remaining is not None and remaining < ATTEMPT_SECONDS:
        raise DeadlineReached(remaining=remaining, needed=ATTEMPT_SECONDS)


def _client(service: str, config: Config = _CONFIG) -> Any:
    """A client whose attempts, retries included, each start only when they can fail before the request's deadline."""
    with initializing():
        import boto3

        client = boto3.client(service, config=config)
    client.meta.events.register_first("before-send", _within_deadline)
    return client


@cache
def dynamodb() -> Any:
    return _client("dynamodb")


@cache
def s3() -> Any:
    return _client("s3")


@cache
def sns() -> Any:
    # One attempt: a publish that timed out may have been delivered, and alerts go out at most once
    # (storage/alert_deliveries.py); the stream retries what SNS refused.
    return _client("sns", _CONFIG.merge(Config(retries={"total_max_attempts": 1, "mode": "standard"})))


@cache
def sqs() -> Any:
    return _client("sqs")


@cache
def ssm() -> Any:
    return _client("ssm")


def forget_all() -> None:
    """Forget the clients and boto3's default session (with the credentials it resolved), as a new container would."""
    import boto3

    for client in (dynamodb, s3, sns, sqs, ssm):
        client.cache_clear()
    boto3.DEFAULT_SESSION = None
