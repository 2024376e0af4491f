"""GET /docs, its assets and GET /openapi.yaml: Swagger UI over this stack's own API description.

Standard library only (no layer import), so it costs the API's other functions nothing. The built
artifact holds openapi.yaml and the pinned swagger-ui-dist files next to this module (functions/Makefile);
run from the source tree (`make dev`), they are the repository's openapi.yaml and node_modules.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
SPEC_PATH = next((path for path in (HERE / "openapi.yaml", REPO_ROOT / "openapi.yaml") if path.is_file()), None)
BUILT_ASSETS = HERE / "swagger-ui"
ASSETS_DIR = BUILT_ASSETS if BUILT_ASSETS.is_dir() else REPO_ROOT / "node_modules" / "swagger-ui-dist"

# The only files served from ASSETS_DIR: each name is a route of its own, so no path reaches anything else.
ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
DOCS_PATH = "/docs"
SPEC_ROUTE = "/openapi.yaml"

# Relative URLs (docs/..., openapi.yaml): the page works under any stage prefix or custom domain path.
# validatorUrl null: Swagger UI would otherwise send the document's URL to validator.swagger.io.
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>logister-serverless API</title>
  <link rel="stylesheet" href="docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script src="docs/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "openapi.yaml",
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout",
      persistAuthorization: true,
      validatorUrl: null,
    });
  </script>
</body>
</html>
"""

# openapi.yaml's top-level `servers:` list, up to the next top-level key.
SERVERS_BLOCK = re.compile(r"^servers:\n(?:[ -].*\n|\n)*", re.MULTILINE)

Response = dict[str, Any]


def _response(status: int, content_type: str, body: bytes, cache_seconds: int = 0) -> Response:
    text = content_type.startswith(("text/", "application/yaml"))
    return {
        "statusCode": status,
        "headers": {
            "Content-Type": content_type,
            "Cache-Control": f"public, max-age={cache_seconds}" if cache_seconds else "no-cache",
            "X-Content-Type-Options": "nosniff",
        },
        "body": body.decode("utf-8") if text else base64.b64encode(body).decode("ascii"),
        "isBase64Encoded": not text,
    }


def _not_found() -> Response:
    return {
        "statusCode": 404,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"error": "not_found"}),
        "isBase64Encoded": False,
    }


def server_url(event: Mapping[str, Any]) -> str:
    """This stack's base URL, as the client reached it: the Host it sent (with the port, locally),
    the scheme API Gateway saw, and the stage's path unless it is the $default stage."""
    context = event.get("requestContext") or {}
    headers = {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}
    host = headers.get("host") or str(context.get("domainName") or "localhost")
    scheme = headers.get("x-forwarded-proto", "https").split(",")[0].strip() or "https"
    stage = str(context.get("stage") or "$default")
    return f"{scheme}://{host}" + ("" if stage == "$default" else f"/{stage}")


def spec_for(url: str, spec: str) -> str:
    """The document with its `servers` replaced by this stack alone, so "Try it out" calls it."""
    servers = f"servers:\n  - url: {json.dumps(url)}\n    description: This stack\n"
    replaced, count = SERVERS_BLOCK.subn(lambda _: servers, spec, count=1)
    return replaced if count else spec + servers


class DocsApp:
    """The routes this function answers, keyed as the template's HttpApi events are (METHOD path)."""

    def __init__(self) -> None:
        self._routes: dict[str, Callable[[Mapping[str, Any]], Response]] = {
            f"GET {DOCS_PATH}": lambda _: _response(200, "text/html; charset=utf-8", PAGE.encode()),
            f"GET {SPEC_ROUTE}": self._spec,
        }
        for name, content_type in ASSETS.items():
            self._routes[f"GET {DOCS_PATH}/{name}"] = self._asset(name, content_type)

    @property
    def route_keys(self) -> set[str]:
        return set(self._routes)

    def resolve(self, event: Mapping[str, Any]) -> Response:
        # The route key, not the path: under a named stage the path starts with the stage's name.
        route = self._routes.get(str(event.get("routeKey", "")))
        return route(event) if route else _not_found()

    @staticmethod
    def _spec(event: Mapping[str, Any]) -> Response:
        if SPEC_PATH is None:
            return _not_found()
        body = spec_for(server_url(event), SPEC_PATH.read_text(encoding="utf-8"))
        return _response(200, "application/yaml; charset=utf-8", body.encode())

    @staticmethod
    def _asset(name: str, content_type: str) -> Callable[[Mapping[str, Any]], Response]:
        def serve(_: Mapping[str, Any]) -> Response:
            path = ASSETS_DIR / name
            if not path.is_file():
                return _not_found()
            return _response(200, content_type, path.read_bytes(), cache_seconds=3600)

        return serve


app = DocsApp()


def lambda_handler(event: dict[str, Any], context: Any) -> Response:
    return app.resolve(event)
