"""POST /api/v1/deployments: from request to upserted deployment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from logister_common.admission.pipeline import admit, answering
from logister_common.contract.deployment_fields import deployment, deployment_fields
from logister_common.contract.event_ids import legacy_id
from logister_common.edge.answers import Answer
from logister_common.edge.request import PublicRequest
from logister_common.runtime.clock import utc_now
from logister_common.runtime.settings import get_settings
from logister_common.runtime.telemetry import count
from logister_common.storage import deployments_table

if TYPE_CHECKING:  # annotations only: the request path never imports the declarations
    from logister_common.edge.response_bodies import DeploymentAccepted

ENDPOINT = "deployment"


def record_deployment(request: PublicRequest) -> Answer:
    caller = admit(request, ENDPOINT, wire_cap=True)
    with answering(caller):
        fields = deployment_fields(request.json_document())
        now = utc_now()
        record = deployment(
            fields, project_id=caller.project_id, default_environment=get_settings().default_environment, now=now
        )
        deployments_table.upsert(caller.project_id, record, "api", now)
    count("accepted_deployment")
    body: DeploymentAccepted = {"id": record.id, "legacy_id": legacy_id(record.id), "status": "accepted"}
    return Answer(201, body, caller.rate_limit_headers)
