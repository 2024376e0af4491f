"""POST /api/v1/deployments: recording a release (contract §8). Pure parsing and validation."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import quote

from logister_common.contract.errors import BadRequest, Unprocessable
from logister_common.contract.key_casing import underscore
from logister_common.contract.payload_limits import check_event
from logister_common.contract.ruby_values import is_blank, to_text
from logister_common.contract.times import parse_time_or_none

# Logister's candidate detection (DeploymentsController#deployment_payload_candidate?).
RECOGNIZED_KEYS = frozenset(
    {"release", "environment", "repository", "repo", "github_repository", "commit_sha", "sha", "branch", "deployed_at"}
)
# Where Logister's ProjectDeploymentIndexer looks for each field, first present value wins: its paths,
# camelCase ones included, for an event's context (telemetry). The API's keys are snake_cased already,
# so there its camelCase paths find nothing and its snake_case ones find what the client sent.
Paths = tuple[tuple[str, ...], ...]
RELEASE_PATHS: Paths = (("release",), ("deployment", "release"))
ENVIRONMENT_PATHS: Paths = (("environment",), ("deployment", "environment"))
DEPLOYED_AT_PATHS: Paths = (
    ("deployed_at",),
    ("deployedAt",),
    ("deployment", "deployed_at"),
    ("deployment", "deployedAt"),
)
REPOSITORY_PATHS: Paths = (
    ("repository",),
    ("repo",),
    ("github_repository",),
    ("githubRepository",),
    ("github", "repository"),
    ("github", "repo"),
    ("git", "repository"),
    ("deployment", "repository"),
)
COMMIT_SHA_PATHS: Paths = (
    ("commit_sha",),
    ("commitSha",),
    ("git_sha",),
    ("gitSha",),
    ("sha",),
    ("git", "sha"),
    ("git", "commit_sha"),
    ("github", "sha"),
    ("github", "commit_sha"),
    ("deployment", "commit_sha"),
)
_BRANCH: Paths = (
    ("branch",),
    ("git", "branch"),
    ("github", "branch"),
    ("deployment", "branch"),
    ("ref",),
    ("github", "ref"),
)
# The link metadata, in Logister's order; the pull request and release URLs are inferred when not sent.
METADATA_PATHS: dict[str, Paths] = {
    "pull_request_number": (
        ("pull_request_number",),
        ("pullRequestNumber",),
        ("pull_request", "number"),
        ("pullRequest", "number"),
        ("github", "pull_request", "number"),
        ("github", "pullRequest", "number"),
        ("github", "event", "pull_request", "number"),
        ("deployment", "pull_request_number"),
    ),
    "pull_request_url": (
        ("pull_request_url",),
        ("pullRequestUrl",),
        ("pull_request", "html_url"),
        ("pullRequest", "html_url"),
        ("github", "pull_request", "html_url"),
        ("github", "event", "pull_request", "html_url"),
        ("deployment", "pull_request_url"),
    ),
    "release_tag": (
        ("release_tag",),
        ("releaseTag",),
        ("tag",),
        ("tag_name",),
        ("tagName",),
        ("github", "release", "tag_name"),
        ("github", "event", "release", "tag_name"),
        ("deployment", "release_tag"),
    ),
    "release_url": (
        ("release_url",),
        ("releaseUrl",),
        ("github_release_url",),
        ("githubReleaseUrl",),
        ("github", "release", "html_url"),
        ("github", "event", "release", "html_url"),
        ("deployment", "release_url"),
    ),
    "compare_url": (("compare_url",), ("compareUrl",), ("github", "compare_url"), ("deployment", "compare_url")),
    "workflow_run_url": (
        ("workflow_run_url",),
        ("workflowRunUrl",),
        ("github", "workflow_run_url"),
        ("deployment", "workflow_run_url"),
    ),
    "deployment_url": (("deployment_url",), ("deploymentUrl",), ("github", "deployment_url"), ("deployment", "url")),
}
SHA_PATTERN = re.compile(r"[0-9a-f]{7,40}", re.IGNORECASE)
FULL_NAME = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_PULL_REF = re.compile(r"^refs/pull/(\d+)/")
# Logister's `github.web_url` default (it is configurable there; GitHub Enterprise is not supported here).
GITHUB_WEB_URL = "https://github.com"
MISSING = {"error": "param is missing or the value is empty or invalid: deployment"}


class Deployment(NamedTuple):
    id: str
    release: str
    repository: str
    environment: str
    commit_sha: str
    deployed_at: datetime
    details: dict[str, Any]  # every field sent, keys snake_cased, with Logister's GitHub metadata


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
    """Read and validated as Logister's ProjectDeploymentIndexer and ProjectDeployment do, in their order
    and words; the id is stable for (project, repository, environment, release), the upsert key."""
    release = first_text(fields, RELEASE_PATHS)
    repository = repository_full_name(first_value(fields, REPOSITORY_PATHS))
    commit_sha = first_text(fields, COMMIT_SHA_PATHS)
    errors = []
    if release is None:
        errors.append("Release can't be blank")
    if repository is None:
        errors.append("Repository can't be blank")
    if commit_sha is None:
        errors.append("Commit sha can't be blank")
    elif not SHA_PATTERN.fullmatch(commit_sha):
        errors.append("Commit sha must be a 7 to 40 character commit SHA")
    if errors:
        raise Unprocessable(*errors)
    assert release is not None and repository is not None and commit_sha is not None
    if not FULL_NAME.fullmatch(repository):  # the model's validation, reached only when the indexer's checks pass
        raise Unprocessable("Repository full name must look like owner/repository")
    environment = deployment_environment(fields, default_environment)
    return Deployment(
        id=deployment_id(project_id, repository, environment, release),
        release=release,
        repository=repository,
        environment=environment,
        commit_sha=commit_sha.lower(),
        deployed_at=parse_time_or_none(first_value(fields, DEPLOYED_AT_PATHS)) or now,
        details=_with_github_metadata(fields, repository),
    )


def deployment_id(project_id: str, repository: str, environment: str, release: str) -> str:
    """The upsert key, stable for (project, repository, environment, release): an API record and an
    event's telemetry of one release meet in one item."""
    identity = f"logister:deployment:{project_id}:{repository}:{environment}:{release}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, identity))


def deployment_environment(fields: dict[str, Any], default_environment: str) -> str:
    """The environment sent, else the server's default: one rule for the API and telemetry, as Logister's
    ProjectDeployment.normalize_environment is ("production", which is also what its ingest gives an
    event without one on a deployed server), so a release recorded both ways meets in one item."""
    return first_text(fields, ENVIRONMENT_PATHS) or default_environment


def repository_full_name(value: Any) -> str | None:
    """Logister's ProjectDeployment.normalize_repository_full_name: `owner/name` from a name or a GitHub URL.

    Not yet validated: a deployment is recorded only when the result matches FULL_NAME.
    """
    name = text(value)
    if name is None:
        return None
    name = re.sub(r"^https://github\.com/", "", name, flags=re.IGNORECASE)
    name = re.sub(r"^git@github\.com:", "", name, flags=re.IGNORECASE)
    name = name.removeprefix("/").removesuffix(".git")
    parts = name.split("/")
    while parts and not parts[-1]:  # Ruby's split drops trailing empty fields
        parts.pop()
    return "/".join(parts[:2]) or None


def github_metadata(fields: dict[str, Any], repository: str) -> dict[str, str]:
    """Logister's link metadata (METADATA_PATHS' keys), as text, blank ones left out: what was sent, else
    a pull request number from a `refs/pull/N/...` branch, and GitHub's pull request and release links."""
    sent = {name: first_text(fields, paths) for name, paths in METADATA_PATHS.items()}
    if not sent["pull_request_number"] and (pull_ref := _PULL_REF.match(to_text(first_value(fields, _BRANCH)))):
        sent["pull_request_number"] = pull_ref.group(1)
    number, tag = sent["pull_request_number"], sent["release_tag"]
    if number and not sent["pull_request_url"]:
        sent["pull_request_url"] = f"{GITHUB_WEB_URL}/{repository}/pull/{number}"
    if tag and not sent["release_url"]:
        sent["release_url"] = f"{GITHUB_WEB_URL}/{repository}/releases/tag/{quote(tag, safe='')}"
    return {name: value for name, value in sent.items() if value}


def _with_github_metadata(fields: dict[str, Any], repository: str) -> dict[str, Any]:
    """The fields sent, with the branch and GitHub links as Logister stores them: text, stripped, the
    pull request and release URLs inferred from the repository when not sent, blank ones left out."""
    branch = (first_text(fields, _BRANCH) or "").removeprefix("refs/heads/") or None
    metadata = {"branch": branch} | github_metadata(fields, repository)
    details = dict(fields)
    for key in ("branch", *METADATA_PATHS):
        value = metadata.get(key)
        if value is None:
            details.pop(key, None)
        else:
            details[key] = value
    return details


def first_value(fields: dict[str, Any], paths: Paths) -> Any:
    """Logister's first_value: the first present value along the paths, else None."""
    for path in paths:
        value: Any = fields
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if not is_blank(value):
            return value
    return None


def first_text(fields: dict[str, Any], paths: Paths) -> str | None:
    return text(first_value(fields, paths))


def text(value: Any) -> str | None:
    """Ruby's `to_s.strip.presence` for a scalar; a hash or an array is no text."""
    return None if is_blank(value) or isinstance(value, dict | list) else to_text(value).strip()


def _snake_cased(value: Any) -> Any:
    if isinstance(value, dict):
        return {underscore(str(key)): _snake_cased(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_snake_cased(item) for item in value]
    return value
