"""The answers we give, and the one place where exceptions become HTTP answers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from logister_common.contract.errors import ApiError, StoreUnavailable
from logister_common.runtime.telemetry import count, logger

if TYPE_CHECKING:  # annotations only: the request path never imports the declarations
    from logister_common.edge.response_bodies import ResponseBody

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class Answer(NamedTuple):
    status: int
    body: ResponseBody
    headers: Mapping[str, str] = MappingProxyType({})  # immutable: the default is shared

    def to_lambda(self) -> dict[str, Any]:
        """The API Gateway HTTP API (payload v2) response."""
        return {
            "statusCode": self.status,
            "headers": {**self.headers, "Content-Type": JSON_CONTENT_TYPE},
            "body": json.dumps(self.body, separators=(",", ":")),
            "isBase64Encoded": False,
        }


def answer_for(error: Exception) -> Answer:
    """The one place exceptions become HTTP answers."""
    if isinstance(error, StoreUnavailable):
        logger.warning("store unavailable", extra={"store": error.store}, exc_info=True)
        count(f"unavailable_{error.store}")
        return Answer(error.status, error.body, error.headers)
    if isinstance(error, ApiError):
        count(f"rejected_{error.body.get('code') or type(error).__name__}")
        return Answer(error.status, error.body, error.headers)
    logger.exception("unhandled error")
    return Answer(500, {"error": "Internal server error"})
