"""API tokens: extraction from headers, digests, generation. Pure: no AWS."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping

TOKEN_PREFIX = "logister"


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


def generate_token(prefix: str = TOKEN_PREFIX) -> str:
    """`<prefix>_` + 48 hex characters (24 random bytes), as Logister generates them."""
    return f"{prefix}_{secrets.token_hex(24)}"
