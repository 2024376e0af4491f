"""Shared test helpers: API Gateway HTTP API (payload v2) events and DynamoDB reads."""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from typing import Any

from logister_common.runtime.settings import get_settings
from logister_common.storage import clients

INGEST_PATH = "/api/v1/ingest_events"
BATCH_PATH = "/api/v1/ingest_events/batch"


def ndjson(*envelopes: dict | str, compress: bool = True) -> bytes:
    """An NDJSON batch body (gzip-compressed by default); strings are sent as raw lines."""
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in envelopes) + "\n"
    return gzip.compress(text.encode()) if compress else text.encode()


def http_event(
    body: bytes | str | dict | list | None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    path: str = INGEST_PATH,
    source_ip: str = "203.0.113.7",
    content_type: str | None = "application/json",
) -> dict[str, Any]:
    """The event API Gateway hands the function for a POST."""
    if isinstance(body, dict | list):
        body = json.dumps(body)
    raw = body.encode() if isinstance(body, str) else (body or b"")
    all_headers = {"user-agent": "tests"}
    if content_type:
        all_headers["content-type"] = content_type
    if token:
        all_headers["authorization"] = f"Bearer {token}"
    all_headers.update({name.lower(): value for name, value in (headers or {}).items()})
    try:
        if "content-encoding" in all_headers:  # API Gateway hands compressed bodies over base64-encoded
            raise UnicodeDecodeError("utf-8", raw, 0, 1, "compressed")
        text, encoded = raw.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(raw).decode(), True
    return {
        "version": "2.0",
        "routeKey": f"POST {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": all_headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip, "userAgent": "t"},
            "requestId": "req",
            "routeKey": f"POST {path}",
            "stage": "$default",
            "time": "27/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1_795_000_000_000,
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


class Reply:
    def __init__(self, result: dict[str, Any]) -> None:
        self.status = result["statusCode"]
        self.headers = {name.lower(): value for name, value in (result.get("headers") or {}).items()}
        self.raw_body = result.get("body") or ""
        self.json = json.loads(self.raw_body) if self.raw_body else None

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.raw_body[:300]})"


def event_item(project_id: str, event_uuid: str) -> dict[str, Any] | None:
    return (
        clients.dynamodb()
        .get_item(TableName=get_settings().events_table, Key={"pk": {"S": f"{project_id}#{event_uuid}"}})
        .get("Item")
    )


def stored_document(item: dict[str, Any]) -> dict[str, Any]:
    if "doc" in item:
        return json.loads(item["doc"]["S"])
    if "doc_z" in item:
        return json.loads(zlib.decompress(item["doc_z"]["B"]))
    blob = clients.s3().get_object(Bucket=get_settings().payload_bucket, Key=item["doc_s3"]["S"])["Body"].read()
    return json.loads(zlib.decompress(blob))


def all_items(table: str) -> list[dict[str, Any]]:
    """Test-only full read of a small table."""
    return clients.dynamodb().scan(TableName=table)["Items"]


def seed_monitors(project_id: str, count: int, overdue: int, now: int) -> None:
    """`count` ok monitors with 60 s intervals, `overdue` of them last seen 10 minutes ago (batch writes)."""
    from logister_common.monitors.rules import due_at
    from logister_common.storage.monitors_table import monitor_key, shard_for

    every = count // overdue
    puts = []
    for index in range(count):
        key = monitor_key("production", f"job-{index}")
        last = now - (600 if index % every == 0 else 10)
        item = {
            "project_id": {"S": project_id},
            "monitor_key": {"S": key},
            "slug": {"S": f"job-{index}"},
            "environment": {"S": "production"},
            "status": {"S": "ok"},
            "interval_seconds": {"N": "60"},
            "last_check_in_us": {"N": str(last * 1_000_000)},
            "due_at": {"N": str(due_at(last, 60))},
            "due_shard": {"S": shard_for(project_id, key)},
        }
        puts.append({"PutRequest": {"Item": item}})
    table = get_settings().monitors_table
    for start in range(0, len(puts), 25):
        clients.dynamodb().batch_write_item(RequestItems={table: puts[start : start + 25]})
