"""Items the sweeper reads with 10,000 monitors of which 10 are overdue (moto, counted at botocore)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MONITORS = 10_000
OVERDUE = 10


def measure() -> dict[str, int]:
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        os.environ.pop(name, None)
    import boto3
    from moto import mock_aws

    from local.emulation import provision
    from local.template import load_template

    with mock_aws():
        os.environ.update(
            provision(load_template(ROOT / "template.yaml"), boto3.client("dynamodb"), boto3.client("s3"))
        )
        from logister_common.monitoring import sweep
        from logister_common.monitors import due_at, monitor_key, shard_for
        from logister_common.settings import get_settings
        from logister_common.stores import clients

        get_settings.cache_clear()
        clients.dynamodb.cache_clear()
        now = int(datetime.now(UTC).timestamp())
        table = get_settings().monitors_table
        every = MONITORS // OVERDUE
        puts = []
        for index in range(MONITORS):
            key = monitor_key("production", f"job-{index}")
            last = now - (600 if index % every == 0 else 10)
            item = {
                "project_id": {"S": "bench-project"},
                "monitor_key": {"S": key},
                "slug": {"S": f"job-{index}"},
                "environment": {"S": "production"},
                "status": {"S": "ok"},
                "interval_seconds": {"N": "60"},
                "last_check_in_us": {"N": str(last * 1_000_000)},
                "due_at": {"N": str(due_at(last, 60))},
                "due_shard": {"S": shard_for("bench-project", key)},
            }
            puts.append({"PutRequest": {"Item": item}})
        for start in range(0, len(puts), 25):
            clients.dynamodb().batch_write_item(RequestItems={table: puts[start : start + 25]})
        returned: list[int] = []
        clients.dynamodb().meta.events.register(
            "after-call.dynamodb.Query", lambda parsed, **_: returned.append(parsed.get("Count", 0))
        )
        sweep()
        return {"monitors": MONITORS, "overdue": OVERDUE, "items_read": sum(returned)}
