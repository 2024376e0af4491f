"""Finding the credential behind a token, with a short per-container cache.

A warm container that sees the same token again skips the auth-table read. Only valid
credentials are cached, so a new token works at once; a revocation (or an archived project, or a
changed limit override) reaches a warm container within LOGISTER_TOKEN_CACHE_SECONDS.
"""

from __future__ import annotations

import threading
import time

from logister_common.runtime.settings import get_settings
from logister_common.storage import auth_table
from logister_common.storage.auth_table import Credential

_MAX_ENTRIES = 1_024
_cache: dict[str, tuple[float, Credential]] = {}
_lock = threading.Lock()  # Lambda runs one request per container; the local emulation runs several


def find(digest: str) -> Credential | None:
    ttl = get_settings().token_cache_seconds
    now = time.monotonic()
    if ttl > 0:
        with _lock:
            hit = _cache.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
    credential = auth_table.find_credential(digest)
    if ttl > 0 and credential is not None and not credential.revoked:
        with _lock:
            if len(_cache) >= _MAX_ENTRIES:
                _cache.clear()  # tokens per container are few; a full reset is simpler than LRU
            _cache[digest] = (now + ttl, credential)
    return credential


def forget_all() -> None:
    with _lock:
        _cache.clear()
