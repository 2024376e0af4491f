"""Event documents too large for a DynamoDB item, in the S3 payload bucket."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from logister_common.contract.errors import StoreUnavailable
from logister_common.runtime.settings import get_settings
from logister_common.storage import clients


def payload_key(project_id: str, event_uuid: str) -> str:
    return f"payloads/{project_id}/{event_uuid}.json.zlib"


def put_payload(project_id: str, event_uuid: str, compressed: bytes) -> str:
    """Written before the DynamoDB item, so an accepted event never points at nothing.

    A duplicate overwrites an identical object, which is harmless.
    """
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
