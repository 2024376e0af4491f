"""local.gateway over real HTTP, with a stub function (from a temporary template) that echoes its event."""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import socket
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from local.gateway import LocalGateway, start_gateway
from local.lambda_runtime import load_template_functions
from local.template import load_template, parameter_values, routes

TEMPLATE = """
Globals:
  Function:
    Timeout: 5
Resources:
  SharedLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/shared/}
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/echo/
      Handler: local_test_echo_handler.lambda_handler
      MemorySize: 256
      Events:
        Echo: {Type: HttpApi, Properties: {Method: POST, Path: /echo}}
        Boom: {Type: HttpApi, Properties: {Method: GET, Path: /boom}}
        Plain: {Type: HttpApi, Properties: {Method: GET, Path: /plain}}
        Anything: {Type: HttpApi, Properties: {Method: ANY, Path: /any}}
"""

HANDLER = """
import json

import local_test_shared


def lambda_handler(event, context):
    path = event["rawPath"]
    if path == "/boom":
        raise RuntimeError("boom from the stub")
    if path == "/plain":
        return {"plain": True}
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "X-Stub": local_test_shared.VALUE},
        "cookies": ["session=abc; HttpOnly"],
        "body": json.dumps({
            "event": event,
            "context": {
                "function_name": context.function_name,
                "memory_limit_in_mb": context.memory_limit_in_mb,
                "invoked_function_arn": context.invoked_function_arn,
                "aws_request_id": context.aws_request_id,
                "remaining": context.get_remaining_time_in_millis(),
            },
        }),
    }
"""


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalGateway]:
    root: Path = tmp_path_factory.mktemp("stack")
    (root / "template.yaml").write_text(textwrap.dedent(TEMPLATE))
    (root / "functions" / "echo").mkdir(parents=True)
    (root / "functions" / "echo" / "local_test_echo_handler.py").write_text(HANDLER)
    (root / "layers" / "shared").mkdir(parents=True)
    (root / "layers" / "shared" / "local_test_shared.py").write_text('VALUE = "from-layer"\n')

    template = load_template(root / "template.yaml")
    template_routes = routes(template)
    function_ids = [route.function_id for route in template_routes]
    functions = load_template_functions(template, root, function_ids, parameter_values(template, {}))
    server, thread = start_gateway(template_routes, functions, port=0, access_log=False)
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def send(
    gateway: LocalGateway,
    method: str,
    target: str,
    body: Any = None,
    headers: list[tuple[str, str]] | None = None,
    chunked: bool = False,
) -> tuple[http.client.HTTPResponse, bytes]:
    host, port = gateway.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.putrequest(method, target)
    for name, value in headers or []:
        connection.putheader(name, value)
    if chunked:
        connection.putheader("Transfer-Encoding", "chunked")
    elif body is not None:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders()
    if chunked:
        for piece in body:
            connection.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        connection.send(b"0\r\n\r\n")
    elif body is not None:
        connection.send(body)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response, data


def echoed(data: bytes) -> dict[str, Any]:
    return json.loads(data)


def test_a_request_becomes_a_v2_event_for_the_real_handler(gateway):
    response, data = send(
        gateway,
        "POST",
        "/echo?x=1&x=2",
        b'{"hello":"world"}',
        [("Content-Type", "application/json"), ("X-Forwarded-For", "203.0.113.50"), ("X-Twice", "a"), ("X-Twice", "b")],
    )
    assert response.status == 200
    assert response.getheader("X-Stub") == "from-layer"  # the layer directory is importable
    assert response.getheader("Set-Cookie") == "session=abc; HttpOnly"
    assert response.getheader("apigw-requestid")
    reply = echoed(data)
    event = reply["event"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "POST /echo"
    assert event["rawPath"] == "/echo"
    assert event["queryStringParameters"] == {"x": "1,2"}
    assert event["body"] == '{"hello":"world"}'
    assert event["isBase64Encoded"] is False
    assert all(name == name.lower() for name in event["headers"])
    assert event["headers"]["content-type"] == "application/json"
    assert event["headers"]["x-twice"] == "a,b"
    # The socket's peer, never the client's claim.
    assert event["requestContext"]["http"]["sourceIp"] == "127.0.0.1"
    assert event["headers"]["x-forwarded-for"] == "203.0.113.50, 127.0.0.1"
    assert event["requestContext"]["requestId"] == response.getheader("apigw-requestid")
    assert reply["context"]["function_name"] == "logister-local-EchoFunction"
    assert reply["context"]["memory_limit_in_mb"] == 256
    assert reply["context"]["invoked_function_arn"].endswith(":function:logister-local-EchoFunction")
    assert 0 < reply["context"]["remaining"] <= 5000


def test_gzip_bodies_arrive_base64_encoded(gateway):
    body = gzip.compress(b'{"event":{}}')
    _, data = send(gateway, "POST", "/echo", body, [("Content-Encoding", "gzip"), ("Content-Type", "application/json")])
    event = echoed(data)["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_chunked_bodies_are_read_whole(gateway):
    response, data = send(gateway, "POST", "/echo", [b'{"a":', b'"chunked"', b"}"], chunked=True)
    assert response.status == 200
    assert echoed(data)["event"]["body"] == '{"a":"chunked"}'


@pytest.mark.parametrize(("method", "target"), [("POST", "/nope"), ("GET", "/echo"), ("POST", "/echo/")])
def test_unknown_routes_are_404_like_http_api(gateway, method, target):
    response, data = send(gateway, method, target, b"{}")
    assert response.status == 404
    assert json.loads(data) == {"message": "Not Found"}


def test_any_method_routes(gateway):
    for method in ("GET", "DELETE", "PATCH"):
        response, data = send(gateway, method, "/any")
        assert response.status == 200
        assert echoed(data)["event"]["routeKey"] == "ANY /any"


def test_a_handler_exception_is_an_internal_server_error(gateway, capsys):
    response, data = send(gateway, "GET", "/boom")
    assert response.status == 500
    assert json.loads(data) == {"message": "Internal Server Error"}
    assert "boom from the stub" in capsys.readouterr().err


def test_a_result_without_status_code_is_a_json_body(gateway):
    response, data = send(gateway, "GET", "/plain")
    assert response.status == 200
    assert json.loads(data) == {"plain": True}


def test_oversized_bodies_are_refused_before_being_read(gateway):
    with socket.create_connection(gateway.server_address[:2], timeout=10) as raw:
        raw.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 20000000\r\n\r\n")
        reply = b""
        while chunk := raw.recv(4096):  # the server closes the connection after answering
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 413")
    assert b'{"message":"Request Entity Too Large"}' in reply


def test_keep_alive_and_concurrent_requests(gateway):
    host, port = gateway.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=10)
    for _ in range(3):  # one connection, several requests
        connection.request("POST", "/echo", body=b"{}")
        assert connection.getresponse().read()
    connection.close()

    def one(index: int) -> str:
        response, data = send(gateway, "POST", "/echo", json.dumps({"i": index}).encode())
        assert response.status == 200
        event = echoed(data)["event"]
        assert json.loads(event["body"]) == {"i": index}
        return event["requestContext"]["requestId"]

    with ThreadPoolExecutor(max_workers=16) as pool:
        request_ids = list(pool.map(one, range(48)))
    assert len(set(request_ids)) == 48
