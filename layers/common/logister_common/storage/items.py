"""DynamoDB items as plain Python values (for the operator CLI's reads and its JSON output)."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any


@cache
def _deserializer() -> Any:
    # Imported on first use: the functions' request path never needs it, and boto3 is costly to import.
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """Attribute values as str, int, float, bool, bytes, list, dict (numbers are not Decimals)."""
    deserialize = _deserializer().deserialize
    return {name: _simplify(deserialize(value)) for name, value in item.items()}


def _simplify(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _simplify(item) for key, item in value.items()}
    if isinstance(value, list | set):
        return [_simplify(item) for item in value]
    if hasattr(value, "value") and isinstance(value.value, bytes):  # boto3's Binary
        return bytes(value.value)
    return value
