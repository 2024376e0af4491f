"""POST /api/v1/deployments: record a release of a project."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from logister_common import deployment_api
from logister_common.http import PublicRequest, json_response, register_error_handlers

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()
register_error_handlers(app)


@app.post("/api/v1/deployments")
@app.post("/api/v1/deployments.json")
def create_deployment() -> Response:
    answer = deployment_api.record_deployment(PublicRequest.from_event(app.current_event.raw_event))
    return json_response(answer.status, answer.body, answer.headers)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
