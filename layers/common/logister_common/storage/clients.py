"""AWS clients, created once per container and only when first needed."""

from __future__ import annotations

from functools import cache
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError

from logister_common.runtime import deadline

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


def _bounded(client: Any) -> Any:
    """Each attempt, retries included, starts only when it can fail before the request's deadline."""
    client.meta.events.register_first("before-send", _within_deadline)
    return client


@cache
def dynamodb() -> Any:
    import boto3

    return _bounded(boto3.client("dynamodb", config=_CONFIG))


@cache
def s3() -> Any:
    import boto3

    return _bounded(boto3.client("s3", config=_CONFIG))


@cache
def sns() -> Any:
    import boto3

    # One attempt: a publish that timed out may have been delivered, and alerts go out at most once
    # (storage/alert_deliveries.py); the stream retries what SNS refused.
    sns = boto3.client("sns", config=_CONFIG.merge(Config(retries={"total_max_attempts": 1, "mode": "standard"})))
    return _bounded(sns)


@cache
def sqs() -> Any:
    import boto3

    return _bounded(boto3.client("sqs", config=_CONFIG))


@cache
def ssm() -> Any:
    import boto3

    return _bounded(boto3.client("ssm", config=_CONFIG))


def forget_all() -> None:
    """Forget the clients and boto3's default session (with the credentials it resolved), as a new container would."""
    import boto3

    for client in (dynamodb, s3, sns, sqs, ssm):
        client.cache_clear()
    boto3.DEFAULT_SESSION = None
