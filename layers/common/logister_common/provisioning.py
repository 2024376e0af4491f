"""Creating projects and tokens (used by `make dev`, the tests and the operator CLI)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from .clock import iso_utc, utc_now
from .stores import auth_store
from .tokens import digest, generate_token


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str  # shown once, never stored
    token_id: str
    project_id: str


def create_project(name: str) -> str:
    project_id = str(uuid.uuid4())
    auth_store.put_project(project_id, name, iso_utc(utc_now()))
    return project_id


def issue_token(project_id: str, name: str = "default", token: str | None = None) -> IssuedToken:
    """Issue a token for the project; `token` lets `make dev` reuse a fixed demo token."""
    plaintext = token or generate_token()
    token_id = str(uuid.uuid4())
    auth_store.put_token(digest(plaintext), token_id, project_id, name, iso_utc(utc_now()))
    return IssuedToken(token=plaintext, token_id=token_id, project_id=project_id)


# Override name -> (attribute on project and token items, Logister's bounds).
RATE_LIMIT_OVERRIDES = {
    "requests": ("rate_limit_requests", (1, 10_000_000)),
    "period_seconds": ("rate_limit_period_seconds", (1, 86_400)),
    "auth_failures": ("auth_failure_rate_limit_requests", (1, 10_000_000)),
}


def set_rate_limits(project_id: str, changes: dict[str, int | None]) -> None:
    """Change the named per-project overrides (None clears one); the others stay as they are."""
    attributes: dict[str, int | None] = {}
    for name, value in changes.items():
        attribute, (low, high) = RATE_LIMIT_OVERRIDES[name]
        if value is not None and not low <= value <= high:
            raise ValueError(f"{name} must be within {low}..{high}, got {value}")
        attributes[attribute] = value
    auth_store.set_overrides(project_id, attributes)


def revoke_token(token: str) -> None:
    auth_store.revoke_token(digest(token), iso_utc(utc_now()))


def archive_project(project_id: str) -> None:
    auth_store.archive_project(project_id, iso_utc(utc_now()))
