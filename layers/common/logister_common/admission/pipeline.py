"""Who may send what, in Logister's pipeline order (contract §0):

pre-auth IP guard -> wire cap -> authentication (auth-failure limit) -> accepted-request limit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import NamedTuple

from logister_common.admission import credentials, rate_limits
from logister_common.admission.local_limits import LocalCounter, local_limit
from logister_common.admission.pre_auth import BufferedCounter
from logister_common.admission.rate_limits import Decision, Kind
from logister_common.admission.tokens import digest, extract_token
from logister_common.contract.errors import ApiError, RateLimited, StoreUnavailable, Unauthorized
from logister_common.contract.payload_limits import MAX_WIRE_BYTES, request_too_large
from logister_common.edge.request import PublicRequest
from logister_common.runtime.clock import epoch_seconds
from logister_common.runtime.settings import get_settings
from logister_common.runtime.telemetry import count, logger
from logister_common.storage import rate_limits_table
from logister_common.storage.auth_table import Credential


class Caller(NamedTuple):
    credential: Credential
    rate_limit_headers: Mapping[str, str] = MappingProxyType({})  # none until charged

    @property
    def project_id(self) -> str:
        return self.credential.project_id


def admit(request: PublicRequest, endpoint: str, *, wire_cap: bool) -> Caller:
    """Authenticate and count the request, or raise the answer (401, 413, 429)."""
    settings = get_settings()
    request.admission.endpoint = endpoint
    client_ip = f"ip:{request.source_ip}"
    pre_auth = _pre_auth_check(client_ip, settings.pre_auth_rate_limit_requests, settings.rate_limit_period_seconds)
    if pre_auth is not None and pre_auth.limited:
        raise RateLimited(pre_auth.body(), pre_auth.headers())
    if wire_cap and len(request.body) > MAX_WIRE_BYTES:
        raise request_too_large()

    token = extract_token(request.headers)
    credential = credentials.find(digest(token)) if token else None
    period = (credential and credential.rate_limit_period_seconds) or settings.rate_limit_period_seconds
    if credential is None or credential.revoked:
        # The override of the project owning a revoked token applies (Logister pins this).
        limit = (
            credential and credential.auth_failure_rate_limit_requests
        ) or settings.auth_failure_rate_limit_requests
        failure = check_limit("auth_failure", endpoint, client_ip, limit, period)
        if failure.limited:
            raise RateLimited(failure.body(), failure.headers())
        request.admission.auth_failure = (
            "missing_api_key" if token is None else "invalid_api_key" if credential is None else "revoked_api_key"
        )
        raise Unauthorized(failure.headers())

    request.admission.token_id, request.admission.project_id = credential.token_id, credential.project_id
    return charge(Caller(credential=credential), endpoint, 1)


@contextmanager
def answering(caller: Caller) -> Iterator[None]:
    """Every answer after admission carries the caller's X-RateLimit-* headers, errors included."""
    try:
        yield
    except ApiError as error:
        error.headers = {**caller.rate_limit_headers, **error.headers}
        raise


def charge(caller: Caller, endpoint: str, amount: int) -> Caller:
    """Count `amount` units against the caller's accepted-request limit (a batch counts its events).

    Returns the caller with this check's headers, or raises 429 (the units stay counted).
    """
    settings = get_settings()
    credential = caller.credential
    limit = credential.rate_limit_requests or settings.rate_limit_requests
    period = credential.rate_limit_period_seconds or settings.rate_limit_period_seconds
    accepted = check_limit("accepted", endpoint, f"api_key:{credential.token_id}", limit, period, amount)
    headers = accepted.headers()
    if accepted.limited:
        raise RateLimited(accepted.body(), headers)
    return Caller(credential=credential, rate_limit_headers=headers)


_pre_auth_counter = BufferedCounter()
_fallback_counter = LocalCounter()


def start_fresh() -> None:
    """Forget this container's buffered and fallback counts and cached tokens, as a new container would (tests)."""
    global _pre_auth_counter, _fallback_counter  # noqa: PLW0603 - per-container state by design
    _pre_auth_counter = BufferedCounter()
    _fallback_counter = LocalCounter()
    credentials.forget_all()


def _pre_auth_check(client_ip: str, limit: int, period: int) -> Decision | None:
    now = epoch_seconds()
    try:
        return _pre_auth_counter.check(client_ip, limit, period, now, rate_limits_table.increment)
    except StoreUnavailable:
        return _check_locally("pre_auth", "all", client_ip, limit, period, 1, now)


def check_limit(kind: Kind, endpoint: str, identity: str, limit: int, period: int, amount: int = 1) -> Decision:
    """Count `amount` against the window: shared and exact, or this container's share when the store fails."""
    now = epoch_seconds()
    current = rate_limits.window(now, period)
    key = rate_limits.counter_key(kind, endpoint, identity, current.start)
    try:
        total = rate_limits_table.increment(key, amount, rate_limits.expires_at(current))
    except StoreUnavailable:
        return _check_locally(kind, endpoint, identity, limit, period, amount, now)
    return rate_limits.decide(total, limit, period, current, now)


def _check_locally(
    kind: Kind, endpoint: str, identity: str, limit: int, period: int, amount: int, now: float
) -> Decision:
    """The bounded fail-open (local_limits): Logister would let the request through unlimited."""
    logger.warning("public API rate limiting fell back to this container's share", extra={"kind": kind}, exc_info=True)
    count("rate_limit_skipped")  # the name the RateLimitSkippedAlarm reads
    current = rate_limits.window(now, period)
    share = local_limit(limit, get_settings().rate_limit_fail_open_containers)
    key = rate_limits.counter_key(kind, endpoint, identity, current.start)
    return _fallback_counter.check(key, amount, share, period, current, now)
