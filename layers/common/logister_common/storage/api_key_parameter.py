"""The forwarding API key: an SSM SecureString, read once per container (never in plain text anywhere)."""

from __future__ import annotations

from functools import cache

from logister_common.storage import clients


@cache
def api_key(parameter_name: str) -> str:
    response = clients.ssm().get_parameter(Name=parameter_name, WithDecryption=True)
    return str(response["Parameter"]["Value"])
