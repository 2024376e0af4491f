"""local.apigw: requests become HTTP API payload 2.0 events; results become HTTP responses."""

from __future__ import annotations

import base64
import gzip
import json

import pytest

from local.apigw import HttpRequest, build_event, to_http_response


def request(body: bytes = b"", headers: list[tuple[str, str]] | None = None, target: str = "/echo") -> HttpRequest:
    return HttpRequest(
        method="POST",
        target=target,
        protocol="HTTP/1.1",
        headers=headers or [],
        body=body,
        source_ip="192.0.2.10",
        source_port=50000,
        server_port=3000,
    )


def test_event_has_the_payload_v2_shape():
    event = build_event(
        request(b'{"a":1}', [("Host", "127.0.0.1:3000"), ("User-Agent", "curl/8")], "/echo?a=1&a=2&b=&c=%20x"),
        "POST /echo",
        request_id="req-1",
        now=1_795_000_000.5,
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /echo"
    assert event["rawPath"] == "/echo"
    assert event["rawQueryString"] == "a=1&a=2&b=&c=%20x"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "", "c": " x"}
    assert event["body"] == '{"a":1}'
    assert event["isBase64Encoded"] is False
    assert "cookies" not in event
    context = event["requestContext"]
    assert context["http"] == {
        "method": "POST",
        "path": "/echo",
        "protocol": "HTTP/1.1",
        "sourceIp": "192.0.2.10",
        "userAgent": "curl/8",
    }
    assert context["requestId"] == "req-1"
    assert context["routeKey"] == "POST /echo"
    assert context["stage"] == "$default"
    assert context["domainName"] == "127.0.0.1"
    assert context["time"] == "18/Nov/2026:11:06:40 +0000"
    assert context["timeEpoch"] == 1_795_000_000_500
    assert {"accountId", "apiId", "domainPrefix"} <= set(context)


def test_headers_are_lowercased_and_repeats_comma_joined_cookies_split_out():
    event = build_event(
        request(headers=[("X-Custom", "a"), ("x-custom", "b"), ("Cookie", "s=1; t=2"), ("Cookie", "u=3")]),
        "POST /echo",
    )
    assert event["headers"]["x-custom"] == "a,b"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["s=1", "t=2", "u=3"]
    assert all(name == name.lower() for name in event["headers"])
    assert "queryStringParameters" not in event
    assert "body" not in event


def test_source_ip_is_the_peer_and_forwarded_for_only_gets_it_appended():
    event = build_event(request(headers=[("X-Forwarded-For", "203.0.113.99")]), "POST /echo")
    assert event["requestContext"]["http"]["sourceIp"] == "192.0.2.10"
    assert event["headers"]["x-forwarded-for"] == "203.0.113.99, 192.0.2.10"
    assert event["headers"]["x-forwarded-proto"] == "http"
    assert event["headers"]["x-forwarded-port"] == "3000"


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (gzip.compress(b'{"a":1}'), [("Content-Encoding", "gzip")]),
        (b'{"a":1}', [("Content-Encoding", "deflate")]),  # encoded, even if the bytes happen to be text
        (b"\xff\xfe\x00binary", [("Content-Type", "application/octet-stream")]),
    ],
)
def test_binary_and_encoded_bodies_are_base64(body, headers):
    event = build_event(request(body, headers), "POST /echo")
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_identity_encoding_is_text():
    event = build_event(request("héllo".encode(), [("Content-Encoding", "identity")]), "POST /echo")
    assert (event["body"], event["isBase64Encoded"]) == ("héllo", False)


def test_result_with_status_code_headers_cookies_and_body():
    response = to_http_response(
        {"statusCode": 201, "headers": {"X-A": "1"}, "cookies": ["a=1", "b=2"], "body": '{"ok":true}'}
    )
    assert response.status == 201
    assert response.headers == [("X-A", "1"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]
    assert response.body == b'{"ok":true}'


def test_base64_result_body_is_decoded():
    response = to_http_response(
        {"statusCode": 200, "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}
    )
    assert response.body == b"\x00\x01"


def test_result_without_status_code_is_a_json_body():
    response = to_http_response({"hello": "world"})
    assert response.status == 200
    assert ("Content-Type", "application/json") in response.headers
    assert json.loads(response.body) == {"hello": "world"}


@pytest.mark.parametrize("status", ["200", 99, 600, True])
def test_invalid_status_codes_are_rejected(status):
    with pytest.raises(ValueError, match="statusCode"):
        to_http_response({"statusCode": status})
