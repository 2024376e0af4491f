"""POST /api/v1/ingest_events (one event or span) and /api/v1/ingest_events/batch (gzip NDJSON)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from logister_common import batch_ingest, ingest
from logister_common.http import PublicRequest, json_response, register_error_handlers

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()
register_error_handlers(app)


@app.post("/api/v1/ingest_events")
@app.post("/api/v1/ingest_events.json")
def ingest_event() -> Response:
    accepted = ingest.ingest_single(PublicRequest.from_event(app.current_event.raw_event))
    return json_response(accepted.status, accepted.body, accepted.headers)


@app.post("/api/v1/ingest_events/batch")
@app.post("/api/v1/ingest_events/batch.json")
def ingest_event_batch() -> Response:
    answer = batch_ingest.ingest_batch(PublicRequest.from_event(app.current_event.raw_event))
    return json_response(answer.status, answer.body, answer.headers)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
