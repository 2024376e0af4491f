"""Projects and API tokens in the auth table.

A token item is keyed by the SHA-256 digest of the token and carries everything authentication
needs (project id, revocation, the project's rate-limit overrides), so authenticating is one
GetItem. Archiving a project revokes its tokens, so the same check covers archived projects.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from logister_common.contract.errors import StoreUnavailable
from logister_common.runtime.settings import get_settings
from logister_common.storage import clients
from logister_common.storage.items import plain

# A transaction holds at most 100 actions: new monitors' registrations, and the project's count.
_REGISTRATIONS_PER_TRANSACTION = 99
_REGISTRATION_ATTEMPTS = 3

OVERRIDE_ATTRIBUTES = (
    "rate_limit_requests",
    "rate_limit_period_seconds",
    "auth_failure_rate_limit_requests",
)


class Credential(NamedTuple):
    token_id: str
    project_id: str
    revoked: bool
    rate_limit_requests: int | None = None
    rate_limit_period_seconds: int | None = None
    auth_failure_rate_limit_requests: int | None = None


def token_key(digest: str) -> str:
    return f"TOKEN#{digest}"


def project_key(project_id: str) -> str:
    return f"PROJECT#{project_id}"


def find_credential(digest: str) -> Credential | None:
    """The token whose digest this is, or None. Strongly consistent: a revocation takes effect at once."""
    try:
        response = clients.dynamodb().get_item(
            TableName=get_settings().auth_table,
            Key={"pk": {"S": token_key(digest)}},
            ConsistentRead=True,
        )
    except (ClientError, BotoCoreError) as error:
        raise StoreUnavailable("auth") from error
    item = response.get("Item")
    if item is None:
        return None
    overrides = {name: int(item[name]["N"]) for name in OVERRIDE_ATTRIBUTES if name in item}
    return Credential(
        token_id=item["token_id"]["S"],
        project_id=item["project_id"]["S"],
        revoked="revoked_at" in item,
        **overrides,
    )


def register_monitors(project_id: str, monitor_keys: list[str], cap: int) -> list[str]:
    """Register the project's new monitors, each counted in the same transaction; the keys its cap
    refuses are returned (none: every one is registered now).

    A registration (MONITOR#<project>#<monitor key>) is written before the check-in that creates
    the monitor is stored, and stays: a client retrying after a failure finds it and counts nothing
    again. Monitors created before the cap existed have none and are not counted. Up to 99
    registrations per transaction (100 actions with the count): a larger set commits chunk by chunk,
    so a later chunk the cap refuses leaves the earlier ones registered.
    """
    from logister_common.storage.events_table import transact  # the transaction runner the stores share

    pending = list(monitor_keys)
    if len(pending) > cap:
        return pending  # could never fit: refused before any write
    for _ in range(_REGISTRATION_ATTEMPTS):
        if not pending:
            return []
        chunk = pending[: min(_REGISTRATIONS_PER_TRANSACTION, cap)]
        failed = transact(
            [*(_registration(project_id, key) for key in chunk), _count(project_id, len(chunk), cap)], store="auth"
        )
        if failed is None:
            pending = pending[len(chunk) :]
            continue
        registered_before = {key for key, item in zip(chunk, failed, strict=False) if item is not None}
        if not registered_before and failed[-1] is not None:  # the count refused the chunk
            return pending
        pending = [key for key in pending if key not in registered_before]
    if pending:
        raise StoreUnavailable("auth")
    return []


def _registration(project_id: str, monitor_key: str) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": get_settings().auth_table,
            "Item": {"pk": {"S": f"MONITOR#{project_id}#{monitor_key}"}},
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def _count(project_id: str, added: int, cap: int) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": get_settings().auth_table,
            "Key": {"pk": {"S": project_key(project_id)}},
            "UpdateExpression": "ADD monitor_count :added",
            "ConditionExpression": (
                "attribute_exists(pk) AND (attribute_not_exists(monitor_count) OR monitor_count <= :most)"
            ),
            "ExpressionAttributeValues": {":added": {"N": str(added)}, ":most": {"N": str(cap - added)}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def put_project(project_id: str, name: str, created_at: str) -> None:
    clients.dynamodb().put_item(
        TableName=get_settings().auth_table,
        Item={
            "pk": {"S": project_key(project_id)},
            "project_id": {"S": project_id},
            "name": {"S": name},
            "created_at": {"S": created_at},
        },
        ConditionExpression="attribute_not_exists(pk)",
    )


def put_token(digest: str, token_id: str, project_id: str, name: str, created_at: str) -> None:
    """Store a new token for an existing, active project, copying the project's overrides."""
    project = (
        clients.dynamodb()
        .get_item(
            TableName=get_settings().auth_table,
            Key={"pk": {"S": project_key(project_id)}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    if project is None:
        raise LookupError(f"unknown project {project_id}")
    if "archived_at" in project:
        raise LookupError(f"project {project_id} is archived")
    item = {
        "pk": {"S": token_key(digest)},
        "token_id": {"S": token_id},
        "project_id": {"S": project_id},
        "name": {"S": name},
        "created_at": {"S": created_at},
    }
    item.update({name: project[name] for name in OVERRIDE_ATTRIBUTES if name in project})
    clients.dynamodb().put_item(
        TableName=get_settings().auth_table, Item=item, ConditionExpression="attribute_not_exists(pk)"
    )


def project_token_keys(project_id: str) -> list[str]:
    """Keys of the project's token items (Query on the by_project index, never a Scan)."""
    paginator = clients.dynamodb().get_paginator("query")
    keys: list[str] = []
    for page in paginator.paginate(
        TableName=get_settings().auth_table,
        IndexName="by_project",
        KeyConditionExpression="project_id = :project AND begins_with(pk, :token)",
        ExpressionAttributeValues={":project": {"S": project_id}, ":token": {"S": "TOKEN#"}},
    ):
        keys.extend(item["pk"]["S"] for item in page["Items"])
    return keys


def set_overrides(project_id: str, overrides: dict[str, int | None]) -> None:
    """Set (or clear, with None) rate-limit overrides on the project and copy them to its tokens."""
    names = {f"#{name}": name for name in overrides}
    to_set = {name: value for name, value in overrides.items() if value is not None}
    to_remove = [name for name, value in overrides.items() if value is None]
    clauses = []
    if to_set:
        clauses.append("SET " + ", ".join(f"#{name} = :{name}" for name in to_set))
    if to_remove:
        clauses.append("REMOVE " + ", ".join(f"#{name}" for name in to_remove))
    if not clauses:
        return
    values = {f":{name}": {"N": str(value)} for name, value in to_set.items()}
    for key in [project_key(project_id), *project_token_keys(project_id)]:
        arguments = {
            "TableName": get_settings().auth_table,
            "Key": {"pk": {"S": key}},
            "UpdateExpression": " ".join(clauses),
            "ExpressionAttributeNames": names,
            "ConditionExpression": "attribute_exists(pk)",
        }
        if values:
            arguments["ExpressionAttributeValues"] = values
        clients.dynamodb().update_item(**arguments)


def revoke_token(digest: str, revoked_at: str) -> None:
    _revoke(token_key(digest), revoked_at)


def _revoke(key: str, revoked_at: str) -> None:
    clients.dynamodb().update_item(
        TableName=get_settings().auth_table,
        Key={"pk": {"S": key}},
        UpdateExpression="SET revoked_at = if_not_exists(revoked_at, :now)",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":now": {"S": revoked_at}},
    )


def archive_project(project_id: str, archived_at: str) -> None:
    """Mark the project archived and revoke every token it has, as Logister does."""
    clients.dynamodb().update_item(
        TableName=get_settings().auth_table,
        Key={"pk": {"S": project_key(project_id)}},
        UpdateExpression="SET archived_at = if_not_exists(archived_at, :now)",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":now": {"S": archived_at}},
    )
    for key in project_token_keys(project_id):
        _revoke(key, archived_at)


def project_archived(project_id: str) -> bool:
    """True for an archived project, and for one that no longer exists."""
    item = (
        clients.dynamodb()
        .get_item(
            TableName=get_settings().auth_table,
            Key={"pk": {"S": project_key(project_id)}},
            ProjectionExpression="pk, archived_at",
            ConsistentRead=True,
        )
        .get("Item")
    )
    return item is None or "archived_at" in item


# The operator CLI (logister-admin): keys and indexes only, except list_projects (a Scan by design).

TOKEN_ID_INDEX = "by_token_id"
_BATCH_GET_KEYS = 100


def get_project(project_id: str) -> dict[str, Any] | None:
    item = (
        clients.dynamodb()
        .get_item(TableName=get_settings().auth_table, Key={"pk": {"S": project_key(project_id)}}, ConsistentRead=True)
        .get("Item")
    )
    return plain(item) if item else None


def list_projects() -> list[dict[str, Any]]:
    """Every project, oldest first. The one Scan: projects are few, and listing them is rare."""
    projects = []
    for page in (
        clients.dynamodb()
        .get_paginator("scan")
        .paginate(
            TableName=get_settings().auth_table,
            FilterExpression="begins_with(pk, :project)",
            ExpressionAttributeValues={":project": {"S": "PROJECT#"}},
        )
    ):
        projects += [plain(item) for item in page["Items"]]
    return sorted(projects, key=lambda project: (project.get("created_at", ""), project["project_id"]))


def project_tokens(project_id: str) -> list[dict[str, Any]]:
    """The project's token items, oldest first: their keys from by_project, then BatchGetItem."""
    keys = project_token_keys(project_id)
    tokens: list[dict[str, Any]] = []
    table = get_settings().auth_table
    for start in range(0, len(keys), _BATCH_GET_KEYS):
        request = {table: {"Keys": [{"pk": {"S": key}} for key in keys[start : start + _BATCH_GET_KEYS]]}}
        while request:
            response = clients.dynamodb().batch_get_item(RequestItems=request)
            tokens += [plain(item) for item in response["Responses"].get(table, [])]
            request = response.get("UnprocessedKeys") or {}
    return sorted(tokens, key=lambda token: (token.get("created_at", ""), token["token_id"]))


def token_key_for_id(token_id: str) -> str | None:
    """The key (TOKEN#<digest>) of the token with this id, from the sparse by_token_id index."""
    items = clients.dynamodb().query(
        TableName=get_settings().auth_table,
        IndexName=TOKEN_ID_INDEX,
        KeyConditionExpression="token_id = :id",
        ExpressionAttributeValues={":id": {"S": token_id}},
    )["Items"]
    return items[0]["pk"]["S"] if items else None


def revoke_key(key: str, revoked_at: str) -> dict[str, Any]:
    """Revoke the token stored under `key` (keeping an earlier revocation time); the token as it now is."""
    item = clients.dynamodb().update_item(
        TableName=get_settings().auth_table,
        Key={"pk": {"S": key}},
        UpdateExpression="SET revoked_at = if_not_exists(revoked_at, :now)",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":now": {"S": revoked_at}},
        ReturnValues="ALL_NEW",
    )["Attributes"]
    return plain(item)


def restore_project(project_id: str) -> None:
    """Unarchive the project. Its tokens stay revoked (as in Logister): issue new ones."""
    clients.dynamodb().update_item(
        TableName=get_settings().auth_table,
        Key={"pk": {"S": project_key(project_id)}},
        UpdateExpression="REMOVE archived_at",
        ConditionExpression="attribute_exists(pk)",
    )
