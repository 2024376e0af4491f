"""Deployments indexed from event telemetry (issue 15, parity point 1): SDK-shaped events through the
real ingest handler, the events stream through the real projections function, the API through the real
deployments handler, and `logister-admin deployments` against the same tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from logister_common.container import reset_container_state
from logister_common.runtime.settings import get_settings
from tests.integration import test_admin_commands as commands
from tests.integration.conftest import poster
from tests.integration.test_admin_commands import TERMINAL_CONTROL
from tests.support import Reply, all_items

# The CLI driven against a moto stack, as test_admin_commands.py drives it.
stack, admin = commands.stack, commands.admin

# logister-js: withDefaultContext puts the release, repository and commit (camelCase) in every event's context.
JS_ERROR = {
    "event": {
        "event_type": "error",
        "level": "error",
        "message": "TypeError: cart is undefined",
        "occurred_at": "2026-05-23T15:30:00.123Z",
        "context": {
            "environment": "production",
            "release": "web@1.4.0",
            "repository": "acme/web",
            "commitSha": "ABCDEF1234567",
            "branch": "main",
            "exception": {"class": "TypeError", "message": "cart is undefined"},
        },
    }
}
# logister-ruby: deployment_context (release, repository, commit_sha, branch) beside its runtime and
# deployment.processPid, a fingerprint on every event, occurred_at in seconds.
RUBY_LOG = {
    "event": {
        "event_type": "log",
        "level": "info",
        "message": "Checkout completed",
        "fingerprint": "0123456789abcdef0123456789abcdef",
        "occurred_at": "2026-05-23T15:31:00Z",
        "context": {
            "environment": "staging",
            "service": "ruby-app",
            "release": "2026.05.23",
            "repository": "acme/shop",
            "commit_sha": "0123456789ABCDEF0123456789ABCDEF01234567",
            "branch": "main",
            "runtime": {"rubyVersion": "3.4.1", "railsVersion": "8.1.0"},
            "deployment": {"processPid": 4242},
        },
    }
}


@pytest.fixture
def deploy(aws) -> Callable[..., Reply]:
    import deployments_handler

    reset_container_state()
    return poster(deployments_handler.lambda_handler, "DeploymentsFunction", "/api/v1/deployments")


def stored() -> list[dict[str, Any]]:
    return all_items(get_settings().deployments_table)


def send(ingest: Callable[..., Reply], token: str, *envelopes: dict[str, Any]) -> list[str]:
    uuids = []
    for envelope in envelopes:
        reply = ingest(envelope, token=token)
        assert reply.status == 201, reply
        uuids.append(reply.json["id"])
    return uuids


def test_a_js_and_a_ruby_event_each_index_one_telemetry_deployment_listed_by_the_cli(
    ingest, project, deliver_streams, admin
):
    js, ruby = send(ingest, project.token, JS_ERROR, RUBY_LOG)
    assert stored() == []  # after acceptance, not on the request path

    assert deliver_streams() == 2
    listed = admin("deployments", project.project_id, as_json=True)

    assert listed == [
        {
            "deployment_id": listed[0]["deployment_id"],
            "release": "2026.05.23",
            "environment": "staging",
            "repository": "acme/shop",
            "commit_sha": "0123456789abcdef0123456789abcdef01234567",
            "source": "telemetry",
            "deployed_at": "2026-05-23T15:31:00.000000Z",
            "pull_request_number": None,
            "pull_request_url": None,
        },
        {
            "deployment_id": listed[1]["deployment_id"],
            "release": "web@1.4.0",
            "environment": "production",
            "repository": "acme/web",
            "commit_sha": "abcdef1234567",
            "source": "telemetry",
            "deployed_at": "2026-05-23T15:30:00.123000Z",
            "pull_request_number": None,
            "pull_request_url": None,
        },
    ]
    assert {item["event_uuid"]["S"] for item in stored()} == {js, ruby}
    assert [entry["release"] for entry in admin("deployments", project.project_id, "-e", "staging", as_json=True)] == [
        "2026.05.23"
    ]
    table = admin("deployments", project.project_id).stdout
    assert "web@1.4.0" in table and "telemetry" in table and "abcdef1234567" in table


@pytest.mark.parametrize(
    "context",
    [
        {"release": "1.0", "repository": "acme/web"},  # no commit
        {"release": "1.0", "repository": "acme/web", "commit_sha": "abc123"},  # 6 hex digits
        {"release": "1.0", "repository": "acme/web", "commit_sha": "abcdefg"},  # not hex
        {"release": "1.0", "commit_sha": "abcdef1"},  # no repository
        {"repository": "acme/web", "commit_sha": "abcdef1"},  # no release
        {"release": "1.0", "repository": "not a repository", "commit_sha": "abcdef1"},  # not owner/name
    ],
)
def test_an_event_without_a_whole_deployment_indexes_none(ingest, project, deliver_streams, context):
    send(ingest, project.token, {"event": {"event_type": "log", "message": "m", "context": context}})
    assert deliver_streams() == 1
    assert stored() == []


def test_every_event_of_a_release_is_one_deployment_at_its_last_occurrence(ingest, project, deliver_streams):
    later = {"event": {**JS_ERROR["event"], "occurred_at": "2026-05-23T16:00:00Z", "message": "again"}}
    send(ingest, project.token, JS_ERROR, JS_ERROR, later)
    assert deliver_streams() == 3
    (item,) = stored()
    assert item["deployed_at"]["S"] == "2026-05-23T16:00:00.000000Z"  # Logister re-indexes with each event


def test_a_redelivered_batch_creates_nothing_and_rolls_back_no_newer_api_record(
    ingest, project, deliver_streams, inject_fault, deploy
):
    send(ingest, project.token, JS_ERROR)
    throttled = ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}, "PutItem")
    inject_fault("PutItem", throttled, table=get_settings().listings_table, times=1)
    assert deliver_streams() == 1  # the deployment is written; the listing is not: the batch is redelivered
    (first,) = stored()
    api = {"release": "web@1.4.0", "environment": "production", "repository": "acme/web", "commit_sha": "1234567"}
    assert deploy({"deployment": api}, token=project.token).status == 201

    assert deliver_streams() == 1  # the redelivery
    assert deliver_streams() == 0
    (item,) = stored()
    assert item["deployment_id"] == first["deployment_id"]
    assert (item["source"]["S"], item["commit_sha"]["S"]) == ("api", "1234567")  # accepted later: it stays


def test_telemetry_after_an_api_deployment_merges_into_it_as_logister_s_indexer_does(
    ingest, project, deliver_streams, deploy, admin
):
    api = {
        "release": "web@1.4.0",
        "environment": "production",
        "repository": "acme/web",
        "commit_sha": "FEDCBA9",
        "deployed_at": "2026-05-23T15:00:00Z",
        "pull_request_number": 42,
        "release_tag": "v1.4.0",
    }
    recorded = deploy({"deployment": api}, token=project.token)
    assert recorded.status == 201
    (event,) = send(ingest, project.token, JS_ERROR)
    assert deliver_streams() == 1

    (item,) = stored()
    assert item["deployment_id"]["S"] == recorded.json["id"]  # one deployment, not two
    # The later writer sets the commit, the time and the source; the metadata is merged.
    assert item["source"]["S"] == "telemetry"
    assert item["commit_sha"]["S"] == "abcdef1234567"
    assert item["deployed_at"]["S"] == "2026-05-23T15:30:00.123000Z"
    assert item["pull_request_number"]["S"] == "42"
    assert item["pull_request_url"]["S"] == "https://github.com/acme/web/pull/42"
    assert item["release_url"]["S"] == "https://github.com/acme/web/releases/tag/v1.4.0"
    assert item["event_uuid"]["S"] == event
    (listed,) = admin("deployments", project.project_id, as_json=True)
    assert (listed["source"], listed["pull_request_number"]) == ("telemetry", "42")

    # And an API call after the telemetry takes the commit, time and source back, keeping the event's metadata.
    assert deploy({"deployment": {**api, "pull_request_number": None}}, token=project.token).status == 201
    (item,) = stored()
    assert (item["source"]["S"], item["commit_sha"]["S"]) == ("api", "fedcba9")
    assert item["deployed_at"]["S"] == "2026-05-23T15:00:00.000000Z"
    assert (item["pull_request_number"]["S"], item["event_uuid"]["S"]) == ("42", event)


def test_a_release_s_control_characters_never_reach_the_operator_s_terminal(ingest, project, deliver_streams, admin):
    context = {"release": "v1" + TERMINAL_CONTROL + "x", "repository": "acme/web", "commit_sha": "abcdef1"}
    send(ingest, project.token, {"event": {"event_type": "log", "message": "m", "context": context}})
    assert deliver_streams() == 1

    shown = admin("deployments", project.project_id).stdout
    assert "v1" in shown and not any(character in shown for character in "\x1b\x9b\x00\x07")
    (listed,) = admin("deployments", project.project_id, as_json=True)
    assert listed["release"] == "v1x"  # escape sequences go whole, then every other control character
