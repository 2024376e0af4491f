"""Logister's fixed-window rate limits (contract §6): window arithmetic and the decision. Pure.

Windows are aligned to the Unix epoch; the counter is incremented even by rejected requests and
`count > limit` is limited, so the limit-th request passes and the next one is refused.
"""

from __future__ import annotations

import hashlib
import math
from typing import Literal, NamedTuple

Kind = Literal["pre_auth", "auth_failure", "accepted"]
EXPIRY_MARGIN_SECONDS = 5


class Window(NamedTuple):
    start: int
    reset_at: int


class Decision(NamedTuple):
    limited: bool
    limit: int
    period: int
    remaining: int
    reset_at: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }
        if self.limited:
            headers["Retry-After"] = str(self.retry_after)
        return headers

    def body(self) -> dict[str, object]:
        return {
            "error": "Rate limit exceeded",
            "limit": self.limit,
            "window_seconds": self.period,
            "retry_after": self.retry_after,
        }


def window(now: float, period: int) -> Window:
    start = math.floor(now / period) * period
    return Window(start=start, reset_at=start + period)


def counter_key(kind: Kind, endpoint: str, identity: str, window_start: int) -> str:
    """pre_auth and auth_failure counters are shared by every endpoint."""
    scope = "all" if kind != "accepted" else endpoint
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()
    return f"{kind}#{scope}#{digest}#{window_start}"


def expires_at(current: Window) -> int:
    """TTL for the counter item: only cleanup, never relied on for correctness."""
    return current.reset_at + EXPIRY_MARGIN_SECONDS


def decide(count: int, limit: int, period: int, current: Window, now: float) -> Decision:
    return Decision(
        limited=count > limit,
        limit=limit,
        period=period,
        remaining=max(limit - count, 0),
        reset_at=current.reset_at,
        retry_after=max(current.reset_at - int(now), 1),
    )
