"""Cost per million events on AWS, from the measured calls, capacity units and CPU time.

Prices: us-east-1 on-demand list prices, November 2026 (change them here).
Duration model: Lambda bills each invocation's wall time in 1 ms steps. A function with M MB gets
M/1769 of a vCPU, so the measured CPU time (ours plus botocore's, at one full core) stretches by
1769/M; each DynamoDB call adds DYNAMODB_CALL_MS of waiting, an in-region p50 (an assumption: it
cannot be measured without AWS).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

HTTP_API_PER_MILLION_REQUESTS = 1.00
LAMBDA_PER_MILLION_REQUESTS = 0.20
LAMBDA_ARM_PER_GB_SECOND = 0.0000133334
DYNAMODB_PER_MILLION_WRITE_UNITS = 0.625
DYNAMODB_PER_MILLION_READ_UNITS = 0.125
S3_PER_THOUSAND_PUTS = 0.005
FULL_VCPU_MB = 1769
DYNAMODB_CALL_MS = 6.0


@dataclass(frozen=True, slots=True)
class RequestProfile:
    events_per_request: int
    cpu_ms: float  # at one full core, ours plus botocore's
    dynamodb_calls: float
    write_units: float
    read_units: float
    s3_puts: float = 0.0


def duration_ms(profile: RequestProfile, memory_mb: int) -> float:
    return math.ceil(profile.cpu_ms * FULL_VCPU_MB / memory_mb + profile.dynamodb_calls * DYNAMODB_CALL_MS)


def per_million_events(profile: RequestProfile, memory_mb: int) -> dict[str, float]:
    """The breakdown in dollars per million events."""
    requests = 1_000_000 / profile.events_per_request
    seconds = duration_ms(profile, memory_mb) / 1000
    breakdown = {
        "http_api": requests * HTTP_API_PER_MILLION_REQUESTS / 1e6,
        "lambda_requests": requests * LAMBDA_PER_MILLION_REQUESTS / 1e6,
        "lambda_duration": requests * seconds * memory_mb / 1024 * LAMBDA_ARM_PER_GB_SECOND,
        "dynamodb_writes": requests * profile.write_units * DYNAMODB_PER_MILLION_WRITE_UNITS / 1e6,
        "dynamodb_reads": requests * profile.read_units * DYNAMODB_PER_MILLION_READ_UNITS / 1e6,
        "s3_overflow": requests * profile.s3_puts * S3_PER_THOUSAND_PUTS / 1e3,
    }
    breakdown["total"] = sum(breakdown.values())
    return {name: round(value, 4) for name, value in breakdown.items()}
