"""`logister-admin performance` against `make dev`'s stack: transactions sent over HTTP, aggregated by
the events stream, summarized by the console script (table, chart and --json)."""

from __future__ import annotations

import time

import pytest

from tests.e2e.test_admin_cli import Admin, post

pytestmark = pytest.mark.e2e


def transaction(name: str, duration_ms: float, status: int = 200) -> dict:
    return {
        "event": {
            "event_type": "transaction",
            "message": name,
            "transaction_name": name,
            "duration_ms": duration_ms,
            "environment": "staging",
            "context": {"status": status},
        }
    }


def test_performance_lists_transactions_slowest_first_from_the_stream_s_aggregates(local_api):
    with local_api(LOGISTER_TOKEN_CACHE_SECONDS="0") as api:
        admin = Admin(api)
        created = admin("projects", "create", "e2e-performance")
        project_id, token = created["project_id"], created["token"]
        sent = [transaction("GET /products", duration) for duration in (80, 90, 100, 110)]
        sent += [transaction("POST /checkout", 700), transaction("POST /checkout", 900, status=502)]
        assert [post(api, "/api/v1/ingest_events", token, body) for body in sent] == [201] * 6

        # Aggregated from the events stream, which make dev polls every 0.5 s.
        arguments = ("performance", project_id, "--environment", "staging", "--since", "1h")
        deadline = time.monotonic() + 15
        while sum(row["count"] for row in admin(*arguments)["transactions"]) < 6 and time.monotonic() < deadline:
            time.sleep(0.3)

        report = admin(*arguments)
        rows = report["transactions"]
        assert [row["transaction"] for row in rows] == ["POST /checkout", "GET /products"]  # slowest p95 first
        checkout, products = rows
        assert (checkout["count"], checkout["errors"], checkout["error_rate"]) == (2, 1, 0.5)
        assert checkout["p95_ms"] == pytest.approx(900, rel=0.01)
        assert products["p50_ms"] == pytest.approx(90, rel=0.01)
        assert products["throughput_per_minute"] == round(4 / 60, 3)
        assert report["hourly_p95"] is None

        charted = admin(*arguments, "--transaction", "POST /checkout")
        assert [row["transaction"] for row in charted["transactions"]] == ["POST /checkout"]
        (hour,) = charted["hourly_p95"]
        assert hour["count"] == 2 and hour["p95_ms"] == pytest.approx(900, rel=0.01)

        shown = admin.run(*arguments, "--transaction", "POST /checkout")
        assert shown.returncode == 0, shown.stderr
        assert "POST /checkout" in shown.stdout and "50.0%" in shown.stdout
        bars = [line for line in shown.stdout.splitlines() if "|" in line and "#" in line]
        assert len(bars) == 1 and len(bars[0]) <= 80

        elsewhere = admin("performance", project_id, "--environment", "production")
        assert elsewhere["transactions"] == []
