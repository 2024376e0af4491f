"""POST /api/v1/check_ins: Logister's compact cron check-in."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from logister_common import checkin
from logister_common.http import PublicRequest, json_response, register_error_handlers

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()
register_error_handlers(app)


@app.post("/api/v1/check_ins")
@app.post("/api/v1/check_ins.json")
def create_check_in() -> Response:
    answer = checkin.check_in(PublicRequest.from_event(app.current_event.raw_event))
    return json_response(answer.status, answer.body, answer.headers)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
