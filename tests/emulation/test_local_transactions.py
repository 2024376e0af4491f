"""local.emulation's transactions: DynamoDB's all-or-nothing, rolled back per item rather than per table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.backends import get_backend

from local.emulation import emulate_dynamodb_atomicity
from tests.emulation.tables import create_claims_and_spans

REGION = "us-east-1"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    emulate_dynamodb_atomicity()
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_claims_and_spans(client)
        client.put_item(TableName="claims", Item={"pk": {"S": "taken"}, "owner": {"S": "first"}})
        client.put_item(TableName="claims", Item={"pk": {"S": "counter"}, "count": {"N": "1"}})
        client.put_item(TableName="spans", Item={"trace": {"S": "t1"}, "span": {"S": "s1"}})
        yield client


def backend() -> Any:
    return get_backend("dynamodb")["123456789012"][REGION]


def stream_length(table: str) -> int:
    return len(backend().tables[table].stream_shard.items)


def claim(key: str, **condition: str) -> dict[str, Any]:
    return {"Put": {"TableName": "claims", "Item": {"pk": {"S": key}, "owner": {"S": "second"}}, **condition}}


NEW_ONLY = {"ConditionExpression": "attribute_not_exists(pk)", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
COUNT_UP = {
    "Update": {
        "TableName": "claims",
        "Key": {"pk": {"S": "counter"}},
        "UpdateExpression": "ADD #count :one",
        "ExpressionAttributeNames": {"#count": "count"},
        "ExpressionAttributeValues": {":one": {"N": "1"}},
    }
}
NEW_SPAN = {"Put": {"TableName": "spans", "Item": {"trace": {"S": "t1"}, "span": {"S": "s2"}}}}


def items(client: Any, table: str) -> list[dict[str, Any]]:
    return sorted(client.scan(TableName=table)["Items"], key=str)


def test_a_cancelled_transaction_leaves_every_item_and_stream_as_it_was(dynamodb):
    claims_before, spans_before, stream_before = (
        items(dynamodb, "claims"),
        items(dynamodb, "spans"),
        stream_length("claims"),
    )
    table_object = backend().tables["claims"]

    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(
            TransactItems=[claim("fresh", **NEW_ONLY), COUNT_UP, NEW_SPAN, claim("taken", **NEW_ONLY)]
        )

    reasons = raised.value.response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["None", "None", "None", "ConditionalCheckFailed"]
    assert reasons[3]["Item"] == {"pk": {"S": "taken"}, "owner": {"S": "first"}}
    assert items(dynamodb, "claims") == claims_before  # no "fresh", the counter still at 1, "taken" untouched
    assert items(dynamodb, "spans") == spans_before
    assert stream_length("claims") == stream_before  # no record of the writes that were undone
    assert backend().tables["claims"] is table_object  # undone in place: no whole-table snapshot swapped back


def test_a_committed_transaction_writes_everything_and_streams_it(dynamodb):
    stream_before = stream_length("claims")

    dynamodb.transact_write_items(TransactItems=[claim("fresh", **NEW_ONLY), COUNT_UP, NEW_SPAN])

    assert dynamodb.get_item(TableName="claims", Key={"pk": {"S": "fresh"}})["Item"]["owner"] == {"S": "second"}
    assert dynamodb.get_item(TableName="claims", Key={"pk": {"S": "counter"}})["Item"]["count"] == {"N": "2"}
    assert len(items(dynamodb, "spans")) == 2
    assert stream_length("claims") == stream_before + 2


def test_an_invalid_action_after_a_write_undoes_the_write(dynamodb):
    invalid_update = {
        "Update": {
            "TableName": "claims",
            "Key": {"pk": {"S": "counter"}},
            "UpdateExpression": "SET #count = :missing",
            "ExpressionAttributeNames": {"#count": "count"},
        }
    }
    claims_before, stream_before = items(dynamodb, "claims"), stream_length("claims")

    with pytest.raises(ClientError):  # moto cancels the transaction with the validation error as the reason
        dynamodb.transact_write_items(TransactItems=[claim("fresh"), NEW_SPAN, invalid_update])

    assert items(dynamodb, "claims") == claims_before
    assert len(items(dynamodb, "spans")) == 1
    assert stream_length("claims") == stream_before


def test_an_overwritten_item_is_restored_whole(dynamodb):
    overwrite = {"Put": {"TableName": "claims", "Item": {"pk": {"S": "taken"}, "owner": {"S": "third"}}}}

    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=[overwrite, claim("counter", **NEW_ONLY)])

    assert dynamodb.get_item(TableName="claims", Key={"pk": {"S": "taken"}})["Item"]["owner"] == {"S": "first"}
