"""Logister parity through the real handlers: deployments recorded and refused as Logister records and
refuses them (ProjectDeploymentIndexer, ProjectDeployment), and batch lines refused in
TelemetryBatchDecoder's words."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable

import pytest

from logister_common.container import reset_container_state
from logister_common.runtime.settings import get_settings
from tests.integration.conftest import poster
from tests.integration.test_deployments_api import POSTMAN_DEPLOYMENT
from tests.support import Reply, all_items

UUID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


@pytest.fixture
def deploy(aws) -> Callable[..., Reply]:
    import deployments_handler

    reset_container_state()
    return poster(deployments_handler.lambda_handler, "DeploymentsFunction", "/api/v1/deployments")


def stored_details() -> dict:
    [item] = all_items(get_settings().deployments_table)
    details: dict = json.loads(item["details"]["S"])
    return details


def test_the_postman_pull_request_number_is_stored_as_text_with_its_inferred_url(deploy, project):
    assert deploy(POSTMAN_DEPLOYMENT, token=project.token).status == 201
    details = stored_details()
    assert details["pull_request_number"] == "42"
    assert details["pull_request_url"] == "https://github.com/acme/checkout/pull/42"
    assert details["release_url"] == "https://github.com/acme/checkout/releases/tag/v2026.05.23"


def test_a_github_url_repository_is_stored_as_owner_and_name(deploy, project):
    body = {
        "deployment": {
            "release": "1.0",
            "repository": "https://github.com/Acme/Checkout.git",
            "commit_sha": "abcdef1",
            "branch": "refs/pull/7/merge",
            "pull_request_url": " https://example.test/pr/7 ",
            "release_tag": "v1.0 beta/2",
        }
    }
    assert deploy(body, token=project.token).status == 201
    [item] = all_items(get_settings().deployments_table)
    assert item["repository"]["S"] == "Acme/Checkout"
    details = stored_details()
    assert (details["pull_request_number"], details["pull_request_url"]) == ("7", "https://example.test/pr/7")
    assert details["release_url"] == "https://github.com/Acme/Checkout/releases/tag/v1.0%20beta%2F2"


def test_logister_field_aliases_are_read(deploy, project):
    body = {"deployment": {"release": "2.0", "repo": "git@github.com:acme/api.git", "git": {"sha": "ABCDEF12"}}}
    assert deploy(body, token=project.token).status == 201
    [item] = all_items(get_settings().deployments_table)
    assert (item["repository"]["S"], item["commit_sha"]["S"]) == ("acme/api", "abcdef12")


@pytest.mark.parametrize(
    ("deployment", "errors"),
    [
        (
            {"release": " ", "environment": "production"},
            ["Release can't be blank", "Repository can't be blank", "Commit sha can't be blank"],
        ),
        (
            {"release": "1", "repository": "acme/x", "commit_sha": "xyz"},
            ["Commit sha must be a 7 to 40 character commit SHA"],
        ),
        (
            {"release": "1", "repository": "checkout", "commit_sha": "abcdef1"},
            ["Repository full name must look like owner/repository"],
        ),
    ],
)
def test_validation_messages_are_logisters(deploy, project, deployment, errors):
    reply = deploy({"deployment": deployment}, token=project.token)
    assert (reply.status, reply.json) == (422, {"errors": errors})


def test_a_candidate_needs_one_of_logisters_keys(deploy, project):
    reply = deploy({"deployment": {"service": "api", "pull_request_number": 4}}, token=project.token)
    assert (reply.status, reply.json) == (
        400,
        {"error": "param is missing or the value is empty or invalid: deployment"},
    )


@pytest.mark.parametrize(
    ("body", "encoding", "error", "code"),
    [
        (b"[]", None, "telemetry batch line 1 must contain an envelope object", "invalid_envelope"),
        (b'\n{"payload":{}}', None, "telemetry batch line 2 must contain an event object", "missing_event"),
        (b'{"event":{}}', None, "telemetry batch line 1 requires a nonblank uuid or event_id", "missing_identity"),
        (
            b'{"event":{"uuid":"nope"}}',
            None,
            "telemetry batch line 1 uuid/event_id must be a valid UUID",
            "invalid_identity",
        ),
        (
            json.dumps({"event": {"uuid": UUID, "event_id": "bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee"}}).encode(),
            None,
            "telemetry batch line 1 uuid and event_id must identify the same envelope",
            "conflicting_identity",
        ),
        (b"\n \n", None, "telemetry batch must contain at least one event", "empty_batch"),
        (b"\xff", None, "telemetry batch line 1 is invalid JSON: invalid UTF-8", "invalid_json"),
        (b"not gzip", "gzip", "invalid gzip telemetry batch: not in gzip format", "invalid_gzip"),
        (gzip.compress(b"[]")[:-9], "gzip", "invalid gzip telemetry batch: unexpected end of file", "invalid_gzip"),
    ],
)
def test_batch_line_errors_are_worded_as_logisters(batch, project, body, encoding, error, code):
    reply = batch(body, encoding=encoding, token=project.token)
    assert (reply.status, reply.json) == (400, {"error": error, "code": code})


def test_an_invalid_json_line_names_the_line_then_the_parser_reason(batch, project):
    reply = batch(b'{"event":{"uuid":"' + UUID.encode() + b'"}}\n{not json', encoding=None, token=project.token)
    assert reply.status == 400 and reply.json["code"] == "invalid_json"
    assert reply.json["error"].startswith("telemetry batch line 2 is invalid JSON: ")


def test_identity_is_checked_before_the_payload_limits(batch, project):
    reply = batch(json.dumps({"event": {"message": "x" * 70_000}}).encode(), encoding=None, token=project.token)
    assert (reply.status, reply.json["code"]) == (400, "missing_identity")


def test_only_unsupported_encodings_are_named(batch, project):
    reply = batch(b"[]", encoding="br, gzip", token=project.token)
    assert (reply.status, reply.json) == (
        415,
        {"error": "unsupported telemetry batch content encoding: br", "code": "unsupported_encoding"},
    )
