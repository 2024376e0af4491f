"""Issue 15, parity points 4 and 5: tokens minted with LOGISTER_API_KEY_PREFIX (ApiKeyPrefix), and the
server's context.telemetry_evidence, through the real handlers and the operator CLI."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from admin.cli import app
from logister_common.container import reset_container_state
from logister_common.operator import provisioning
from logister_common.storage.auth_table import list_projects
from tests.support import cloudformation_stack, event_item, ndjson, stored_document

STACK = "logister-prefix-test"
LOG = {"event": {"event_type": "log", "message": "hello"}}


# Point 4: the token prefix


def test_tokens_are_minted_with_the_configured_prefix_and_older_ones_keep_working(ingest, project, monkeypatch):
    assert project.token.startswith("logister_")  # minted before the prefix changed
    monkeypatch.setenv("LOGISTER_API_KEY_PREFIX", "acme")
    issued = provisioning.issue_token(project.project_id, name="new")
    assert re.fullmatch(r"acme_[0-9a-f]{48}", issued.token)
    created = provisioning.create_project_with_token("another")
    assert created.token.startswith("acme_")
    assert ingest(LOG, token=issued.token).status == 201
    assert ingest(LOG, token=created.token).status == 201
    assert ingest(LOG, token=project.token).status == 201


def test_a_blank_prefix_is_logisters_default_and_an_invalid_one_mints_nothing(aws, monkeypatch):
    from logister_common.admission.tokens import InvalidTokenPrefix

    monkeypatch.setenv("LOGISTER_API_KEY_PREFIX", "  ")
    assert provisioning.create_project_with_token("blank").token.startswith("logister_")
    monkeypatch.setenv("LOGISTER_API_KEY_PREFIX", "bad prefix")
    with pytest.raises(InvalidTokenPrefix, match="LOGISTER_API_KEY_PREFIX"):
        provisioning.create_project_with_token("refused")
    assert [project["name"] for project in list_projects()] == ["blank"]  # no project left without a token


@pytest.fixture
def prefixed_stack(aws) -> Iterator[str]:
    """A stack whose ApiKeyPrefix parameter is `stack`, with the emulated tables as outputs."""
    with cloudformation_stack(STACK, aws.names, {"ApiKeyPrefix": {"Type": "String", "Default": "stack"}}) as name:
        yield name


def admin(*args: str, env: dict[str, str] | None = None, code: int = 0) -> Any:
    os.environ.pop("LOGISTER_API_KEY_PREFIX", None)  # as a fresh shell: only what `env` sets
    result = CliRunner().invoke(app, ["--stack", STACK, *args], env=env, catch_exceptions=False)
    assert result.exit_code == code, (args, result.output)
    reset_container_state()
    return json.loads(result.stdout) if code == 0 else result


def test_logister_admin_mints_with_the_stacks_prefix_unless_the_environment_sets_one(prefixed_stack, ingest):
    created = admin("projects", "create", "shop", "--json")
    assert created["token"].startswith("stack_")
    from_environment = admin("tokens", "create", created["project_id"], "--json", env={"LOGISTER_API_KEY_PREFIX": "ci"})
    assert from_environment["token"].startswith("ci_")
    assert [ingest(LOG, token=token).status for token in (created["token"], from_environment["token"])] == [201, 201]
    refused = admin("projects", "create", "x", env={"LOGISTER_API_KEY_PREFIX": "no/slash"}, code=1)
    assert "Invalid API key prefix" in refused.output and "Traceback" not in refused.output


# Point 5: context.telemetry_evidence


def evidence_of(project_id: str, event_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    item = event_item(project_id, event_id)
    assert item is not None
    return stored_document(item)["context"]["telemetry_evidence"], item


def test_the_server_writes_telemetry_evidence_and_drops_the_clients(ingest, project):
    body = {
        "event": {
            "event_type": "error",
            "message": "boom",
            "evidence": {"reporting_period": {"start": "2026-11-26T00:00:00Z", "end": "2026-11-27T00:00:00Z"}},
            "context": {"telemetry_evidence": {"source": "forged", "time": {"precision": "exact"}}},
        }
    }
    reply = ingest(body, token=project.token)
    assert reply.status == 201, reply
    evidence, item = evidence_of(project.project_id, reply.json["id"])
    assert evidence["source"] == "api" and evidence["normalization"]["owner"] == "server"
    assert evidence["time"] == {
        "precision": "reporting_interval",
        "reporting_start": "2026-11-26T00:00:00.000000Z",
        "reporting_end": "2026-11-27T00:00:00.000000Z",
        "received_at": item["received_at"]["S"],
    }
    assert item["occurred_at"]["S"] == "2026-11-27T00:00:00.000000Z"


def test_batch_lines_get_telemetry_evidence_too(batch, project):
    lines = [
        {"event_type": "log", "message": "exact", "uuid": f"aaaaaaaa-bbbb-cccc-dddd-00000000000{index}", **fields}
        for index, fields in enumerate([{"occurred_at": "2026-11-27T10:00:00Z"}, {}])
    ]
    reply = batch(ndjson(*({"event": line} for line in lines)), token=project.token)
    assert reply.status == 202, reply
    exact, item = evidence_of(project.project_id, lines[0]["uuid"])
    assert exact["time"] == {
        "precision": "exact",
        "occurred_at": "2026-11-27T10:00:00.000000Z",
        "received_at": item["received_at"]["S"],
    }
    received_only, item = evidence_of(project.project_id, lines[1]["uuid"])
    assert received_only["time"] == {"precision": "received_only", "received_at": item["received_at"]["S"]}
    assert item["occurred_at"] == item["received_at"]
