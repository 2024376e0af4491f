"""POST /api/v1/deployments: record a release of a project."""

from __future__ import annotations

from logister_common.runtime.initialization import initializing

with initializing():  # the container's init: see runtime/initialization.py
    from typing import Any

    from logister_common.edge.answers import Answer
    from logister_common.edge.request import PublicRequest
    from logister_common.edge.router import Router
    from logister_common.endpoints import deployments
    from logister_common.runtime.telemetry import instrumented

app = Router()


@app.post("/api/v1/deployments", "/api/v1/deployments.json")
def create_deployment(request: PublicRequest) -> Answer:
    return deployments.record_deployment(request)


@instrumented
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
