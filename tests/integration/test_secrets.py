"""Token plaintext is stored nowhere and logged nowhere: only SHA-256 digests are kept."""

from __future__ import annotations

import json
import os

import boto3

from logister_common.operator import provisioning
from logister_common.runtime.settings import get_settings
from logister_common.storage.documents import decompress
from tests.support import ndjson


def every_stored_value() -> tuple[str, int]:
    """Every table's items and every S3 object (and how many), documents decompressed, as one string."""
    settings = get_settings()
    dynamodb = boto3.client("dynamodb")
    texts = []
    for table in dynamodb.list_tables()["TableNames"]:
        for item in dynamodb.scan(TableName=table)["Items"]:
            for value in item.values():
                if "B" in value:
                    texts.append(decompress(value["B"]).decode(errors="replace"))
                texts.append(json.dumps(value, default=str))
    s3 = boto3.client("s3")
    objects = s3.list_objects_v2(Bucket=settings.payload_bucket).get("Contents", [])
    for listed in objects:
        blob = s3.get_object(Bucket=settings.payload_bucket, Key=listed["Key"])["Body"].read()
        texts.append(decompress(blob).decode(errors="replace"))
    return "\n".join(texts), len(objects)


def test_no_token_plaintext_in_any_table_object_or_log_line(ingest, batch, check_in, project, deliver_streams, logged):
    revoked = provisioning.issue_token(project.project_id, name="revoked")
    provisioning.revoke_token(revoked.token)
    guessed = "logister_" + "f" * 48
    blobs = {f"blob{i}": os.urandom(125_000).hex() for i in range(3)}  # incompressible: goes to S3
    event = {"event": {"event_type": "error", "message": "boom", "context": blobs}}
    assert ingest(event, token=project.token).status == 201
    assert ingest(event, headers={"X-Api-Key": project.token}).status == 201
    assert ingest(event, token=revoked.token).status == 401
    assert ingest(event, token=guessed).status == 401
    assert ingest(b"{not json", token=project.token).status == 400
    log_line = {"event": {"event_type": "log", "message": "m", "uuid": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}}
    assert batch(ndjson(log_line), token=project.token).status == 202
    assert check_in({"check_in": {"slug": "nightly"}}, token=project.token).status == 201
    deliver_streams()

    stored, objects = every_stored_value()
    assert objects == 2  # the large event, sent twice under two uuids, overflowed to S3
    output = logged()
    assert output.count('"rejected submission"') == 3  # the log lines are really read: the 401s and the 400
    for token in (project.token, revoked.token, guessed):
        assert token not in stored
        assert token not in output
    assert token_digest_is_stored(project.token, stored)


def token_digest_is_stored(token: str, stored: str) -> bool:
    from logister_common.admission.tokens import digest

    return digest(token) in stored
