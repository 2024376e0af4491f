"""Key normalization exactly as Logister (Rails `underscore.downcase`) does it. Pure."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any

# ActiveSupport's Inflector#underscore with no custom acronyms: a boundary between an upper-case
# run and a capitalized word (HTTPStatus -> HTTP_Status), or after a lower-case letter or digit.
_WORD_BOUNDARY = re.compile(r"(?<=[A-Z])(?=[A-Z][a-z])|(?<=[a-z0-9])(?=[A-Z])")
_NEEDS_WORK = re.compile(r"[A-Z-]|::")

# SDK keys are short and repeat, so a cache of them pays; a sender's keys can be unique and up to
# an event's size, so longer ones are computed each time. This bounds each cache by bytes, not
# only entries: 4,096 keys of at most 64 characters and their results (both caches filled with
# 4-byte characters hold 4 MiB), where unbounded keys let 8 requests pin 223 MiB (issue 12, finding 3).
_MAX_CACHED_KEY_LENGTH = 64
_CACHED_KEYS = 4_096


def short_key_cache(function: Callable[[str], str]) -> Callable[[str], str]:
    """`function` memoized per container for keys up to _MAX_CACHED_KEY_LENGTH characters."""
    cached = lru_cache(maxsize=_CACHED_KEYS)(function)

    @wraps(function)
    def lookup(key: str) -> str:
        return cached(key) if len(key) <= _MAX_CACHED_KEY_LENGTH else function(key)

    return lookup


@short_key_cache
def underscore(key: str) -> str:
    """`eventType`->`event_type`, `HTTPStatus`->`http_status`, `event-type`->`event_type`, `TRACEID`->`traceid`."""
    if not _NEEDS_WORK.search(key):
        return key.lower()
    word = key.replace("::", "/")
    word = _WORD_BOUNDARY.sub("_", word)
    return word.replace("-", "_").lower()


def normalize_top_level(event: dict[str, Any]) -> dict[str, Any]:
    """Top-level keys only, originals dropped; when two keys collide the later one wins."""
    return {underscore(str(key)): value for key, value in event.items()}


def alias_context(value: Any) -> Any:
    """Recursively keep every key verbatim and add its snake_case alias when that key is absent.

    An explicitly supplied snake_case key always wins over an alias, whatever the order.
    """
    if isinstance(value, dict):
        result = {str(key): alias_context(item) for key, item in value.items()}
        for key in list(result):
            alias = underscore(key)
            if alias not in result:
                result[alias] = result[key]
        return result
    if isinstance(value, list):
        return [alias_context(item) for item in value]
    return value
