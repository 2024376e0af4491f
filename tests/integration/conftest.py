from __future__ import annotations

from collections.abc import Callable

import pytest

from local.lambda_runtime import FakeLambdaContext
from logister_common import provisioning
from logister_common.provisioning import IssuedToken
from tests.conftest import reset_caches
from tests.support import Reply, http_event


@pytest.fixture
def project(aws) -> IssuedToken:
    """A project with one active token."""
    return provisioning.issue_token(provisioning.create_project("tests"))


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Set environment variables the functions read once per container, as a new container would."""

    def apply(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        from logister_common.settings import get_settings

        get_settings.cache_clear()

    return apply


@pytest.fixture
def ingest(aws) -> Callable[..., Reply]:
    """POST to the ingest function through its real Lambda handler."""
    import ingest_handler

    def post(body, **options) -> Reply:
        context = FakeLambdaContext(function_name="IngestFunction", memory_limit_in_mb=512, timeout_seconds=10)
        return Reply(ingest_handler.lambda_handler(http_event(body, **options), context))

    reset_caches()
    return post
