"""Who may send what, in Logister's pipeline order (contract §0):

pre-auth IP guard -> wire cap -> authentication (auth-failure limit) -> accepted-request limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from logister_common.admission import credentials, rate_limits
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


@dataclass(frozen=True, slots=True)
class Caller:
    credential: Credential
    rate_limit_headers: dict[str, str] = field(default_factory=dict)

    @property
    def project_id(self) -> str:
        return self.credential.project_id


def admit(request: PublicRequest, endpoint: str, *, wire_cap: bool) -> Caller:
    """Authenticate and count the request, or raise the answer (401, 413, 429)."""
    settings = get_settings()
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
        headers = failure.headers() if failure else {}
        if failure is not None and failure.limited:
            raise RateLimited(failure.body(), headers)
        raise Unauthorized(headers)

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
    if accepted is None:
        return caller
    headers = accepted.headers()
    if accepted.limited:
        raise RateLimited(accepted.body(), headers)
    return Caller(credential=credential, rate_limit_headers=headers)


_pre_auth_counter = BufferedCounter()


def start_fresh() -> None:
    """Forget this container's buffered counts and cached tokens, as a new container would (tests)."""
    global _pre_auth_counter  # noqa: PLW0603 - per-container state by design
    _pre_auth_counter = BufferedCounter()
    credentials.forget_all()


def _pre_auth_check(client_ip: str, limit: int, period: int) -> Decision | None:
    try:
        return _pre_auth_counter.check(client_ip, limit, period, epoch_seconds(), rate_limits_table.increment)
    except StoreUnavailable:
        logger.warning("public API rate limiting skipped", extra={"kind": "pre_auth"}, exc_info=True)
        count("rate_limit_skipped")
        return None


def check_limit(kind: Kind, endpoint: str, identity: str, limit: int, period: int, amount: int = 1) -> Decision | None:
    """Count `amount` against the window; None when the counter store failed (fail open, as Logister)."""
    now = epoch_seconds()
    current = rate_limits.window(now, period)
    key = rate_limits.counter_key(kind, endpoint, identity, current.start)
    try:
        total = rate_limits_table.increment(key, amount, rate_limits.expires_at(current))
    except StoreUnavailable:
        logger.warning("public API rate limiting skipped", extra={"kind": kind}, exc_info=True)
        count("rate_limit_skipped")
        return None
    return rate_limits.decide(total, limit, period, current, now)
