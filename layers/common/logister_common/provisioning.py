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
