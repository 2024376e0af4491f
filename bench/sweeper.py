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
    from moto import mock_aws

    from local.emulation import provision_stack
    from local.template import load_template

    with mock_aws():
        os.environ.update(provision_stack(load_template(ROOT / "template.yaml")).environment)
        from logister_common.container import reset_container_state
        from logister_common.monitors.sweep import sweep
        from logister_common.operator.provisioning import create_project
        from tests.support import intercepted_aws, seed_monitors

        reset_container_state()
        project_id = create_project("bench")  # an active project: its overdue monitors are flagged
        seed_monitors(project_id, MONITORS, OVERDUE, int(datetime.now(UTC).timestamp()))
        with intercepted_aws() as aws:
            queries = aws.record("dynamodb", "Query")
            sweep()
        items_read = sum(query.response["Count"] for query in queries)
        return {"monitors": MONITORS, "overdue": OVERDUE, "items_read": items_read}
