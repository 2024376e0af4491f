"""Creating projects and tokens (used by `make dev`, the tests and the operator CLI)."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Any

from logister_common.admission.tokens import digest, generate_token, token_prefix
from logister_common.contract.times import iso_utc
from logister_common.runtime.clock import utc_now
from logister_common.storage import auth_table

# The prefix of minted tokens (template parameter ApiKeyPrefix), as Logister's variable of that name.
API_KEY_PREFIX_VARIABLE = "LOGISTER_API_KEY_PREFIX"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str  # shown once, never stored
    token_id: str
    project_id: str


class UnknownProject(LookupError):
    def __init__(self, project_id: str) -> None:
        super().__init__(f"Unknown project {project_id}")
        self.project_id = project_id


class UnknownToken(LookupError):
    def __init__(self, token_id: str) -> None:
        super().__init__(f"Unknown token {token_id}")
        self.token_id = token_id


def create_project(name: str) -> str:
    project_id = str(uuid.uuid4())
    auth_table.put_project(project_id, name, iso_utc(utc_now()))
    return project_id


def create_project_with_token(name: str, token_name: str = "default", token: str | None = None) -> IssuedToken:
    """A new project and its first token (`logister-admin projects create`, and `make dev`'s demo)."""
    plaintext = token or new_token()  # before the project: an invalid prefix leaves no project without a token
    return issue_token(create_project(name), name=token_name, token=plaintext)


def require_project(project_id: str) -> dict[str, Any]:
    """The project (plain values), or UnknownProject."""
    project = auth_table.get_project(project_id)
    if project is None:
        raise UnknownProject(project_id)
    return project


def issue_token(project_id: str, name: str = "default", token: str | None = None) -> IssuedToken:
    """Issue a token for the project; `token` lets `make dev` reuse a fixed demo token."""
    plaintext = token or new_token()
    token_id = str(uuid.uuid4())
    auth_table.put_token(digest(plaintext), token_id, project_id, name, iso_utc(utc_now()))
    return IssuedToken(token=plaintext, token_id=token_id, project_id=project_id)


def new_token() -> str:
    """A token with the configured prefix, read when minting (the CLI points this process at its target first)."""
    return generate_token(token_prefix(os.environ.get(API_KEY_PREFIX_VARIABLE, "")))


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
    auth_table.set_overrides(project_id, attributes)


def revoke_token(token: str) -> None:
    auth_table.revoke_token(digest(token), iso_utc(utc_now()))


def revoke_token_id(token_id: str) -> dict[str, Any]:
    """Revoke the token with this id (the operator never holds the token itself); the token item."""
    key = auth_table.token_key_for_id(token_id)
    if key is None:
        raise UnknownToken(token_id)
    return auth_table.revoke_key(key, iso_utc(utc_now()))


def archive_project(project_id: str) -> None:
    """Archive the project and revoke every token it has (as Logister does)."""
    require_project(project_id)
    auth_table.archive_project(project_id, iso_utc(utc_now()))


def restore_project(project_id: str) -> None:
    """Unarchive the project; its revoked tokens stay revoked, so issue a new one."""
    require_project(project_id)
    auth_table.restore_project(project_id)
