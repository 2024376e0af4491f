"""AWS clients, created once per container and only when first needed."""

from __future__ import annotations

from functools import cache
from typing import Any

from botocore.config import Config

# Lambda answers an HTTP request: fail fast and let the client retry (we answer 503) rather than
# spend the whole function timeout in botocore's retries.
_CONFIG = Config(
    connect_timeout=2,
    read_timeout=3,
    retries={"max_attempts": 2, "mode": "standard"},
    tcp_keepalive=True,
)


@cache
def dynamodb() -> Any:
    import boto3

    return boto3.client("dynamodb", config=_CONFIG)


@cache
def s3() -> Any:
    import boto3

    return boto3.client("s3", config=_CONFIG)


@cache
def sns() -> Any:
    import boto3

    # One attempt: a publish that timed out may have been delivered, and alerts go out at most once
    # (storage/alert_deliveries.py); the stream retries what SNS refused.
    return boto3.client("sns", config=_CONFIG.merge(Config(retries={"total_max_attempts": 1, "mode": "standard"})))


@cache
def sqs() -> Any:
    import boto3

    return boto3.client("sqs", config=_CONFIG)


def forget_all() -> None:
    """Forget the clients and boto3's default session (with the credentials it resolved), as a new container would."""
    import boto3

    for client in (dynamodb, s3, sns, sqs):
        client.cache_clear()
    boto3.DEFAULT_SESSION = None
