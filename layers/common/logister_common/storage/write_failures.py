"""Which failed writes retrying cannot fix: the data is at fault, not the store.

The API answers those with a 422 instead of a 503 (store_failure). A stream consumer skips the
records behind such a write at once (reporting them to StreamFailureQueue) instead of retrying them
for hours; every other failure (throttling, a 5xx, a timeout, a conflicting transaction, even
missing permissions) is retried, because a retry, or an operator, can make it succeed.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from logister_common.contract.errors import ApiError, StoreUnavailable, Unprocessable

# Whole-call errors: the request itself is invalid (an item over 400 KB, an empty key, a bad value).
_PERMANENT_CODES = frozenset({"ValidationException", "SerializationException", "IdempotentParameterMismatchException"})
# A cancelled transaction's per-action reasons that say the same of one action.
_PERMANENT_REASONS = frozenset({"ValidationError", "ItemCollectionSizeLimitExceeded"})


def failed_for_good(error: Exception) -> bool:
    """True when writing the same data again can only fail again."""
    if isinstance(error, ParamValidationError):
        return True
    if isinstance(error, StoreUnavailable | BotoCoreError):
        return False  # connection failures, timeouts, and our own store calls' verdict of the same
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        if code != "TransactionCanceledException":
            return code in _PERMANENT_CODES
        reasons = {reason.get("Code") for reason in error.response.get("CancellationReasons") or []} - {"None", None}
        return bool(reasons) and reasons <= _PERMANENT_REASONS
    return True  # not the store's: our own code could not render these values, and never will


def store_failure(store: str, error: ClientError | BotoCoreError) -> ApiError:
    """The answer to a failed write: a 422 when the same data can only fail again (an item over
    400 KB, a number DynamoDB cannot hold), else a retryable 503."""
    if failed_for_good(error):
        code = error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""
        return Unprocessable(f"Record cannot be stored: the store refused it ({code or type(error).__name__})")
    return StoreUnavailable(store)


def not_applied(error: BaseException | None) -> bool:
    """True when the store answered that it did not apply the write (any 4xx: a refusal, a throttle,
    a cancelled transaction); a timeout or a 5xx leaves that unknown."""
    if not isinstance(error, ClientError):
        return False
    status: int = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500)
    return 400 <= status < 500


def reason(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"
