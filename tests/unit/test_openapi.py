"""openapi.yaml: a valid OpenAPI 3.1 document of exactly our routes, whose schemas fit what our code answers."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from pydantic import TypeAdapter
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from local.template import load_template, routes
from logister_common.admission import rate_limits
from logister_common.contract import batch_lines, check_in_fields, deployment_fields, envelopes, payload_limits
from logister_common.contract.errors import ApiError, StoreUnavailable, Unauthorized
from logister_common.contract.event_ids import legacy_id
from logister_common.contract.normalization import normalize
from logister_common.edge import response_bodies as bodies
from logister_common.endpoints.ingest_batch import ROLLED_BACK, Entry, _accepted, _rejected
from logister_common.endpoints.ingest_events import _accepted as single_accepted
from logister_common.storage.events_table import EVENT_SIGNAL, SPAN_SIGNAL, WriteResult

ROOT = Path(__file__).resolve().parents[2]
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text())
SPEC_URI = "urn:logister-serverless:openapi"
REGISTRY = Registry().with_resource(SPEC_URI, Resource.from_contents(SPEC, default_specification=DRAFT202012))

DOCS_FUNCTION = "ApiDocsFunction"
SINGLE = "/api/v1/ingest_events"
BATCH = "/api/v1/ingest_events/batch"
CHECK_INS = "/api/v1/check_ins"
DEPLOYMENTS = "/api/v1/deployments"
ALL = (SINGLE, BATCH, CHECK_INS, DEPLOYMENTS)
STATUSES = {
    SINGLE: {"200", "201", "400", "401", "413", "422", "429", "503"},
    BATCH: {"202", "400", "401", "413", "415", "422", "429", "503"},
    CHECK_INS: {"200", "201", "400", "401", "413", "422", "429", "503"},
    DEPLOYMENTS: {"201", "400", "401", "413", "422", "429", "503"},
}
NOW = datetime(2026, 5, 23, 15, 30, tzinfo=UTC)
UUID = "018fe6a8-d40e-7c50-a283-e989feadbeef"
OTHER_UUID = "11111111-1111-4111-8111-111111111111"
RATE_LIMIT_HEADERS = {"X-RateLimit-Limit": "1200", "X-RateLimit-Remaining": "1199", "X-RateLimit-Reset": "1795000020"}


def _absolute(node: Any) -> Any:
    """A schema taken out of the document, its `#/...` references pointed back into the document."""
    if isinstance(node, dict):
        return {
            key: f"{SPEC_URI}{value}" if key == "$ref" and str(value).startswith("#") else _absolute(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_absolute(item) for item in node]
    return node


def _resolved(node: dict[str, Any]) -> dict[str, Any]:
    resolver = REGISTRY.resolver(SPEC_URI)
    while "$ref" in node:
        node = resolver.lookup(node["$ref"]).contents
    return node


def _check(instance: Any, schema: dict[str, Any]) -> None:
    jsonschema.validate(
        instance,
        _absolute(schema),
        cls=jsonschema.Draft202012Validator,
        registry=REGISTRY,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def assert_documented(path: str, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    """The answer fits the documented response of `path` and `path.json`: body schema, headers."""
    for variant in (path, f"{path}.json"):
        documented = _resolved(SPEC["paths"][variant]["post"]["responses"][str(status)])
        _check(body, documented["content"]["application/json"]["schema"])
        documented_headers = {name.lower(): _resolved(spec) for name, spec in documented.get("headers", {}).items()}
        sent = {name.lower(): value for name, value in (headers or {}).items()}
        assert set(sent) <= set(documented_headers), f"{variant} {status}: undocumented {set(sent)}"
        for name, spec in documented_headers.items():
            assert name in sent or not spec.get("required"), f"{variant} {status}: no {name}"
            if name in sent:
                _check(int(sent[name]), spec["schema"])


def assert_undocumented(path: str, status: int, body: Any) -> None:
    schema = _resolved(SPEC["paths"][path]["post"]["responses"][str(status)])["content"]["application/json"]["schema"]
    with pytest.raises(jsonschema.ValidationError):
        _check(body, schema)


def raised(call, *args: Any, **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as error:
        call(*args, **kwargs)
    return error.value


# The document


def test_the_document_is_valid_openapi_3_1():
    assert SPEC["openapi"] == "3.1.0"
    validate(SPEC, cls=OpenAPIV31SpecValidator)


def test_it_describes_exactly_the_routes_of_the_template():
    # Not the docs function's routes: they serve this document and Swagger UI, not the API it describes.
    template_routes = routes(load_template(ROOT / "template.yaml"))
    served = {(route.method, route.path) for route in template_routes if route.function_id != DOCS_FUNCTION}
    documented = {(method.upper(), path) for path, item in SPEC["paths"].items() for method in item}
    assert documented == served


@pytest.mark.parametrize("path", ALL)
def test_every_status_we_answer_is_listed(path):
    for variant in (path, f"{path}.json"):
        assert set(SPEC["paths"][variant]["post"]["responses"]) == STATUSES[path]


@pytest.mark.parametrize("path", [f"{path}{suffix}" for path in ALL for suffix in ("", ".json")])
def test_every_operation_takes_a_bearer_token_or_an_api_key(path):
    operation = SPEC["paths"][path]["post"]
    assert operation.get("security", SPEC["security"]) == [{"bearerAuth": []}, {"apiKeyHeader": []}]
    schemes = SPEC["components"]["securitySchemes"]
    assert (schemes["bearerAuth"]["type"], schemes["bearerAuth"]["scheme"]) == ("http", "bearer")
    assert (schemes["apiKeyHeader"]["in"], schemes["apiKeyHeader"]["name"]) == ("header", "X-Api-Key")


def test_batch_request_takes_ndjson_and_its_headers():
    operation = SPEC["paths"][BATCH]["post"]
    content = _resolved(operation["requestBody"])["content"]
    assert set(content) == {"application/x-ndjson", "application/ndjson"}
    parameters = {parameter["name"]: parameter for parameter in map(_resolved, operation["parameters"])}
    assert parameters["Content-Encoding"]["schema"]["enum"] == ["gzip", "identity"]
    assert "maxLength" not in parameters["X-Logister-Batch-Id"]["schema"]  # we truncate, never refuse


# The documented response bodies are the declared ones (edge/response_bodies.py)


COMMON_ERRORS = {
    "401": bodies.UnauthorizedError,
    "422": bodies.UnprocessableError,
    "429": bodies.RateLimitError,
    "503": bodies.StoreUnavailableError,
}
DECLARED: dict[str, dict[str, Any]] = {
    SINGLE: {
        **COMMON_ERRORS,
        "201": bodies.EventAccepted,
        "200": bodies.EventDuplicate,
        "400": bodies.BadRequestError,
        "413": bodies.RequestTooLargeError | bodies.PayloadLimitError,
    },
    BATCH: {
        **COMMON_ERRORS,
        "202": bodies.BatchAccepted,
        "400": bodies.BatchBadRequestError,
        "413": bodies.BatchLimitError | bodies.PayloadLimitError,
        "415": bodies.UnsupportedMediaTypeError,
        "422": bodies.BatchRejected | bodies.UnprocessableError,  # the latter when the store refuses the batch
    },
    CHECK_INS: {
        **COMMON_ERRORS,
        "201": bodies.CheckInAccepted,
        "200": bodies.CheckInDuplicate,
        "400": bodies.BadRequestError,
        "413": bodies.RequestTooLargeError,
    },
    DEPLOYMENTS: {
        **COMMON_ERRORS,
        "201": bodies.DeploymentAccepted,
        "400": bodies.BadRequestError,
        "413": bodies.RequestTooLargeError | bodies.PayloadLimitError,
    },
}


def _literals(schema: dict[str, Any]) -> list[str] | None:
    """The JSON texts of the values a const or enum allows; None when the schema names a type instead."""
    if "const" in schema:
        return [json.dumps(schema["const"])]
    if "enum" in schema:
        return sorted(json.dumps(value) for value in schema["enum"])
    return None


def _json_type(text: str) -> str:
    value = json.loads(text)
    if isinstance(value, bool):
        return "boolean"
    return {int: "integer", float: "number", str: "string"}.get(type(value), "null")


def _documented(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema of openapi.yaml with its references followed and any allOf merged into one schema."""
    schema = _resolved(schema)
    if "allOf" not in schema:
        return schema
    merged = {key: value for key, value in schema.items() if key != "allOf"}
    for part in map(_documented, schema["allOf"]):
        properties = dict(merged.get("properties", {}))
        for name, prop in part.get("properties", {}).items():
            properties[name] = {**_documented(properties.get(name, {})), **prop}
        merged = {**merged, **part, "properties": properties}
        merged["required"] = sorted({*merged.get("required", []), *part.get("required", [])})
    return merged


def _mismatches(documented: dict[str, Any], declared: dict[str, Any], defs: dict[str, Any], where: str) -> list[str]:
    """How an openapi.yaml schema differs from pydantic's JSON schema of a declared body (none: the same shape).

    Objects need the same properties, the same required set and `additionalProperties: false` (a
    TypedDict is closed). Where the declaration is a Literal, the document allows exactly its values;
    where it is a plain type, the document may narrow it (a format, bounds, a const).
    """
    documented = _documented(documented)
    while "$ref" in declared:
        declared = defs[declared["$ref"].removeprefix("#/$defs/")]
    documented_variants = documented.get("oneOf") or documented.get("anyOf")
    if documented_variants or "anyOf" in declared:
        unmatched = list(declared.get("anyOf") or [declared])
        if len(unmatched) != len(documented_variants or [documented]):
            return [f"{where}: {len(documented_variants or [documented])} documented shapes, {len(unmatched)} declared"]
        for variant in documented_variants or [documented]:
            differences = [_mismatches(variant, shape, defs, where) for shape in unmatched]
            if all(differences):
                return [f"{where}: no declared shape matches the documented {variant}", *min(differences, key=len)]
            del unmatched[differences.index([])]
        return []
    kind = declared.get("type")
    if kind == "object":
        documented_properties, declared_properties = documented.get("properties", {}), declared["properties"]
        problems = [
            f"{where}: {name} is only {side}"
            for names, side in (
                (set(documented_properties) - set(declared_properties), "documented"),
                (set(declared_properties) - set(documented_properties), "declared"),
            )
            for name in sorted(names)
        ]
        if set(documented.get("required", [])) != set(declared.get("required", [])):
            problems.append(f"{where}: required {documented.get('required')}, declared {declared.get('required')}")
        if documented.get("type") != "object" or documented.get("additionalProperties") is not False:
            problems.append(f"{where}: not documented as a closed object")
        for name in sorted(set(documented_properties) & set(declared_properties)):
            problems += _mismatches(documented_properties[name], declared_properties[name], defs, f"{where}.{name}")
        return problems
    if kind == "array":
        if documented.get("type") != "array":
            return [f"{where}: documented as {documented.get('type')}, declared an array"]
        return _mismatches(documented["items"], declared["items"], defs, f"{where}[]")
    declared_values, documented_values = _literals(declared), _literals(documented)
    if declared_values is not None:
        fits = documented_values == declared_values
    elif documented_values is not None:
        fits = all(_json_type(value) == kind for value in documented_values)
    else:
        fits = kind is not None and documented.get("type") == kind
    return [] if fits else [f"{where}: documented {documented_values or documented}, declared {declared}"]


@pytest.mark.parametrize(("path", "status"), [(path, status) for path in ALL for status in sorted(STATUSES[path])])
def test_every_documented_body_is_the_declared_one(path, status):
    assert set(DECLARED[path]) == STATUSES[path]
    declared = TypeAdapter(DECLARED[path][status]).json_schema()
    for variant in (path, f"{path}.json"):
        documented = _resolved(SPEC["paths"][variant]["post"]["responses"][status])
        schema = documented["content"]["application/json"]["schema"]
        assert _mismatches(schema, declared, declared.get("$defs", {}), f"{variant} {status}") == []


# Answers every endpoint gives


@pytest.mark.parametrize("path", ALL)
def test_unauthorized(path):
    assert_documented(path, 401, Unauthorized().body, RATE_LIMIT_HEADERS)
    assert_documented(path, 401, Unauthorized().body)
    assert_undocumented(path, 401, {"error": "Unauthorized", "code": "unauthorized", "message": "x"})


@pytest.mark.parametrize("path", ALL)
def test_rate_limited(path):
    now = 1_795_000_000.5
    current = rate_limits.window(now, 60)
    decision = rate_limits.decide(1_201, 1_200, 60, current, now)
    assert decision.limited
    assert_documented(path, 429, decision.body(), decision.headers())
    # Logister's published example does not match the ingestion endpoints (contract §6).
    assert_undocumented(path, 429, {"error": "Rate limited", "code": "rate_limited", "message": "x", "retry_after": 42})


@pytest.mark.parametrize("path", ALL)
def test_rate_limit_headers_are_documented_after_a_limiter_check(path):
    now = 1_795_000_000
    decision = rate_limits.decide(1, 1_200, 60, rate_limits.window(now, 60), now)
    assert not decision.limited and "Retry-After" not in decision.headers()
    for status, documented in SPEC["paths"][path]["post"]["responses"].items():
        headers = _resolved(documented).get("headers", {})
        if status == "413" and path == CHECK_INS:
            continue  # only the wire cap, answered before any limiter check
        assert set(decision.headers()) <= set(headers), f"{path} {status}"
        for name, value in decision.headers().items():
            _check(int(value), _resolved(headers[name])["schema"])


@pytest.mark.parametrize("path", ALL)
def test_store_unavailable(path):
    error = StoreUnavailable("events")
    assert_documented(path, 503, error.body, error.headers)
    assert_documented(path, 503, error.body, {**RATE_LIMIT_HEADERS, **error.headers})


@pytest.mark.parametrize("path", [SINGLE, CHECK_INS, DEPLOYMENTS])
def test_the_wire_cap(path):
    assert_documented(path, 413, payload_limits.request_too_large().body)


@pytest.mark.parametrize("path", [SINGLE, CHECK_INS, DEPLOYMENTS])
def test_a_body_that_is_not_json(path):
    error = raised(envelopes.parse_json_body, {"content-type": "application/json"}, b"{nope")
    assert error.body["code"] == "invalid_json"
    assert_documented(path, 400, error.body, RATE_LIMIT_HEADERS)


@pytest.mark.parametrize("path", [SINGLE, CHECK_INS, DEPLOYMENTS])
@pytest.mark.parametrize("body", [b'{"event":{"message":"\\ud800"}}', b'{"event":{"n":1e400}}'])
def test_a_body_holding_what_cannot_be_stored_is_invalid_json(path, body):
    error = raised(envelopes.parse_json_body, {"content-type": "application/json"}, body)
    assert error.body["code"] == "invalid_json"
    assert_documented(path, 400, error.body, RATE_LIMIT_HEADERS)


def test_a_deployment_beyond_the_payload_limits():
    deep = json.loads('{"nested":' * 17 + "1" + "}" * 17)
    error = raised(deployment_fields.deployment_fields, {"deployment": {"release": "1", "details": deep}})
    assert (error.status, error.body["code"]) == (413, "context_depth")
    assert_documented(DEPLOYMENTS, 413, error.body, RATE_LIMIT_HEADERS)


# POST /api/v1/ingest_events


TOO_LARGE_EVENTS = {
    "message_bytes": {"message": "m" * 70_000},
    "context_depth": {"context": json.loads('{"nested":' * 17 + "1" + "}" * 17)},
    "context_keys": {"context": {f"key{index}": index for index in range(600)}},
    "array_length": {"context": {"items": list(range(1_001))}},
    "string_bytes": {"context": {"blob": "x" * 262_145}},
    "event_bytes": {"context": {f"blob{index}": "x" * 200_000 for index in range(6)}},
}


@pytest.mark.parametrize("code", TOO_LARGE_EVENTS)
def test_payload_limits(code):
    error = raised(payload_limits.check_event, {"event_type": "log", **TOO_LARGE_EVENTS[code]})
    assert error.body["code"] == code
    assert_documented(SINGLE, 413, error.body, RATE_LIMIT_HEADERS)
    assert_documented(BATCH, 413, error.body, RATE_LIMIT_HEADERS)


def test_a_missing_envelope():
    for document in ({}, {"event": {}}, {"event": "x"}, None, [1]):
        error = raised(envelopes.envelope, document, "event")
        assert set(error.body) == {"error"}
        assert_documented(SINGLE, 400, error.body)


def test_an_invalid_event():
    error = raised(normalize, {"event_type": "nope"}, project_id="p", default_environment="test", now=NOW)
    assert_documented(SINGLE, 422, error.body)


@pytest.mark.parametrize(
    "raw",
    [
        {"event_type": "error", "message": "boom", "uuid": UUID},
        {"event_type": "span", "name": "GET /", "trace_id": "t", "span_id": "s", "uuid": UUID},
    ],
    ids=["event", "span"],
)
def test_accepted_and_duplicate_events(raw):
    record = normalize(raw, project_id="p", default_environment="test", now=NOW)
    signal = SPAN_SIGNAL if raw["event_type"] == "span" else EVENT_SIGNAL
    status, body = single_accepted(record, WriteResult(created=True, uuid=record.uuid, signal=signal))
    assert status == 201 and ("type" in body) == (raw["event_type"] == "span")
    assert_documented(SINGLE, 201, body, RATE_LIMIT_HEADERS)
    assert_undocumented(SINGLE, 201, {**body, "duplicate": True})
    status, body = single_accepted(record, WriteResult(created=False, uuid=record.uuid, signal=signal))
    assert status == 200
    assert_documented(SINGLE, 200, body, RATE_LIMIT_HEADERS)


# POST /api/v1/ingest_events/batch


def _line(**fields: Any) -> str:
    return json.dumps({"event": {"event_type": "log", "message": "m", "uuid": UUID, **fields}})


@pytest.mark.parametrize(
    ("body", "encoding", "code"),
    [
        (b"\n \n", None, "empty_batch"),
        (b"{nope\n", None, "invalid_json"),
        (b"not gzip", "gzip", "invalid_gzip"),
        (b"[1]\n", None, "invalid_envelope"),
        (json.dumps({"EVENT": {"uuid": UUID}}).encode(), None, "missing_event"),
        (_line(uuid=None).encode(), None, "missing_identity"),
        (_line(uuid="nope").encode(), None, "invalid_identity"),
        (_line(event_id=OTHER_UUID).encode(), None, "conflicting_identity"),
    ],
)
def test_batch_decode_errors(body, encoding, code):
    error = raised(batch_lines.decode, body, encoding)
    assert (error.status, error.body["code"]) == (400, code)
    assert_documented(BATCH, 400, error.body, RATE_LIMIT_HEADERS)


def test_batch_size_limits():
    many = "\n".join(_line() for _ in range(101)).encode()
    for body, encoding, code in [
        (many, None, "event_count"),
        (b"x" * (payload_limits.MAX_WIRE_BYTES + 1), None, "compressed_bytes"),
        (gzip.compress(b"\n" * (batch_lines.MAX_DECOMPRESSED_BYTES + 1)), "gzip", "decompressed_bytes"),
        (gzip.compress(b"") * (batch_lines.MAX_GZIP_MEMBERS + 1), "gzip", "gzip_members"),
    ]:
        error = raised(batch_lines.decode, body, encoding)
        assert (error.status, error.body["code"]) == (413, code)
        assert_documented(BATCH, 413, error.body, RATE_LIMIT_HEADERS)


def test_batch_unsupported_media_types():
    for error in (
        raised(batch_lines.check_media_type, {"content-type": "application/json"}),
        raised(batch_lines.decode, _line().encode(), "br, gzip"),
    ):
        assert error.status == 415
        assert_documented(BATCH, 415, error.body, RATE_LIMIT_HEADERS)


def _entries() -> list[Entry]:
    lines = batch_lines.decode(
        f"{_line()}\n{_line(uuid=OTHER_UUID, event_type='span', trace_id='t', span_id='s')}".encode(), None
    )
    entries = []
    for line in lines:
        record = normalize(line.event, project_id="p", default_environment="test", now=NOW)
        entries.append(Entry(line=line, kind="span" if line.event["event_type"] == "span" else "event", record=record))
    return entries


@pytest.mark.parametrize("batch_id", [None, "b" * 128])
def test_an_accepted_batch(batch_id):
    entries = _entries()
    entries[1].duplicate_of = OTHER_UUID
    body = _accepted(entries, batch_id)
    assert (body["accepted"], body["duplicates"]) == (2, 1)
    assert_documented(BATCH, 202, body, RATE_LIMIT_HEADERS)


def test_a_rejected_batch():
    entries = _entries()
    entries.append(Entry(line=entries[0].line, kind="event", duplicate_of=UUID, repeat=True))
    entries[1].errors = ["Trace can't be blank"]
    body = _rejected(entries, batch_lines.batch_id({"x-logister-batch-id": "c" * 300}))
    assert [result["status"] for result in body["results"]] == ["rolled_back", "rejected", "accepted"]
    assert body["results"][0]["errors"] == [ROLLED_BACK] and len(body["batch_id"]) == 128
    assert_documented(BATCH, 422, body, RATE_LIMIT_HEADERS)
    assert_undocumented(BATCH, 202, body)


# POST /api/v1/check_ins and /api/v1/deployments


def test_check_in_answers():
    for document in ({}, {"payload": {"slug": "x"}}, None):
        assert_documented(CHECK_INS, 400, raised(check_in_fields.check_in_fields, document).body)
    fields = check_in_fields.check_in_fields({"slug": "nightly", "uuid": "nope"})
    assert_documented(
        CHECK_INS, 422, raised(check_in_fields.check_in_event, fields, default_environment="t", now=NOW).body
    )
    event, _ = check_in_fields.check_in_event(
        check_in_fields.check_in_fields({"CHECK_IN": {"slug": "nightly"}}), default_environment="t", now=NOW
    )
    assert_documented(CHECK_INS, 201, {"id": event.uuid, "status": "accepted"}, RATE_LIMIT_HEADERS)
    assert_documented(CHECK_INS, 200, {"id": event.uuid, "status": "accepted", "duplicate": True})
    assert_undocumented(CHECK_INS, 201, {"id": event.uuid, "legacy_id": 1, "status": "accepted"})


def test_deployment_answers():
    assert_documented(DEPLOYMENTS, 400, raised(deployment_fields.deployment_fields, {"x": 1}).body)
    fields = deployment_fields.deployment_fields({"deployment": {"release": "1", "commitSha": "zz"}})
    error = raised(deployment_fields.deployment, fields, project_id="p", default_environment="t", now=NOW)
    assert len(error.body["errors"]) == 2
    assert_documented(DEPLOYMENTS, 422, error.body)
    fields = deployment_fields.deployment_fields({"release": "1", "repository": "acme/x", "commit_sha": "ABCDEF1"})
    record = deployment_fields.deployment(fields, project_id="p", default_environment="t", now=NOW)
    body = {"id": record.id, "legacy_id": legacy_id(record.id), "status": "accepted"}
    assert_documented(DEPLOYMENTS, 201, body, RATE_LIMIT_HEADERS)
