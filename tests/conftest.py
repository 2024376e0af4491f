"""Fixtures: DynamoDB and S3 emulated by moto at the boto3 level, tables built from template.yaml."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.emulation import ProvisionedStack
from logister_common.container import reset_container_state

ROOT = Path(__file__).resolve().parent.parent

# Never touch real AWS from tests, whatever the developer's shell holds.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Logister",
        "POWERTOOLS_SERVICE_NAME": "tests",
    }
)
for _name in (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_S3",
):
    os.environ.pop(_name, None)


@pytest.fixture(scope="session")
def template() -> dict:
    from local.template import load_template

    return load_template(ROOT / "template.yaml")


@pytest.fixture
def aws(template: dict, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProvisionedStack]:
    """Fresh emulated tables, bucket and topic from template.yaml; the functions' variables are set."""
    from moto import mock_aws

    from local.emulation import emulate_dynamodb_atomicity, provision_stack

    emulate_dynamodb_atomicity()
    with mock_aws():
        stack = provision_stack(template, environ={"LOGISTER_DEFAULT_ENVIRONMENT": "test"})
        for name, value in stack.environment.items():
            monkeypatch.setenv(name, value)
        reset_container_state()
        yield stack
    reset_container_state()
