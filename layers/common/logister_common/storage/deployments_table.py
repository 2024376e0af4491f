"""Deployments, upserted on (project, repository, environment, release)."""

from __future__ import annotations

import json
from datetime import datetime

from botocore.exceptions import BotoCoreError, ClientError

from logister_common.contract.deployment_fields import Deployment
from logister_common.contract.errors import Unprocessable
from logister_common.contract.times import iso_utc
from logister_common.runtime.settings import get_settings
from logister_common.storage import clients
from logister_common.storage.write_failures import store_failure

# DynamoDB items stop at 400 KB; this leaves 50 KB to the other attributes (an item that still does
# not fit is refused by DynamoDB, and answered 422 all the same).
DETAILS_MAX_BYTES = 350_000


def upsert(project_id: str, deployment: Deployment, source: str, now: datetime) -> None:
    """Refused (422) before any write when the details would not fit in the item."""
    details = json.dumps(deployment.details, separators=(",", ":"), default=str)  # ASCII: one byte a character
    if len(details) > DETAILS_MAX_BYTES:
        raise Unprocessable(f"Details is too long (maximum is {DETAILS_MAX_BYTES} bytes)")
    try:
        clients.dynamodb().update_item(
            TableName=get_settings().deployments_table,
            Key={"project_id": {"S": project_id}, "deployment_id": {"S": deployment.id}},
            UpdateExpression=(
                "SET #release = :release, repository = :repository, environment = :environment, "
                "commit_sha = :commit_sha, deployed_at = :deployed_at, details = :details, #source = :source, "
                "updated_at = :now, created_at = if_not_exists(created_at, :now)"
            ),
            ExpressionAttributeNames={"#release": "release", "#source": "source"},
            ExpressionAttributeValues={
                ":release": {"S": deployment.release},
                ":repository": {"S": deployment.repository},
                ":environment": {"S": deployment.environment},
                ":commit_sha": {"S": deployment.commit_sha},
                ":deployed_at": {"S": iso_utc(deployment.deployed_at)},
                ":details": {"S": details},
                ":source": {"S": source},
                ":now": {"S": iso_utc(now)},
            },
        )
    except (ClientError, BotoCoreError) as error:
        raise store_failure("deployments", error) from error
