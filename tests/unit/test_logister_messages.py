"""Deployment fields read and batch encodings named as Logister does (ProjectDeployment,
ProjectDeploymentIndexer, TelemetryBatchDecoder); the HTTP answers are in
tests/integration/test_deployment_parity.py."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest

from logister_common.contract.batch_lines import decode
from logister_common.contract.deployment_fields import deployment, deployment_fields, repository_full_name

NOW = datetime(2026, 5, 23, tzinfo=UTC)
LINE = json.dumps({"event": {"uuid": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}}).encode()


@pytest.mark.parametrize(
    ("sent", "full_name"),
    [
        ("acme/checkout", "acme/checkout"),
        (" https://GitHub.com/acme/checkout/tree/main ", "acme/checkout"),
        ("git@github.com:acme/checkout.git", "acme/checkout"),
        ("/acme/checkout/", "acme/checkout"),
        ("checkout/", "checkout"),
        ("   ", None),
    ],
)
def test_repository_full_name_as_logister_normalizes_it(sent, full_name):
    assert repository_full_name(sent) == full_name


def record(**sent):
    return deployment(deployment_fields({"deployment": sent}), project_id="p", default_environment="t", now=NOW)


def test_github_metadata_is_text_stripped_and_blank_ones_are_left_out():
    details = record(
        release="1",
        repository="acme/api",
        commit_sha="abcdef1",
        branch=" refs/heads/main ",
        pull_request_number=" ",
        compare_url=" https://github.com/acme/api/compare/a...b ",
        github={"workflow_run_url": "https://github.com/acme/api/actions/runs/9"},
    ).details
    assert details["branch"] == "main"
    assert "pull_request_number" not in details and "pull_request_url" not in details
    assert details["compare_url"] == "https://github.com/acme/api/compare/a...b"
    assert details["workflow_run_url"] == "https://github.com/acme/api/actions/runs/9"


def test_nested_pull_request_and_release_are_read():
    details = record(
        release="1",
        repository="acme/api",
        sha="ABCDEF1",
        pullRequest={"number": 12},
        github={"release": {"tagName": "v1~rc"}},
    ).details
    assert (details["pull_request_number"], details["pull_request_url"]) == (
        "12",
        "https://github.com/acme/api/pull/12",
    )
    assert details["release_url"] == "https://github.com/acme/api/releases/tag/v1~rc"


def test_an_empty_content_encoding_part_is_ignored():
    assert len(decode(gzip.compress(LINE), "gzip, ")) == 1
    assert len(decode(LINE, " , ")) == 1
