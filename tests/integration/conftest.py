from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pytest

from local.lambda_runtime import FakeLambdaContext
from logister_common.container import reset_container_state
from logister_common.operator import provisioning
from logister_common.operator.provisioning import IssuedToken
from tests.support import AwsCalls, AwsInterceptor, Fault, Reply, http_event, intercepted_aws


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
        reset_container_state()

    return apply


@pytest.fixture
def aws_calls() -> Iterator[AwsInterceptor]:
    """Every AWS call the test makes, whichever client makes it, goes through this interceptor."""
    with intercepted_aws() as interceptor:
        yield interceptor


@pytest.fixture
def record_calls(aws_calls: AwsInterceptor) -> Callable[..., AwsCalls]:
    """`record_calls("dynamodb", "GetItem")`: the AWS calls (of that service, that operation) made from then on."""
    return aws_calls.record


@pytest.fixture
def inject_fault(aws_calls: AwsInterceptor) -> Callable[..., Fault]:
    """`inject_fault("PutItem", error, table=..., skip=..., times=...)`: AWS calls failing on purpose from then on
    (or, given a function instead of an error, another writer acting just before them)."""
    return aws_calls.inject


def poster(handler: Callable, function_name: str, path: str) -> Callable[..., Reply]:
    def post(body, **options) -> Reply:
        context = FakeLambdaContext(function_name=function_name, memory_limit_in_mb=512, timeout_seconds=10)
        return Reply(handler(http_event(body, path=options.pop("path", path), **options), context))

    return post


@pytest.fixture
def ingest(aws) -> Callable[..., Reply]:
    """POST to the ingest function through its real Lambda handler."""
    import ingest_handler

    reset_container_state()
    return poster(ingest_handler.lambda_handler, "IngestFunction", "/api/v1/ingest_events")


@pytest.fixture
def check_in(aws) -> Callable[..., Reply]:
    """POST to the check-in function through its real Lambda handler."""
    import checkin_handler

    reset_container_state()
    return poster(checkin_handler.lambda_handler, "CheckinFunction", "/api/v1/check_ins")


@pytest.fixture
def batch(ingest) -> Callable[..., Reply]:
    """POST an NDJSON body to /api/v1/ingest_events/batch (gzip unless told otherwise)."""

    def post(body: bytes, *, encoding: str | None = "gzip", headers: dict | None = None, **options) -> Reply:
        all_headers = {"Content-Encoding": encoding} if encoding else {}
        all_headers.update(headers or {})
        options.setdefault("content_type", "application/x-ndjson")
        return ingest(body, path="/api/v1/ingest_events/batch", headers=all_headers, **options)

    return post


@pytest.fixture
def deliver_streams(aws, template) -> Callable[[], int]:
    """Deliver pending stream records through the real stream functions, as Lambda's event source
    mappings would (error-group counting, monitor alerts); returns how many were delivered."""
    import boto3

    from local.lambda_runtime import load_template_functions
    from local.streams import StreamPoller, stream_sources, stream_subscriptions, streams_client
    from tests.conftest import ROOT

    sources = stream_sources(template, aws.params)
    functions = load_template_functions(template, ROOT, [source.function_id for source in sources], aws.params)
    subscriptions = stream_subscriptions(sources, functions, aws.stream_arns(), aws.queue_urls())
    poller = StreamPoller(subscriptions, streams_client(), boto3.client("sqs"))
    return poller.poll_once


@pytest.fixture
def logged() -> Iterator[Callable[[], str]]:
    """Everything the functions' Powertools logger writes from then on, as it writes it (JSON lines)."""
    from logister_common.runtime.telemetry import logger

    stream = io.StringIO()
    previous = logger.registered_handler.setStream(stream)
    yield stream.getvalue
    logger.registered_handler.setStream(previous)
