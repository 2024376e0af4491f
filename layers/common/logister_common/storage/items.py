"""DynamoDB items as plain Python values and back (monitors are read, computed and written whole)."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any


@cache
def _deserializer() -> Any:
    # Imported on first use: the functions' request path never needs it, and boto3 is costly to import.
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()


@cache
def _serializer() -> Any:
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()


def typed(values: dict[str, Any]) -> dict[str, Any]:
    """Plain values as DynamoDB attribute values; None values are left out, floats clamped to what
    DynamoDB can hold (magnitudes from 1e-130 to 1e125)."""
    serialize = _serializer().serialize
    return {name: serialize(_storable(value)) for name, value in values.items() if value is not None}


def _storable(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(max(min(value, 1e120), -1e120))) if abs(value) >= 1e-120 else Decimal(0)
    if isinstance(value, dict):
        return {key: _storable(item) for key, item in value.items() if item is not None}
    if isinstance(value, list | tuple):
        return [_storable(item) for item in value]
    return value


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
