"""API tokens: extraction from headers, digests, generation. Pure: no AWS."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping

# Logister's ApiKey::DEFAULT_TOKEN_PREFIX, used when LOGISTER_API_KEY_PREFIX is blank.
DEFAULT_TOKEN_PREFIX = "logister"
# Logister takes any string; a token travels in a header and is stripped there, so only these.
TOKEN_PREFIX_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


class InvalidTokenPrefix(ValueError):
    def __init__(self, prefix: str) -> None:
        super().__init__(
            f"Invalid API key prefix {prefix!r} (LOGISTER_API_KEY_PREFIX): "
            "use 1 to 64 letters, digits, underscores or dashes."
        )
        self.prefix = prefix


def extract_token(headers: Mapping[str, str]) -> str | None:
    """Logister's rule: `Authorization: Bearer <t>` wins (even when empty); else a non-blank X-Api-Key.

    `headers` must have lowercase names (API Gateway payload v2 lowercases them).
    """
    authorization = headers.get("authorization") or ""
    if authorization.startswith("Bearer "):
        token = authorization[len("Bearer ") :].strip()
        return token or None
    api_key = (headers.get("x-api-key") or "").strip()
    return api_key or None


def digest(token: str) -> str:
    """SHA-256 of the token's UTF-8. A header holding a lone surrogate still gets a digest (of its
    surrogatepass bytes), which no generated token has: not a valid token (401), never a 500."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_prefix(configured: str) -> str:
    """The prefix new tokens get: the configured one, or Logister's default when it is blank.

    Only minting uses it: tokens are looked up by digest, so those minted under another prefix keep working.
    """
    prefix = configured.strip()
    if not prefix:
        return DEFAULT_TOKEN_PREFIX
    if not TOKEN_PREFIX_PATTERN.fullmatch(prefix):
        raise InvalidTokenPrefix(prefix)
    return prefix


def generate_token(prefix: str = DEFAULT_TOKEN_PREFIX) -> str:
    """`<prefix>_` + 48 hex characters (24 random bytes), as Logister generates them."""
    return f"{prefix}_{secrets.token_hex(24)}"
