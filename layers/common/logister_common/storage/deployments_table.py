"""Deployments, upserted on (project, repository, environment, release): recorded through the API, and
indexed from event telemetry by the events stream (projections/telemetry_deployments.py).

Both writers merge into one item as Logister's ProjectDeploymentIndexer does: the later one sets
commit_sha, deployed_at and source; the link metadata (pull request, release tag, URLs) is merged
key by key, a writer setting only what it has. "Later" is the order of acceptance (`last_accepted`:
the time received, then the event uuid), not of writing: a redelivered or late stream batch cannot
roll back what a newer event or API call recorded.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from logister_common.contract.deployment_fields import (
    COMMIT_SHA_PATHS,
    DEPLOYED_AT_PATHS,
    FULL_NAME,
    METADATA_PATHS,
    RELEASE_PATHS,
    REPOSITORY_PATHS,
    SHA_PATTERN,
    Deployment,
    deployment_environment,
    first_text,
    first_value,
    github_metadata,
    repository_full_name,
    text,
)

# Re-exported: projections/telemetry_deployments.py keys a stream batch's units by it.
from logister_common.contract.deployment_fields import deployment_id as deployment_id  # noqa: PLC0414
from logister_common.contract.errors import Unprocessable
from logister_common.contract.times import iso_utc, parse_time_or_none
from logister_common.runtime.settings import get_settings
from logister_common.storage import clients
from logister_common.storage.items import plain
from logister_common.storage.write_failures import store_failure

# DynamoDB items stop at 400 KB; this leaves 50 KB to the other attributes (an item that still does
# not fit is refused by DynamoDB, and answered 422 all the same).
DETAILS_MAX_BYTES = 350_000
API, TELEMETRY = "api", "telemetry"
# The event item's attribute holding what the events stream indexes (events_table.event_put).
EVENT_ATTRIBUTE = "deployment"
# Each value an event contributes is short text; a longer required value leaves the event unindexed.
VALUE_MAX = 1_024
# The link metadata, set key by key so the writers merge (module docstring).
METADATA_FIELDS = tuple(METADATA_PATHS)
# Listed by the operator CLI (everything but the API's details).
LISTED_FIELDS = (
    "deployment_id",
    "release",
    "environment",
    "repository",
    "commit_sha",
    "source",
    "deployed_at",
    "updated_at",
    "pull_request_number",
    "pull_request_url",
)


def event_attributes(context: dict[str, Any], occurred_at: datetime, received_at: datetime) -> dict[str, Any]:
    """The deployment an accepted event's context names, as its item's EVENT_ATTRIBUTE (a map of short
    strings), or nothing when it names none: Logister indexes an event whose context has a release, an
    owner/repository and a 7 to 40 hex commit sha, every event type alike."""
    release = first_text(context, RELEASE_PATHS)
    repository = repository_full_name(first_value(context, REPOSITORY_PATHS))
    environment = deployment_environment(context, get_settings().default_environment)
    commit_sha = (first_text(context, COMMIT_SHA_PATHS) or "").lower()
    if not (release and repository and FULL_NAME.fullmatch(repository) and SHA_PATTERN.fullmatch(commit_sha)):
        return {}
    if max(len(release), len(repository), len(environment)) > VALUE_MAX:
        return {}
    deployed_at = first_value(context, DEPLOYED_AT_PATHS)
    # Logister: a context deployed_at, else the event's occurred_at; one it cannot read, its clock (ours:
    # the time received, so a redelivery indexes the same time).
    moment = occurred_at if deployed_at is None else parse_time_or_none(text(deployed_at)) or received_at
    values = {
        "release": release,
        "repository": repository,
        "environment": environment,
        "commit_sha": commit_sha,
        "deployed_at": iso_utc(moment),
    }
    values |= {name: value for name, value in github_metadata(context, repository).items() if len(value) <= VALUE_MAX}
    return {EVENT_ATTRIBUTE: {"M": {name: {"S": value} for name, value in values.items()}}}


def upsert(project_id: str, deployment: Deployment, source: str, now: datetime) -> None:
    """Refused (422) before any write when the details would not fit in the item."""
    details = json.dumps(deployment.details, separators=(",", ":"), default=str)  # ASCII: one byte a character
    if len(details) > DETAILS_MAX_BYTES:
        raise Unprocessable(f"Details is too long (maximum is {DETAILS_MAX_BYTES} bytes)")
    assignments, values, names = _metadata_assignments(github_metadata(deployment.details, deployment.repository))
    try:
        clients.dynamodb().update_item(
            TableName=get_settings().deployments_table,
            Key={"project_id": {"S": project_id}, "deployment_id": {"S": deployment.id}},
            UpdateExpression=(
                "SET #release = :release, repository = :repository, environment = :environment, "
                "commit_sha = :commit_sha, deployed_at = :deployed_at, details = :details, #source = :source, "
                "last_accepted = :accepted, updated_at = :now, created_at = if_not_exists(created_at, :now)"
                + assignments
            ),
            ExpressionAttributeNames={"#release": "release", "#source": "source", **names},
            ExpressionAttributeValues={
                ":release": {"S": deployment.release},
                ":repository": {"S": deployment.repository},
                ":environment": {"S": deployment.environment},
                ":commit_sha": {"S": deployment.commit_sha},
                ":deployed_at": {"S": iso_utc(deployment.deployed_at)},
                ":details": {"S": details},
                ":source": {"S": source},
                ":accepted": {"S": f"{iso_utc(now)}#{API}"},
                ":now": {"S": iso_utc(now)},
                **values,
            },
        )
    except (ClientError, BotoCoreError) as error:
        raise store_failure("deployments", error) from error


def record_telemetry(project_id: str, indexed: dict[str, str], accepted: str, event_uuid: str, now: datetime) -> bool:
    """Index an event's deployment (its EVENT_ATTRIBUTE, plain) unless something accepted later, or this
    very event, is recorded already (then False: nothing is written, and nothing needs to be).

    `accepted` orders acceptances: the event's received_at, `#`, its uuid.
    """
    metadata = {name: indexed[name] for name in METADATA_FIELDS if indexed.get(name)} | {"event_uuid": event_uuid}
    assignments, values, names = _metadata_assignments(metadata)
    key = deployment_id(project_id, indexed["repository"], indexed["environment"], indexed["release"])
    try:
        clients.dynamodb().update_item(
            TableName=get_settings().deployments_table,
            Key={"project_id": {"S": project_id}, "deployment_id": {"S": key}},
            UpdateExpression=(
                "SET #release = :release, repository = :repository, environment = :environment, "
                "commit_sha = :commit_sha, deployed_at = :deployed_at, #source = :source, "
                "last_accepted = :accepted, updated_at = :now, created_at = if_not_exists(created_at, :now)"
                + assignments
            ),
            ConditionExpression="attribute_not_exists(last_accepted) OR last_accepted < :accepted",
            ExpressionAttributeNames={"#release": "release", "#source": "source", **names},
            ExpressionAttributeValues={
                ":release": {"S": indexed["release"]},
                ":repository": {"S": indexed["repository"]},
                ":environment": {"S": indexed["environment"]},
                ":commit_sha": {"S": indexed["commit_sha"]},
                ":deployed_at": {"S": indexed["deployed_at"]},
                ":source": {"S": TELEMETRY},
                ":accepted": {"S": accepted},
                ":now": {"S": iso_utc(now)},
                **values,
            },
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def project_deployments(project_id: str, environment: str | None = None) -> list[dict[str, Any]]:
    """The project's deployments, newest first (deployed_at, else updated_at, as Logister orders them).

    One Query of the project's partition, never a Scan: a project holds one item per (repository,
    environment, release), few enough to sort here, so no index is kept for the order (deployed_at
    changes with every event telemetry indexes: an index on it would cost a write each time).
    """
    query: dict[str, Any] = {
        "TableName": get_settings().deployments_table,
        "KeyConditionExpression": "project_id = :project",
        "ExpressionAttributeValues": {":project": {"S": project_id}},
        "ProjectionExpression": ", ".join(f"#{name}" for name in LISTED_FIELDS),
        "ExpressionAttributeNames": {f"#{name}": name for name in LISTED_FIELDS},
    }
    if environment is not None:
        query["FilterExpression"] = "#environment = :environment"
        query["ExpressionAttributeValues"][":environment"] = {"S": environment}
    found: list[dict[str, Any]] = []
    for page in clients.dynamodb().get_paginator("query").paginate(**query):
        found += [plain(item) for item in page["Items"]]
    found.sort(key=lambda item: (item.get("deployed_at") or item.get("updated_at") or "", item["deployment_id"]))
    return found[::-1]


def _metadata_assignments(metadata: dict[str, str]) -> tuple[str, dict[str, Any], dict[str, str]]:
    """`, #name = :name` for each value: set, never removed, so writers merge key by key."""
    assignments = "".join(f", #{name} = :{name}" for name in metadata)
    values = {f":{name}": {"S": value} for name, value in metadata.items()}
    return assignments, values, {f"#{name}": name for name in metadata}
