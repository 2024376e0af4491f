"""Where the CLI reads and writes: the stack `make dev` runs (--local) or a deployed stack (--stack NAME).

Either way the result is the environment the functions themselves run with (table names, the limits'
defaults), applied to this process, so the shared package's stores work unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .local_state import STATE_FILE_VARIABLE, read_state, state_path_from_env

# CloudFormation outputs of template.yaml -> the variables the shared package reads.
OUTPUT_VARIABLES = {
    "AuthTableName": "AUTH_TABLE",
    "RateLimitsTableName": "RATE_LIMITS_TABLE",
    "EventsTableName": "EVENTS_TABLE",
    "ListingsTableName": "LISTINGS_TABLE",
    "PerformanceTableName": "PERFORMANCE_TABLE",
    "ErrorGroupsTableName": "ERROR_GROUPS_TABLE",
    "MonitorsTableName": "MONITORS_TABLE",
    "DeploymentsTableName": "DEPLOYMENTS_TABLE",
    "PayloadBucketName": "PAYLOAD_BUCKET",
    "AlertTopicArn": "ALERT_TOPIC_ARN",
}
REQUIRED_OUTPUTS = (
    "AuthTableName",
    "EventsTableName",
    "ListingsTableName",
    "ErrorGroupsTableName",
    "MonitorsTableName",
)
# Stack parameters -> the variables the functions get them as (the defaults `limits show` reports).
PARAMETER_VARIABLES = {
    "PublicApiRateLimitRequests": "LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS",
    "PublicApiRateLimitPeriodSeconds": "LOGISTER_PUBLIC_API_RATE_LIMIT_PERIOD_SECONDS",
    "PublicApiAuthFailureRateLimitRequests": "LOGISTER_PUBLIC_API_AUTH_FAILURE_RATE_LIMIT_REQUESTS",
    "PublicApiPreAuthRateLimitRequests": "LOGISTER_PUBLIC_API_PRE_AUTH_RATE_LIMIT_REQUESTS",
    "EventRetentionDays": "LOGISTER_EVENT_RETENTION_DAYS",
    "DefaultEnvironment": "LOGISTER_DEFAULT_ENVIRONMENT",
    "TokenCacheSeconds": "LOGISTER_TOKEN_CACHE_SECONDS",
    "ApiKeyPrefix": "LOGISTER_API_KEY_PREFIX",
}
# Set (not blank) in the operator's environment, these win over the target's value, as Logister's
# environment wins over its saved settings: `LOGISTER_API_KEY_PREFIX=ci logister-admin ... tokens create`.
OPERATOR_VARIABLES = ("LOGISTER_API_KEY_PREFIX",)
_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SNS")


class TargetError(Exception):
    """The target cannot be used; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Target:
    description: str  # for messages: "the local stack at http://127.0.0.1:8000"
    environment: dict[str, str]
    remove: tuple[str, ...] = field(default=())  # variables that must not leak in (a real profile, locally)


def choose(local: bool, stack: str | None, region: str | None, environ: Mapping[str, str] = os.environ) -> Target:
    target = _target(local, stack, region, environ)
    overrides = {name: environ[name] for name in OPERATOR_VARIABLES if environ.get(name, "").strip()}
    return replace(target, environment=target.environment | overrides)


def _target(local: bool, stack: str | None, region: str | None, environ: Mapping[str, str]) -> Target:
    if local and stack:
        raise TargetError("Choose one target: --local or --stack NAME, not both.")
    if local:
        if region:
            raise TargetError("--region applies to --stack only (the local stack has its own).")
        return local_target(state_path_from_env(environ))
    if stack:
        return stack_target(stack, region)
    raise TargetError(
        "Choose a target before the command: --local (the stack `make dev` runs) or --stack NAME [--region R]."
    )


def local_target(state_file: Path) -> Target:
    try:
        state = read_state(state_file)
    except FileNotFoundError:
        raise TargetError(
            f"No local stack is running: {state_file} does not exist. Start one with `make dev` "
            f"(or point {STATE_FILE_VARIABLE} at its state file)."
        ) from None
    except ValueError as error:
        raise TargetError(f"Cannot read the local stack's state file {state_file}: {error}") from None
    endpoint = state["dynamodb_endpoint"]
    region = state.get("region") or "us-east-1"
    environment = {name: str(value) for name, value in state["env"].items()}
    environment |= dict.fromkeys(_ENDPOINT_VARIABLES, endpoint)
    # The emulation takes any credentials; a developer's real ones must never be sent to it (or be required).
    environment |= {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }
    return Target(
        f"the local stack at {endpoint}", environment, remove=("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE")
    )


def stack_target(name: str, region: str | None) -> Target:
    """The stack's outputs and parameters (one DescribeStacks, with the caller's credentials)."""
    import boto3
    from botocore.exceptions import ClientError

    client = boto3.client("cloudformation", region_name=region) if region else boto3.client("cloudformation")
    where = f"in {client.meta.region_name}"
    try:
        stacks = client.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        details = error.response.get("Error", {})
        if details.get("Code") == "ValidationError" and "does not exist" in details.get("Message", ""):
            raise TargetError(f"Stack {name} not found {where}: check --stack and --region.") from None
        raise
    stack = stacks[0]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    missing = [key for key in REQUIRED_OUTPUTS if key not in outputs]
    if missing:
        raise TargetError(
            f"Stack {name} {where} is not a logister-serverless stack (or not fully deployed): "
            f"it has no {', '.join(missing)} output."
        )
    environment = {variable: outputs[key] for key, variable in OUTPUT_VARIABLES.items() if key in outputs}
    parameters = {item["ParameterKey"]: item.get("ParameterValue", "") for item in stack.get("Parameters", [])}
    environment |= {variable: parameters[key] for key, variable in PARAMETER_VARIABLES.items() if key in parameters}
    environment |= {"AWS_REGION": client.meta.region_name, "AWS_DEFAULT_REGION": client.meta.region_name}
    return Target(f"stack {name} {where}", environment)


def activate(target: Target, environ: MutableMapping[str, str] = os.environ) -> None:
    """Point this process (the shared package's settings and AWS clients) at the target."""
    for name in target.remove:
        environ.pop(name, None)
    environ.update(target.environment)
    from logister_common.container import reset_container_state

    reset_container_state()
