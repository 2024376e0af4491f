"""Event documents too large for a DynamoDB item, in the S3 payload bucket.

Each write attempt has its own object (payloads/<project>/<uuid>/<attempt>.json.zlib), and the
event's item records which one it accepted: a later duplicate or a refused request with the same
uuid writes an object of its own, never over the accepted one, and deletes it when its item write
did not happen.
"""

from __future__ import annotations

import uuid as uuid_module

from botocore.exceptions import BotoCoreError, ClientError

from logister_common.contract.errors import StoreUnavailable
from logister_common.runtime.settings import get_settings
from logister_common.runtime.telemetry import count
from logister_common.storage import clients


def payload_key(project_id: str, event_uuid: str) -> str:
    """A key of its own for this attempt."""
    return f"payloads/{project_id}/{event_uuid}/{uuid_module.uuid4().hex}.json.zlib"


def put_payload(project_id: str, event_uuid: str, compressed: bytes) -> str:
    """Written before the DynamoDB item, so an accepted event never points at nothing."""
    key = payload_key(project_id, event_uuid)
    try:
        clients.s3().put_object(
            Bucket=get_settings().payload_bucket,
            Key=key,
            Body=compressed,
            ContentType="application/json",
            ContentEncoding="deflate",
        )
    except (ClientError, BotoCoreError) as error:
        raise StoreUnavailable("payloads") from error
    return key


def discard_payloads(keys: list[str]) -> None:
    """Delete the objects of attempts whose item was not written (a duplicate, a refusal, a failed write).

    Best effort: the answer does not wait on it, and what a failed delete leaves behind the
    bucket's lifecycle rule expires with the events (EventRetentionDays).
    """
    for key in keys:
        try:
            clients.s3().delete_object(Bucket=get_settings().payload_bucket, Key=key)
        except (ClientError, BotoCoreError):
            count("payload_orphaned")
