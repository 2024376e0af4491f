"""Issue 16: the docs function (functions/api_docs) serves Swagger UI, its files and openapi.yaml, nothing else."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import api_docs_handler as docs
import pytest
import yaml

from local.apigw import HttpRequest, build_event

ROOT = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "openapi.yaml").read_text())


def get(path: str, host: str = "127.0.0.1:3000", route_key: str | None = None, **context: Any) -> dict[str, Any]:
    request = HttpRequest("GET", path, "HTTP/1.1", [("host", host)], b"", "203.0.113.7")
    event = build_event(request, route_key or f"GET {path}")
    event["requestContext"].update(context)
    result: dict[str, Any] = docs.lambda_handler(event, None)
    return result


def body_bytes(result: dict[str, Any]) -> bytes:
    body: str = result["body"]
    return base64.b64decode(body) if result["isBase64Encoded"] else body.encode()


def test_the_page_loads_swagger_ui_from_the_stack_by_relative_urls():
    result = get("/docs")
    assert (result["statusCode"], result["headers"]["Content-Type"]) == (200, "text/html; charset=utf-8")
    page = result["body"]
    for name in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        assert f'"docs/{name}"' in page
    assert 'url: "openapi.yaml"' in page and "validatorUrl: null" in page
    assert "://" not in page  # no absolute URL: no CDN


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("swagger-ui.css", "text/css; charset=utf-8"),
        ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        ("swagger-ui-standalone-preset.js", "text/javascript; charset=utf-8"),
        ("favicon-32x32.png", "image/png"),
    ],
)
def test_each_asset_is_the_pinned_package_file_with_its_type(name, content_type):
    result = get(f"/docs/{name}")
    assert (result["statusCode"], result["headers"]["Content-Type"]) == (200, content_type)
    assert body_bytes(result) == (ROOT / "node_modules" / "swagger-ui-dist" / name).read_bytes()


@pytest.mark.parametrize(
    "route_key", ["GET /docs/../template.yaml", "GET /docs/index.html", "POST /docs", "GET /docs/{asset}", "$default"]
)
def test_anything_else_is_a_json_404(route_key):
    result = get("/docs/x", route_key=route_key)
    assert (result["statusCode"], result["headers"]["Content-Type"]) == (404, "application/json")
    assert json.loads(result["body"]) == {"error": "not_found"}


def test_the_document_names_the_local_stack_it_was_fetched_from():
    result = get("/openapi.yaml", host="127.0.0.1:43210")
    assert result["headers"]["Content-Type"] == "application/yaml; charset=utf-8"
    served = yaml.safe_load(result["body"])
    assert served["servers"] == [{"url": "http://127.0.0.1:43210", "description": "This stack"}]
    assert {key: value for key, value in served.items() if key != "servers"} == {
        key: value for key, value in SPEC.items() if key != "servers"
    }


@pytest.mark.parametrize(("stage", "url"), [("$default", "https://abc.example"), ("prod", "https://abc.example/prod")])
def test_a_deployed_stack_is_named_by_its_domain_and_stage(stage, url):
    request = HttpRequest("GET", "/openapi.yaml", "HTTP/1.1", [], b"", "203.0.113.7")
    event = build_event(request, "GET /openapi.yaml")
    event["headers"] = {"x-forwarded-proto": "https"}  # what API Gateway sets; Host is its domain
    event["requestContext"].update(domainName="abc.example", stage=stage)
    assert docs.server_url(event) == url
