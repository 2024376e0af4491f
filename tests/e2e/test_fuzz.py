"""Schemathesis against the local API with our openapi.yaml: no 5xx, every response as documented.

A bounded run here (FUZZ_EXAMPLES per operation); `make fuzz` runs at least 2,000 requests.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.conftest import LocalApi, running_local_api

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@schemathesis.serializer("application/x-ndjson", "application/ndjson")
def ndjson_body(ctx: object, value: object) -> bytes:
    """The batch body is documented as binary: send what was generated, as bytes."""
    return value if isinstance(value, bytes) else str(value).encode()


schema = schemathesis.openapi.from_path(ROOT / "openapi.yaml")
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalApi]:
    unlimited = {
        "LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS": "10000000",
        "LOGISTER_PUBLIC_API_PRE_AUTH_RATE_LIMIT_REQUESTS": "10000000",
        "LOGISTER_PUBLIC_API_AUTH_FAILURE_RATE_LIMIT_REQUESTS": "10000000",
    }
    with running_local_api(tmp_path_factory.mktemp("fuzz"), **unlimited) as running:
        yield running
        statuses = [int(match) for match in re.findall(r'HTTP/1\.1" (\d{3})', running.stderr())]
        print(f"\nfuzzed {len(statuses)} requests; status counts {dict(sorted(Counter(statuses).items()))}")
        assert not [status for status in statuses if status >= 500]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_documented(case, api):
    case.call_and_validate(base_url=api.url, headers={"Authorization": f"Bearer {api.token}"}, checks=CHECKS)
