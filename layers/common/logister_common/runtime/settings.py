"""Configuration read from the environment once per container."""

from __future__ import annotations

import os
from functools import cache
from typing import NamedTuple

DEFAULT_RATE_LIMIT_REQUESTS = 1_200
DEFAULT_RATE_LIMIT_PERIOD_SECONDS = 60
DEFAULT_AUTH_FAILURE_RATE_LIMIT_REQUESTS = 120
DEFAULT_PRE_AUTH_RATE_LIMIT_REQUESTS = 12_000
DEFAULT_EVENT_RETENTION_DAYS = 90
DEFAULT_MAX_MONITORS_PER_PROJECT = 1_000
DEFAULT_RATE_LIMIT_FAIL_OPEN_CONTAINERS = 10


def _positive_int(name: str, default: int) -> int:
    """Logister's rule: a value that is not a positive integer falls back to the default."""
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw)
    except ValueError:
        return default
    return value if value > 0 else default


class Settings(NamedTuple):
    auth_table: str
    rate_limits_table: str
    events_table: str
    error_groups_table: str
    payload_bucket: str
    monitors_table: str
    deployments_table: str
    listings_table: str
    performance_table: str
    alert_topic_arn: str
    alert_deliveries_table: str
    stream_failure_queue_url: str
    default_environment: str
    rate_limit_requests: int
    rate_limit_period_seconds: int
    auth_failure_rate_limit_requests: int
    pre_auth_rate_limit_requests: int
    event_retention_days: int
    token_cache_seconds: int
    max_monitors_per_project: int
    rate_limit_fail_open_containers: int

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ.get
        return cls(
            auth_table=env("AUTH_TABLE", ""),
            rate_limits_table=env("RATE_LIMITS_TABLE", ""),
            events_table=env("EVENTS_TABLE", ""),
            error_groups_table=env("ERROR_GROUPS_TABLE", ""),
            payload_bucket=env("PAYLOAD_BUCKET", ""),
            monitors_table=env("MONITORS_TABLE", ""),
            deployments_table=env("DEPLOYMENTS_TABLE", ""),
            listings_table=env("LISTINGS_TABLE", ""),
            performance_table=env("PERFORMANCE_TABLE", ""),
            alert_topic_arn=env("ALERT_TOPIC_ARN", ""),
            alert_deliveries_table=env("ALERT_DELIVERIES_TABLE", ""),
            stream_failure_queue_url=env("STREAM_FAILURE_QUEUE_URL", ""),
            # Logister falls back to the server's Rails.env, "production" on a deployed server (contract §1.10).
            default_environment=env("LOGISTER_DEFAULT_ENVIRONMENT", "").strip() or "production",
            rate_limit_requests=_positive_int("LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS", DEFAULT_RATE_LIMIT_REQUESTS),
            rate_limit_period_seconds=_positive_int(
                "LOGISTER_PUBLIC_API_RATE_LIMIT_PERIOD_SECONDS", DEFAULT_RATE_LIMIT_PERIOD_SECONDS
            ),
            auth_failure_rate_limit_requests=_positive_int(
                "LOGISTER_PUBLIC_API_AUTH_FAILURE_RATE_LIMIT_REQUESTS", DEFAULT_AUTH_FAILURE_RATE_LIMIT_REQUESTS
            ),
            pre_auth_rate_limit_requests=_positive_int(
                "LOGISTER_PUBLIC_API_PRE_AUTH_RATE_LIMIT_REQUESTS", DEFAULT_PRE_AUTH_RATE_LIMIT_REQUESTS
            ),
            event_retention_days=_positive_int("LOGISTER_EVENT_RETENTION_DAYS", DEFAULT_EVENT_RETENTION_DAYS),
            token_cache_seconds=_positive_int("LOGISTER_TOKEN_CACHE_SECONDS", 0),
            max_monitors_per_project=_positive_int(
                "LOGISTER_MAX_MONITORS_PER_PROJECT", DEFAULT_MAX_MONITORS_PER_PROJECT
            ),
            rate_limit_fail_open_containers=_positive_int(
                "LOGISTER_RATE_LIMIT_FAIL_OPEN_CONTAINERS", DEFAULT_RATE_LIMIT_FAIL_OPEN_CONTAINERS
            ),
        )


@cache
def get_settings() -> Settings:
    return Settings.from_env()
