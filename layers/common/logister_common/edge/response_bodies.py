"""Every JSON body the public API answers, declared once.

The endpoints build their bodies as these types and import them for type checking only
(`if TYPE_CHECKING`): a TypedDict's values are plain dicts, so the request path never loads this
module. tests/unit/test_openapi.py holds openapi.yaml's response schemas to exactly these
declarations (through pydantic, at test time). Error bodies are built as plain dicts where they
are raised (ApiError.body, mostly in the contract layer, below this one); their shapes are the
`...Error` types below.
"""

from typing import Any, Literal, NotRequired, TypedDict

EntryType = Literal["event", "span"]

# 2xx


class EventAccepted(TypedDict):
    """201 from POST /api/v1/ingest_events."""

    id: str
    legacy_id: int
    status: Literal["accepted"]
    type: NotRequired[Literal["span"]]  # spans only


class EventDuplicate(EventAccepted):
    """200 from POST /api/v1/ingest_events: the uuid was already accepted, the original is returned."""

    duplicate: Literal[True]


class CheckInAccepted(TypedDict):
    """201 from POST /api/v1/check_ins (no legacy_id)."""

    id: str
    status: Literal["accepted"]
    check_in_id: NotRequired[str]  # the run id the client sent, echoed


class CheckInDuplicate(CheckInAccepted):
    """200 from POST /api/v1/check_ins."""

    duplicate: Literal[True]


class DeploymentAccepted(TypedDict):
    """201 from POST /api/v1/deployments, for a new deployment or an update of one."""

    id: str
    legacy_id: int
    status: Literal["accepted"]


class BatchEntryAccepted(TypedDict):
    """An entry stored, newly or as a duplicate of a stored record or of an earlier entry."""

    index: int
    status: Literal["accepted"]
    type: EntryType
    id: str
    legacy_id: int
    duplicate: bool


class BatchEntryFailed(TypedDict):
    """An entry that failed validation (rejected), or was valid but not stored (rolled_back)."""

    index: int
    status: Literal["rejected", "rolled_back"]
    type: EntryType
    errors: list[str]


class BatchBody(TypedDict):
    """What both batch answers begin with."""

    schema_version: Literal[1]
    batch_id: NotRequired[str]  # the X-Logister-Batch-Id header, when one was sent


class BatchAccepted(BatchBody):
    """202 from POST /api/v1/ingest_events/batch."""

    status: Literal["accepted"]
    accepted: int
    duplicates: int
    results: list[BatchEntryAccepted]


class BatchRejected(BatchBody):
    """422 from POST /api/v1/ingest_events/batch: nothing new was stored."""

    status: Literal["rejected"]
    results: list[BatchEntryFailed | BatchEntryAccepted]


# Errors


class BadRequestError(TypedDict):
    """400 from the JSON endpoints: no code when the envelope is missing or unusable."""

    error: str
    code: NotRequired[Literal["invalid_json", "invalid_body"]]


class BatchBadRequestError(TypedDict):
    """400 from the batch endpoint."""

    error: str
    code: Literal[
        "invalid_json",
        "invalid_gzip",
        "empty_batch",
        "invalid_envelope",
        "missing_event",
        "missing_identity",
        "invalid_identity",
        "conflicting_identity",
        "invalid_body",
    ]


class UnauthorizedError(TypedDict):
    """401."""

    error: Literal["Unauthorized"]


class RequestTooLargeError(TypedDict):
    """413 for a body over the 2 MiB wire cap of the JSON endpoints."""

    error: str
    code: Literal["request_bytes"]
    limit: int


class PayloadLimitError(TypedDict):
    """413 for a raw event that breaks a payload limit."""

    error: str
    code: Literal["message_bytes", "context_depth", "context_keys", "array_length", "string_bytes", "event_bytes"]
    limit: int
    actual: int


class BatchLimitError(TypedDict):
    """413 for a batch over its compressed, decompressed, gzip-member or event-count limit."""

    error: str
    code: Literal["compressed_bytes", "decompressed_bytes", "gzip_members", "event_count"]


class UnsupportedMediaTypeError(TypedDict):
    """415 from the batch endpoint."""

    error: str
    code: Literal["unsupported_content_type", "unsupported_encoding"]


class UnprocessableError(TypedDict):
    """422: the envelope was read, validation failed (Logister's model messages)."""

    errors: list[str]


class RateLimitError(TypedDict):
    """429."""

    error: Literal["Rate limit exceeded"]
    limit: int
    window_seconds: int
    retry_after: int


class StoreUnavailableError(TypedDict):
    """503: nothing was accepted, retry after Retry-After seconds."""

    error: Literal["Service temporarily unavailable, retry later"]
    code: Literal["store_unavailable"]


# What an Answer carries: a body the endpoints build, or an ApiError's plain dict.
ResponseBody = (
    EventAccepted
    | EventDuplicate
    | CheckInAccepted
    | CheckInDuplicate
    | DeploymentAccepted
    | BatchAccepted
    | BatchRejected
    | dict[str, Any]
)
