"""What local.emulation patches in moto is still there, with the shape the patches were written against.

emulate_dynamodb_atomicity() wraps moto's DynamoDB and DynamoDB Streams request handlers, its
transaction and the `copy` module its transaction snapshots tables with, and its journal reads moto's
Table internals; provisioning renames what moto's CloudFormation generates. None of that is moto's
public API: these tests fail on another moto release, or when a patched attribute moves or changes.
"""

from __future__ import annotations

import copy
import inspect
import re
import threading
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.backends import get_backend
from moto.cloudformation import parsing
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

from local import emulation
from local.streams import streams_client
from local.template import ACCOUNT_ID, REGION
from tests.emulation.tables import create_claims_and_spans

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements-dev.txt"


def parameters(function: Any) -> list[str]:
    """The parameter names of moto's own function under any wrapper (ours keep __wrapped__)."""
    return list(inspect.signature(inspect.unwrap(function)).parameters)


@pytest.fixture
def tables() -> Iterator[dict[str, Table]]:
    """A hash-key table with a stream and a hash-and-range table without, as moto's backend holds them."""
    emulation.emulate_dynamodb_atomicity()
    with mock_aws():
        client = boto3.client("dynamodb")
        create_claims_and_spans(client)
        client.put_item(TableName="claims", Item={"pk": {"S": "a"}})
        client.put_item(TableName="spans", Item={"trace": {"S": "t"}, "span": {"S": "s"}})
        yield get_backend("dynamodb")[ACCOUNT_ID][REGION].tables


def test_moto_is_the_release_the_patches_were_written_against():
    assert version("moto") == emulation.PATCHED_MOTO_VERSION
    pinned = re.search(r"^moto\[[^\]]*\]==(\S+)$", REQUIREMENTS.read_text(), re.MULTILINE)
    assert pinned is not None and pinned.group(1) == emulation.PATCHED_MOTO_VERSION


def test_the_request_handlers_are_methods_of_the_request_alone():
    emulation.emulate_dynamodb_atomicity()
    for handler in (DynamoHandler, DynamoDBStreamsHandler):
        assert getattr(handler.call_action, "serialized", False), handler
        assert parameters(handler.call_action) == ["self"], handler


def test_every_dynamodb_and_streams_request_waits_for_the_lock(tables):
    dynamodb, streams = boto3.client("dynamodb"), streams_client()
    stream_arn = dynamodb.describe_table(TableName="claims")["Table"]["LatestStreamArn"]
    requests = [
        lambda: dynamodb.get_item(TableName="claims", Key={"pk": {"S": "a"}}),
        lambda: streams.describe_stream(StreamArn=stream_arn),
    ]
    for request in requests:
        thread = threading.Thread(target=request)
        with emulation._DYNAMODB_REQUEST_LOCK:
            thread.start()
            thread.join(timeout=0.5)
            assert thread.is_alive(), "a request ran without taking the lock"
        thread.join(timeout=5)
        assert not thread.is_alive()


def test_the_transaction_takes_the_items_and_snapshots_tables_with_the_models_copy_module():
    emulation.emulate_dynamodb_atomicity()
    transact_write_items = inspect.unwrap(dynamodb_models.DynamoDBBackend.transact_write_items)
    assert parameters(transact_write_items) == ["self", "transact_items"]
    # The snapshot is `copy.deepcopy(self.tables[...])` looked up in moto.dynamodb.models, which the patch replaced.
    assert "copy.deepcopy(" in inspect.getsource(transact_write_items)
    assert transact_write_items.__globals__ is vars(dynamodb_models)
    assert isinstance(dynamodb_models.copy, emulation._TableSnapshotsAsReferences)
    assert dynamodb_models.copy.deepcopy(["not", "a", "table"]) == copy.deepcopy(["not", "a", "table"])


def test_the_table_internals_the_journal_reads(tables):
    claims, spans = tables["claims"], tables["spans"]
    assert (claims.hash_key_attr, claims.range_key_attr) == ("pk", None)
    assert (spans.hash_key_attr, spans.range_key_attr) == ("trace", "span")
    assert parameters(Table.get_item)[:3] == ["self", "hash_key", "range_key"]

    a, t, s = DynamoType({"S": "a"}), DynamoType({"S": "t"}), DynamoType({"S": "s"})
    assert isinstance(claims.get_item(a, None), Item)
    assert claims.items[a] is claims.get_item(a, None)  # a hash-key table: items by hash key
    assert spans.items[t][s] is spans.get_item(t, s)  # hash and range: items by hash key, then range key
    assert claims.get_item(DynamoType({"S": "missing"}), None) is None

    assert spans.stream_shard is None
    assert isinstance(claims.stream_shard.items, list) and len(claims.stream_shard.items) == 1
    boto3.client("dynamodb").put_item(TableName="claims", Item={"pk": {"S": "b"}})
    assert len(claims.stream_shard.items) == 2  # one record appended per write


def test_cloudformation_generates_names_ending_in_one_random_suffix():
    assert parameters(parsing.generate_resource_name) == ["resource_type", "stack_name", "logical_id"]
    table = parsing.generate_resource_name("AWS::DynamoDB::Table", "logister-local", "EventsTable")
    bucket = parsing.generate_resource_name("AWS::S3::Bucket", "logister-local", "PayloadBucket")
    assert re.fullmatch(r"logister-local-EventsTable-[A-Z0-9]+", table), table
    assert re.fullmatch(r"logister-local-payloadbucket-[a-z0-9]+", bucket), bucket
    assert "generate_resource_name(" in inspect.getsource(parsing.parse_resource_and_generate_name)
