"""Each function's IAM statements in template.yaml are exactly what its code calls: no more, no less.

moto does not enforce IAM, so a missing permission would first show as AccessDenied after `sam deploy`,
and a needless one would never show at all. Here every function runs through its real handler (HTTP
routes, the schedule, the stream event source mappings) over every path that touches AWS, each AWS
call is recorded with the IAM action and resource it needs, and both directions are checked: every
call is allowed by a statement, and every action on every resource a statement grants is used.
Permissions SAM adds itself (logs, X-Ray, stream reads, the OnFailure queue) are not in Policies.
"""

from __future__ import annotations

import fnmatch
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local.apigw import HttpRequest, build_event
from local.lambda_runtime import LocalFunction, load_template_functions
from local.streams import StreamPoller, stream_sources, stream_subscriptions, streams_client
from local.template import FUNCTION_TYPE, resolve, resources_of_type, routes
from tests.conftest import ROOT
from tests.support import BATCH_PATH, AwsCalls, Reply, http_event, ndjson

REGION, ACCOUNT = "us-east-1", "123456789012"
Permission = tuple[str, str]  # (IAM action, resource ARN)
CALLS_NO_AWS = {"ApiDocsFunction"}  # serves files from its own package
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def table_arn(name: str, index: str | None = None) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}" + (f"/index/{index}" if index else "")


def permissions_needed(service: str, operation: str, params: dict[str, Any]) -> list[Permission]:
    """The IAM (action, resource) pairs one API call needs."""
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            return [
                (f"dynamodb:{TRANSACT_ACTIONS[kind]}", table_arn(action["TableName"]))
                for item in params["TransactItems"]
                for kind, action in item.items()
            ]
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [(f"dynamodb:{operation}", table_arn(table)) for table in params["RequestItems"]]
        return [(f"dynamodb:{operation}", table_arn(params["TableName"], params.get("IndexName")))]
    if service == "s3":
        return [(f"s3:{operation}", f"arn:aws:s3:::{params['Bucket']}/{params['Key']}")]
    if service == "sns":
        return [(f"sns:{operation}", params["TopicArn"])]
    if service == "sqs":  # a queue URL ends in <account>/<name>
        account, name = params["QueueUrl"].rstrip("/").split("/")[-2:]
        return [(f"sqs:{operation}", f"arn:aws:sqs:{REGION}:{account}:{name}")]
    raise AssertionError(f"no IAM mapping for {service}.{operation}: add one")


class CallRecorder:
    """Records the permissions each function's AWS calls need, attributed to the function running."""

    def __init__(self, calls: AwsCalls) -> None:
        self.calls = calls  # every AWS call of this process, recorded from now on
        self.needed: dict[str, set[Permission]] = defaultdict(set)

    def attributed(self, function: LocalFunction) -> LocalFunction:
        def handler(event: dict[str, Any], context: Any) -> Any:
            first = len(self.calls)
            try:
                return function.handler(event, context)
            finally:
                for call in self.calls[first:]:
                    needed = permissions_needed(call.service, call.operation, call.params)
                    self.needed[function.function_id].update(needed)

        return replace(function, handler=handler)


def permissions_granted(template: dict[str, Any], stack: Any, function_id: str) -> list[Permission]:
    """Every (action, resource pattern) the function's Policies statements allow."""
    (props,) = [props for logical_id, props in resources_of_type(template, FUNCTION_TYPE) if logical_id == function_id]
    granted: list[Permission] = []
    for policy in props.get("Policies") or []:
        assert isinstance(policy, dict) and set(policy) == {"Statement"}, f"{function_id}: inline statements only"
        for statement in resolve(template, policy["Statement"], stack.params, stack.names, stack.attributes):
            assert statement["Effect"] == "Allow" and "Condition" not in statement
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            granted.extend((action, resource) for action in actions for resource in resources)
    return granted


def allows(grant: Permission, need: Permission) -> bool:
    return grant[0] == need[0] and fnmatch.fnmatchcase(need[1], grant[1])


def get_every_route_of_the_functions_calling_no_aws(template: Any, functions: dict[str, LocalFunction]) -> None:
    for route in routes(template):
        if route.function_id in CALLS_NO_AWS:
            request = HttpRequest("GET", route.path, "HTTP/1.1", [("host", "api.example")], b"", "203.0.113.7")
            assert functions[route.function_id].invoke(build_event(request, route.route_key))["statusCode"] == 200


@pytest.fixture
def functions(aws, template, record_calls) -> Iterator[tuple[dict[str, LocalFunction], CallRecorder]]:
    recorder = CallRecorder(record_calls())
    ids = [logical_id for logical_id, _ in resources_of_type(aws.template, FUNCTION_TYPE)]
    loaded = load_template_functions(aws.template, ROOT, ids, aws.params)
    yield {function_id: recorder.attributed(function) for function_id, function in loaded.items()}, recorder


def test_every_function_is_granted_exactly_what_its_code_calls(aws, project, functions, settings_env, inject_fault):
    functions_by_id, recorder = functions
    settings_env(LOGISTER_TOKEN_CACHE_SECONDS="0")  # each function reads the token, as in its own container

    def post(function_id: str, path: str, body: Any, **options: Any) -> Reply:
        reply = Reply(functions_by_id[function_id].invoke(http_event(body, path=path, token=project.token, **options)))
        assert reply.status < 300, reply
        return reply

    big = {f"blob{i}": os.urandom(125_000).hex() for i in range(3)}  # incompressible: overflows to S3
    span = {"event_type": "span", "trace_id": "t", "span_id": "s", "duration_ms": 1}
    error = {"event_type": "error", "message": "Boom", "context": {}}
    late_check_in = {
        "event_type": "check_in",
        "message": "nightly",
        "occurred_at": "2020-01-01T00:00:00Z",  # long overdue: the sweeper flags it
        "context": {"slug": "nightly", "expected_interval_seconds": 60},
        "uuid": "0b0b0b0b-0000-4000-8000-000000000005",
    }
    post("IngestFunction", "/api/v1/ingest_events", {"event": error})
    telemetry = {"release": "1.0", "repository": "acme/api", "commit_sha": "abcdef12"}  # the stream indexes it
    post("IngestFunction", "/api/v1/ingest_events", {"event": {**error, "context": telemetry}})
    post("IngestFunction", "/api/v1/ingest_events", {"event": span})
    post(  # the stream aggregates it
        "IngestFunction",
        "/api/v1/ingest_events",
        {"event": {"event_type": "transaction", "message": "GET /", "transaction_name": "GET /", "duration_ms": 12}},
    )
    big_log = {"event_type": "log", "message": "m", "uuid": "0b0b0b0b-0000-4000-8000-000000000003", "context": big}
    post("IngestFunction", "/api/v1/ingest_events", {"event": big_log})
    post("IngestFunction", "/api/v1/ingest_events", {"event": big_log})  # a duplicate deletes its own object
    post("IngestFunction", "/api/v1/ingest_events", {"event": late_check_in})
    post("IngestFunction", "/api/v1/ingest_events", {"event": late_check_in})  # a duplicate reads its monitor
    batch_error = {**error, "uuid": "0b0b0b0b-0000-4000-8000-000000000001"}
    batch_span = {**span, "span_id": "s2", "uuid": "0b0b0b0b-0000-4000-8000-000000000002"}
    batch = ndjson({"event": batch_error}, {"event": batch_span})
    post("IngestFunction", BATCH_PATH, batch, content_type="application/x-ndjson", headers={"Content-Encoding": "gzip"})
    # 51 check-ins of 51 monitors: 102 writes, so two monitor updates are left to the events stream.
    check_ins = ndjson(
        *[
            {"event": {"event_type": "check_in", "message": f"job-{n}", "uuid": f"0c0c0c0c-0000-4000-8000-{n:012d}"}}
            for n in range(51)
        ]
    )
    post(
        "IngestFunction",
        BATCH_PATH,
        check_ins,
        content_type="application/x-ndjson",
        headers={"Content-Encoding": "gzip"},
    )
    hourly = {"check_in": {"slug": "hourly", "status": "error", "uuid": "0b0b0b0b-0000-4000-8000-000000000006"}}
    post("CheckinFunction", "/api/v1/check_ins", hourly)
    post("CheckinFunction", "/api/v1/check_ins", hourly)  # a duplicate reads its monitor
    big_check_in = {"slug": "big", "uuid": "0b0b0b0b-0000-4000-8000-000000000004", "release": os.urandom(600_000).hex()}
    post("CheckinFunction", "/api/v1/check_ins", {"check_in": big_check_in})
    post("CheckinFunction", "/api/v1/check_ins", {"check_in": big_check_in})  # a duplicate deletes its own object
    deployment = {"release": "1.0", "repository": "acme/api", "commit_sha": "abcdef12"}
    post("DeploymentsFunction", "/api/v1/deployments", {"deployment": deployment})
    functions_by_id["MonitorSweeperFunction"].invoke({"source": "aws.events", "detail-type": "Scheduled Event"})
    # SNS refuses one alert: the alerts function releases its claim and reports the record.
    refused = ClientError({"Error": {"Code": "InvalidParameter", "Message": "refused"}}, "Publish")
    inject_fault("Publish", refused, service="sns", times=1)
    # One listing item is invalid: the projections function reports its records and skips them.
    invalid = ClientError({"Error": {"Code": "ValidationException", "Message": "invalid"}}, "PutItem")
    inject_fault("PutItem", invalid, table=aws.names["ListingsTable"], times=1)
    sources = stream_sources(aws.template, aws.params)
    subscriptions = stream_subscriptions(sources, functions_by_id, aws.stream_arns(), aws.queue_urls())
    assert StreamPoller(subscriptions, streams_client(), boto3.client("sqs")).poll_once() > 0

    get_every_route_of_the_functions_calling_no_aws(aws.template, functions_by_id)
    assert set(recorder.needed) == set(functions_by_id) - CALLS_NO_AWS  # every other function ran and called AWS
    for function_id in CALLS_NO_AWS:
        assert permissions_granted(aws.template, aws, function_id) == [], function_id
    for function_id, needed in recorder.needed.items():
        granted = permissions_granted(aws.template, aws, function_id)
        missing = sorted(need for need in needed if not any(allows(grant, need) for grant in granted))
        unused = sorted(grant for grant in granted if not any(allows(grant, need) for need in needed))
        assert (missing, unused) == ([], []), function_id
