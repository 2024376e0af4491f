"""POST /api/v1/deployments: from request to upserted deployment."""

from __future__ import annotations

from .admission import admit, answering
from .clock import utc_now
from .deployments import deployment, deployment_fields
from .envelopes import parse_json_body
from .http import Answer, PublicRequest
from .identity import legacy_id
from .settings import get_settings
from .stores import deployment_store
from .telemetry import count

ENDPOINT = "deployment"


def record_deployment(request: PublicRequest) -> Answer:
    caller = admit(request, ENDPOINT, wire_cap=True)
    with answering(caller):
        fields = deployment_fields(parse_json_body(request.headers, request.body))
        now = utc_now()
        record = deployment(
            fields, project_id=caller.project_id, default_environment=get_settings().default_environment, now=now
        )
        deployment_store.upsert(caller.project_id, record, "api", now)
    count("accepted_deployment")
    body = {"id": record.id, "legacy_id": legacy_id(record.id), "status": "accepted"}
    return Answer(201, body, caller.rate_limit_headers)
