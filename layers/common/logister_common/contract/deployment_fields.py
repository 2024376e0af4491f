"""POST /api/v1/deployments: recording a release (contract §8). Pure parsing and validation."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from logister_common.contract.errors import BadRequest, Unprocessable
from logister_common.contract.key_casing import underscore
from logister_common.contract.payload_limits import check_event
from logister_common.contract.ruby_values import is_blank, to_text
from logister_common.contract.times import parse_time_or_none

RECOGNIZED_KEYS = frozenset(
    {
        "release",
        "environment",
        "repository",
        "commit_sha",
        "branch",
        "deployed_at",
        "service",
        "pull_request_number",
        "pull_request_url",
        "release_tag",
        "release_url",
        "compare_url",
        "workflow_run_url",
        "deployment_url",
    }
)
_COMMIT_SHA = re.compile(r"^[0-9a-f]{7,40}$", re.IGNORECASE)
MISSING = {"error": "param is missing or the value is empty or invalid: deployment"}


@dataclass(frozen=True, slots=True)
class Deployment:
    id: str
    release: str
    repository: str
    environment: str
    commit_sha: str
    deployed_at: datetime
    details: dict[str, Any]  # every field sent, keys snake_cased


def deployment_fields(document: Any) -> dict[str, Any]:
    """The first qualifying candidate (`deployment`, the wrapped root, `DEPLOYMENT`), keys snake_cased.

    The candidate is held to the events' payload limits (contract §4, 413): Logister has none for
    deployments, but their details are stored whole, and a deep one would exhaust the recursion.
    """
    if isinstance(document, dict):
        wrapped = document.get("deployment", document)  # ParamsWrapper wraps the root unless it has deployment
        for candidate in (wrapped, document.get("DEPLOYMENT")):
            if isinstance(candidate, dict) and any(underscore(str(key)) in RECOGNIZED_KEYS for key in candidate):
                check_event(candidate)
                fields: dict[str, Any] = _snake_cased(candidate)
                return fields
    raise BadRequest(MISSING)


def deployment(fields: dict[str, Any], *, project_id: str, default_environment: str, now: datetime) -> Deployment:
    """Validate; the id is stable for (project, repository, environment, release), the upsert key."""
    release = _text(fields.get("release"))
    repository = _text(fields.get("repository"))
    commit_sha = _text(fields.get("commit_sha"))
    errors = []
    if release is None:
        errors.append("Release can't be blank")
    if repository is None:
        errors.append("Repository can't be blank")
    if commit_sha is None:
        errors.append("Commit sha can't be blank")
    elif not _COMMIT_SHA.match(commit_sha):
        errors.append("Commit sha must be 7 to 40 hexadecimal characters")
    if errors:
        raise Unprocessable(*errors)
    assert release is not None and repository is not None and commit_sha is not None
    environment = _text(fields.get("environment")) or default_environment
    identity = f"logister:deployment:{project_id}:{repository}:{environment}:{release}"
    return Deployment(
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, identity)),
        release=release,
        repository=repository,
        environment=environment,
        commit_sha=commit_sha.lower(),
        deployed_at=parse_time_or_none(fields.get("deployed_at")) or now,
        details=fields,
    )


def _snake_cased(value: Any) -> Any:
    if isinstance(value, dict):
        return {underscore(str(key)): _snake_cased(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_snake_cased(item) for item in value]
    return value


def _text(value: Any) -> str | None:
    return None if is_blank(value) or isinstance(value, dict | list) else to_text(value).strip()
