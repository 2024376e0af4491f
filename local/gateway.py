"""A local API Gateway HTTP API: an HTTP server that routes like template.yaml and invokes the real handlers."""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .apigw import (
    INTEGRATION_ERROR,
    MAX_INVOKE_PAYLOAD_BYTES,
    MAX_REQUEST_BODY_BYTES,
    NOT_FOUND,
    TOO_LARGE,
    HttpRequest,
    HttpResponse,
    build_event,
    json_response,
    new_request_id,
    to_http_response,
)
from .lambda_runtime import LocalFunction
from .template import Route


class BodyTooLarge(Exception):
    pass


class RouteTable:
    """HTTP API's route selection for exact paths: METHOD path, then ANY path, then $default."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self._routes: dict[tuple[str, str], Route] = {}
        for route in routes:
            self._routes.setdefault((route.method, route.path), route)

    def match(self, method: str, path: str) -> Route | None:
        return (
            self._routes.get((method, path)) or self._routes.get(("ANY", path)) or self._routes.get(("ANY", "$default"))
        )


class LocalGateway(ThreadingHTTPServer):
    daemon_threads = True  # a hung keep-alive connection must not block shutdown
    request_queue_size = 128  # socketserver's default backlog (5) resets bursts of concurrent clients

    def __init__(
        self,
        address: tuple[str, int],
        routes: Iterable[Route],
        functions: Mapping[str, LocalFunction],
        access_log: bool = True,
    ) -> None:
        super().__init__(address, _RequestHandler)
        self.route_table = RouteTable(routes)
        self.functions = dict(functions)
        self.access_log = access_log

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        assert isinstance(host, str)  # an AF_INET server
        return f"http://{host}:{port}"

    def dispatch(self, request: HttpRequest) -> HttpResponse:
        request_id = new_request_id()
        response = self._dispatch(request, request_id)
        response.headers.append(("apigw-requestid", request_id))
        return response

    def _dispatch(self, request: HttpRequest, request_id: str) -> HttpResponse:
        path = request.target.partition("?")[0]
        route = self.route_table.match(request.method, path)
        if route is None:
            return json_response(NOT_FOUND)
        if len(request.body) > MAX_REQUEST_BODY_BYTES:
            return json_response(TOO_LARGE)
        event = build_event(request, route.route_key, request_id=request_id)
        if len(json.dumps(event)) > MAX_INVOKE_PAYLOAD_BYTES:
            return json_response(TOO_LARGE)
        function = self.functions[route.function_id]
        started = time.monotonic()
        try:
            result = function.invoke(event)
            response = to_http_response(result)
        except Exception:
            print(f"{function.function_id} failed ({route.route_key}, request {request_id}):", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            return json_response(INTEGRATION_ERROR)
        elapsed = time.monotonic() - started
        if elapsed > function.limits.timeout:
            print(
                f"warning: {function.function_id} took {elapsed:.1f}s, over its {function.limits.timeout}s timeout "
                "(Lambda would have stopped it)",
                file=sys.stderr,
            )
        return response


class _RequestHandler(BaseHTTPRequestHandler):
    server: LocalGateway
    protocol_version = "HTTP/1.1"  # keep-alive, as SDK clients expect

    def version_string(self) -> str:
        return "logister-local"

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except BodyTooLarge:
            self.close_connection = True  # the rest of the body is still on the wire
            self._send(json_response(TOO_LARGE))
            return
        except ValueError:
            self.close_connection = True
            self._send(HttpResponse(400, [("Content-Type", "text/plain")], b"Bad Request"))
            return
        request = HttpRequest(
            method=self.command,
            target=self.path,
            protocol=self.request_version,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            source_port=self.client_address[1],
            server_port=self.server.server_address[1],
        )
        self._send(self.server.dispatch(request))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, PROPFIND, ...) is routed like the rest: API Gateway answers an
        # unmatched method with its 404, never http.server's 501.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        if length > MAX_REQUEST_BODY_BYTES:
            raise BodyTooLarge
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(65537)
            size = int(size_line.split(b";", 1)[0].strip(), 16)  # a chunk extension may follow ";"
            if size == 0:
                break
            total += size
            if total > MAX_REQUEST_BODY_BYTES:
                raise BodyTooLarge
            chunks.append(self.rfile.read(size))
            self.rfile.readline()  # the CRLF after each chunk
        while self.rfile.readline(65537).strip():  # trailers, up to the blank line
            pass
        return b"".join(chunks)

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.access_log:
            super().log_message(format, *args)


def start_gateway(
    routes: Iterable[Route],
    functions: Mapping[str, LocalFunction],
    host: str = "127.0.0.1",
    port: int = 3000,
    access_log: bool = True,
) -> tuple[LocalGateway, threading.Thread]:
    """Bind (port 0 picks a free port) and serve from a background thread; stop with shutdown()."""
    gateway = LocalGateway((host, port), routes, functions, access_log=access_log)
    thread = threading.Thread(target=gateway.serve_forever, name="local-gateway", daemon=True)
    thread.start()
    return gateway, thread
