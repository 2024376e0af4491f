"""POST /api/v1/deployments: record a release of a project."""

from __future__ import annotations

from typing import Any

from logister_common import deployment_api
from logister_common.http import Answer, PublicRequest, Router
from logister_common.telemetry import instrumented

app = Router()


@app.post("/api/v1/deployments", "/api/v1/deployments.json")
def create_deployment(request: PublicRequest) -> Answer:
    return deployment_api.record_deployment(request)


@instrumented
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event)
