"""Key normalization exactly as Logister (Rails `underscore.downcase`) does it. Pure."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# ActiveSupport's Inflector#underscore with no custom acronyms: a boundary between an upper-case
# run and a capitalized word (HTTPStatus -> HTTP_Status), or after a lower-case letter or digit.
_WORD_BOUNDARY = re.compile(r"(?<=[A-Z])(?=[A-Z][a-z])|(?<=[a-z0-9])(?=[A-Z])")
_NEEDS_WORK = re.compile(r"[A-Z-]|::")


@lru_cache(maxsize=4096)
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
