"""POST /api/v1/check_ins: Logister's compact cron check-in."""

from __future__ import annotations

from typing import Any

from logister_common import checkin
from logister_common.http import Answer, PublicRequest, Router
from logister_common.telemetry import instrumented

app = Router()


@app.post("/api/v1/check_ins", "/api/v1/check_ins.json")
def create_check_in(request: PublicRequest) -> Answer:
    return checkin.check_in(request)


@instrumented
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event)
