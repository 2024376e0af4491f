"""POST /api/v1/deployments through the real handler against emulated DynamoDB."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from logister_common.container import reset_container_state
from logister_common.runtime.settings import get_settings
from tests.integration.conftest import poster
from tests.support import Reply, all_items

POSTMAN_DEPLOYMENT = {
    "deployment": {
        "release": "2026.05.23",
        "environment": "production",
        "repository": "acme/checkout",
        "commit_sha": "0123ABCDEF4567",
        "branch": "main",
        "deployed_at": "2026-05-23T15:20:00Z",
        "pull_request_number": 42,
        "release_tag": "v2026.05.23",
        "workflow_run_url": "https://github.com/acme/checkout/actions/runs/123",
    }
}


@pytest.fixture
def deploy(aws) -> Callable[..., Reply]:
    import deployments_handler

    reset_container_state()
    return poster(deployments_handler.lambda_handler, "DeploymentsFunction", "/api/v1/deployments")


def deployments() -> list[dict]:
    return all_items(get_settings().deployments_table)


def test_the_postman_request_records_a_deployment(deploy, project):
    reply = deploy(POSTMAN_DEPLOYMENT, token=project.token)
    assert reply.status == 201
    assert set(reply.json) == {"id", "legacy_id", "status"} and isinstance(reply.json["legacy_id"], int)
    [stored] = deployments()
    assert (stored["commit_sha"]["S"], stored["source"]["S"], stored["deployed_at"]["S"]) == (
        "0123abcdef4567",
        "api",
        "2026-05-23T15:20:00.000000Z",
    )
    assert json.loads(stored["details"]["S"])["pull_request_number"] == "42"


def test_an_upsert_on_repository_environment_and_release(deploy, project):
    first = deploy(POSTMAN_DEPLOYMENT, token=project.token)
    moved = {"deployment": {**POSTMAN_DEPLOYMENT["deployment"], "commit_sha": "abcdef1"}}
    second = deploy(moved, token=project.token)
    assert second.status == 201 and second.json["id"] == first.json["id"]
    assert [item["commit_sha"]["S"] for item in deployments()] == ["abcdef1"]
    staging = {"deployment": {**POSTMAN_DEPLOYMENT["deployment"], "environment": "staging"}}
    assert deploy(staging, token=project.token).json["id"] != first.json["id"]


def test_uppercase_envelope_and_camel_case_keys(deploy, project):
    body = {"DEPLOYMENT": {"RELEASE": "1.0", "REPOSITORY": "acme/api", "commitSha": "abcdef12"}}
    assert deploy(body, token=project.token).status == 201
    assert deployments()[0]["environment"]["S"] == "test"


def test_validation_and_envelope_errors(deploy, project):
    invalid = deploy({"deployment": {"release": "1.0", "commit_sha": "xyz"}}, token=project.token)
    assert invalid.status == 422
    assert invalid.json == {
        "errors": ["Repository can't be blank", "Commit sha must be a 7 to 40 character commit SHA"]
    }
    missing = deploy({"payload": {"release": "1"}}, token=project.token)
    assert missing.status == 400
    assert missing.json == {"error": "param is missing or the value is empty or invalid: deployment"}
    assert deploy(POSTMAN_DEPLOYMENT, token="bad").status == 401


def test_deployments_have_their_own_rate_limit_bucket(deploy, ingest, project, settings_env):
    settings_env(LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS="1")
    assert deploy(POSTMAN_DEPLOYMENT, token=project.token).status == 201
    assert deploy(POSTMAN_DEPLOYMENT, token=project.token).status == 429
    assert ingest({"event": {"event_type": "log", "message": "m"}}, token=project.token).status == 201
