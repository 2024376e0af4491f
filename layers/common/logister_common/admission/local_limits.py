"""The bounded fail-open: a per-container fixed-window counter for when the shared counter fails.

Logister lets a request through when its counter store fails. Here a container that cannot reach
the shared counter counts in memory instead, against ceil(limit / expected_containers): while the
store fails, a window accepts at most containers * ceil(limit / expected_containers) per counter,
about the limit itself when as many containers run as expected. A throttled counter item (a token
pushed past DynamoDB's per-item write rate) therefore keeps its limit instead of switching it off.

Memory stays bounded whatever the keys: past MAX_COUNTERS the least recently counted key is
forgotten (a finished window's first), so flooding new keys evicts idle counters, not a busy one.
"""

from __future__ import annotations

import math
import threading

from logister_common.admission import rate_limits
from logister_common.admission.rate_limits import Decision, Window

MAX_COUNTERS = 4_096


def local_limit(limit: int, expected_containers: int) -> int:
    """This container's share of the limit: at least 1, so a limit of 1 still lets one request through."""
    return max(1, math.ceil(limit / expected_containers))


class LocalCounter:
    def __init__(self) -> None:
        self._counts: dict[str, int] = {}  # counter key (which names its window) -> count, oldest first
        self._lock = threading.Lock()

    def check(self, key: str, amount: int, limit: int, period: int, current: Window, now: float) -> Decision:
        """Count `amount` in this container under `key` (a rate_limits.counter_key) and decide against `limit`."""
        with self._lock:
            total = self._counts.pop(key, 0) + amount
            if len(self._counts) >= MAX_COUNTERS:
                del self._counts[next(iter(self._counts))]
            self._counts[key] = total  # re-inserted: the most recently used key is evicted last
        return rate_limits.decide(total, limit, period, current, now)
