"""One sanitized warning per rejected submission (every 4xx of a public route): "rejected submission".

Logister reports its rejected client submissions the same way (ClientSubmissionMonitoring): the
reason, the request's metadata, the caller's project when its token was valid, and the keys of the
body, never a value and never the token. The line stays small whatever the body (a bounded number
of keys, each truncated), and costs little: the body is summarized only for a caller whose token
was valid (an anonymous flood costs no body work, and Logister does not summarize 401s either), a
JSON body is read at most once (PublicRequest.json_document), a batch only up to its first line,
and nothing past the wire cap. A failure here is logged and swallowed: a 4xx never becomes a 500.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping
from itertools import islice
from typing import Any

from logister_common.contract.envelopes import load_json
from logister_common.contract.errors import BadRequest
from logister_common.contract.key_casing import underscore
from logister_common.contract.payload_limits import MAX_WIRE_BYTES
from logister_common.edge.answers import Answer
from logister_common.edge.request import Admission, PublicRequest
from logister_common.runtime.telemetry import logger

MESSAGE = "rejected submission"
MAX_KEYS = 50
MAX_KEY_CHARS = 64
MAX_HEADER_CHARS = 256
# The envelope each endpoint label reads (Logister's client_submission_expected_envelope_keys).
_ENVELOPES = {"ingest": "event", "check_in": "check_in", "deployment": "deployment"}
# Rails' ParamsWrapper: a body without the envelope is wrapped in it (contract/check_in_fields.py).
_ROOT_WRAPPED = frozenset({"check_in", "deployment"})
_REASONS_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
}
_GZIP_CHUNK = 64 * 1024


def log_rejection(event: Mapping[str, Any], request: PublicRequest | None, answer: Answer) -> None:
    """Log the rejection `answer` to `event` (`request` is None when the event could not be read)."""
    try:
        logger.warning(MESSAGE, extra=rejection_fields(event, request, answer))
    except Exception as error:  # the client's answer matters more than its diagnostic
        # The type only: an exception's message could quote the body.
        logger.warning("rejected submission not logged", extra={"error": type(error).__name__})


def rejection_fields(event: Mapping[str, Any], request: PublicRequest | None, answer: Answer) -> dict[str, Any]:
    """The log line's fields; those without a value are left out."""
    http = (event.get("requestContext") or {}).get("http") or {}
    path = str(event.get("rawPath") or http.get("path") or "")
    admission = request.admission if request is not None else Admission()
    headers = request.headers if request is not None else {}
    fields: dict[str, Any] = {
        "reason": _reason(answer, admission, path),
        "status": answer.status,
        "endpoint": admission.endpoint,
        "method": _text(http.get("method")),
        "path": _text(path),
        "user_agent": _text(headers.get("user-agent")),
        "content_type": _text(headers.get("content-type")),
        "content_length": len(request.body) if request is not None else len(event.get("body") or ""),
        "source_ip": request.source_ip if request is not None else _text(http.get("sourceIp")),
        "token_id": admission.token_id,
        "project_id": admission.project_id,
    }
    if request is not None and admission.token_id is not None:
        fields.update(_key_summary(request))
    return {name: value for name, value in fields.items() if value is not None and value != ""}


def _reason(answer: Answer, admission: Admission, path: str) -> str:
    """The error's code; else Logister's reason for the case (missing_event_envelope, invalid_batch,
    invalid_api_key...); else one per status."""
    code = answer.body.get("code")
    if isinstance(code, str) and code:
        return code
    if answer.status == 401 and admission.auth_failure:
        return admission.auth_failure
    envelope = _ENVELOPES.get(admission.endpoint or "")
    if answer.status == 422:
        if path.rstrip("/").removesuffix(".json").endswith("/batch"):
            return "invalid_batch"
        if envelope:
            return f"invalid_{envelope}"
    if answer.status == 400 and envelope:
        return f"missing_{envelope}_envelope"
    return _REASONS_BY_STATUS.get(answer.status, f"http_{answer.status}")


def _key_summary(request: PublicRequest) -> dict[str, list[str]]:
    """root_keys, envelope_keys and payload_keys (the envelope's, snake_cased) of the body's JSON
    object, or of an NDJSON batch's first line; nothing when it does not parse as one."""
    if len(request.body) > MAX_WIRE_BYTES:
        return {}
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type in ("application/x-ndjson", "application/ndjson"):
        document, envelope_name = _first_line(request), "event"  # the batch decoder reads `event` only
    else:
        document = _json_document(request)
        envelope_name = _ENVELOPES.get(request.admission.endpoint or "", "")
    if not isinstance(document, dict):
        return {}
    summary = {"root_keys": _keys(document)}
    # The envelope as the endpoints read it: `name`, else `NAME`, else (check-ins, deployments) the root.
    envelope = document.get(envelope_name) if envelope_name in document else document.get(envelope_name.upper())
    if not isinstance(envelope, dict) and envelope_name in _ROOT_WRAPPED:
        envelope = document
    if envelope_name and isinstance(envelope, dict):
        summary["envelope_keys"] = _keys(envelope)
        summary["payload_keys"] = sorted({underscore(key) for key in summary["envelope_keys"]})
    return summary


def _json_document(request: PublicRequest) -> Any:
    """The document the endpoint read, or read now (a 429 answered before the endpoint read it)."""
    try:
        return request.json_document()
    except BadRequest:
        return None


def _first_line(request: PublicRequest) -> Any:
    """The first non-blank line of an NDJSON body, parsed; None when it is not JSON.

    The batch decoder keeps no envelopes, so this reads one line again: at most the wire cap of
    decompressed bytes, from the first gzip member only.
    """
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity", "gzip"):
        return None
    chunks = _gunzipped(request.body) if encoding == "gzip" else iter((request.body,))
    text = bytearray()
    start = 0
    try:
        for chunk in chunks:
            text += chunk
            while (end := text.find(b"\n", start)) != -1:
                if text[start:end].strip():
                    return load_json(text[start:end].decode("utf-8"))
                start = end + 1
        return load_json(text[start:].decode("utf-8")) if len(text) <= MAX_WIRE_BYTES else None
    except (zlib.error, UnicodeDecodeError, ValueError, RecursionError):
        return None


def _gunzipped(body: bytes) -> Iterator[bytes]:
    """The first gzip member's output in chunks, stopping one byte past the wire cap."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    view = memoryview(body)
    produced = 0
    for offset in range(0, len(view), _GZIP_CHUNK):
        chunk = decompressor.decompress(view[offset : offset + _GZIP_CHUNK], MAX_WIRE_BYTES + 1 - produced)
        produced += len(chunk)
        yield chunk
        if produced > MAX_WIRE_BYTES or decompressor.eof:
            return


def _keys(document: dict[str, Any]) -> list[str]:
    """At most MAX_KEYS of its keys (the first ones sent), each truncated, sorted."""
    return sorted({key[:MAX_KEY_CHARS] for key in islice(document, MAX_KEYS)})


def _text(value: Any) -> str | None:
    """A header or request value, truncated; characters UTF-8 cannot encode are replaced."""
    if value is None:
        return None
    return str(value)[:MAX_HEADER_CHARS].encode("utf-8", "replace").decode("utf-8")
