"""The two tables the emulation's DynamoDB tests use: a hash-key table with a stream, a hash-and-range one without."""

from __future__ import annotations

from typing import Any


def create_claims_and_spans(client: Any) -> None:
    client.create_table(
        TableName="claims",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    client.create_table(
        TableName="spans",
        KeySchema=[{"AttributeName": "trace", "KeyType": "HASH"}, {"AttributeName": "span", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "trace", "AttributeType": "S"},
            {"AttributeName": "span", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
