"""POST /api/v1/check_ins: Logister's compact cron check-in."""

from __future__ import annotations

from logister_common.runtime.initialization import initializing

with initializing():  # the container's init: see runtime/initialization.py
    from typing import Any

    from logister_common.edge.answers import Answer
    from logister_common.edge.request import PublicRequest
    from logister_common.edge.router import Router
    from logister_common.endpoints import check_ins
    from logister_common.runtime.telemetry import instrumented

app = Router()


@app.post("/api/v1/check_ins", "/api/v1/check_ins.json")
def create_check_in(request: PublicRequest) -> Answer:
    return check_ins.check_in(request)


@instrumented
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
