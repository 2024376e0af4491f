"""POST /api/v1/ingest_events (one event or span) and /api/v1/ingest_events/batch (gzip NDJSON)."""

from __future__ import annotations

from logister_common.runtime.initialization import initializing

with initializing():  # the container's init: see runtime/initialization.py
    from typing import Any

    from logister_common.edge.answers import Answer
    from logister_common.edge.request import PublicRequest
    from logister_common.edge.router import Router
    from logister_common.endpoints import ingest_events
    from logister_common.runtime.telemetry import instrumented

app = Router()


@app.post("/api/v1/ingest_events", "/api/v1/ingest_events.json")
def ingest_event(request: PublicRequest) -> Answer:
    return ingest_events.ingest_single(request)


@app.post("/api/v1/ingest_events/batch", "/api/v1/ingest_events/batch.json")
def ingest_event_batch(request: PublicRequest) -> Answer:
    from logister_common.endpoints import ingest_batch  # imported on first use: keeps the single-event cold start light

    return ingest_batch.ingest_batch(request)


@instrumented
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
