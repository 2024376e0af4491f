"""local.template: CloudFormation tags, parameters, names, tables and routes read from template.yaml."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from local.template import (
    Route,
    function_environment,
    function_limits,
    layer_dirs,
    load_template,
    parameter_values,
    physical_names,
    resources_of_type,
    routes,
    table_create_kwargs,
    table_time_to_live,
)

TAGS_YAML = """
Tags:
  ref: !Ref Thing
  sub: !Sub "${AWS::Region}-x"
  sub_list: !Sub ["${A}", {A: b}]
  get_att_dotted: !GetAtt Table.Arn
  get_att_nested: !GetAtt Cluster.Endpoint.Address
  get_att_list: !GetAtt [Table, StreamArn]
  if: !If [IsProd, a, b]
  equals: !Equals [!Ref Stage, prod]
  not: !Not [!Condition IsProd]
  and: !And [!Condition A, !Condition B]
  or: !Or [!Condition A, !Condition B]
  select: !Select [0, !Split [",", "a,b"]]
  join: !Join ["-", [a, b]]
  find_in_map: !FindInMap [Map, Key, Value]
  import_value: !ImportValue exported
  base64: !Base64 text
  cidr: !Cidr ["10.0.0.0/16", 4, 8]
  get_azs: !GetAZs ""
  condition: !Condition IsProd
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_short_tags_become_long_forms(tmp_path):
    tags = load_template(write(tmp_path, TAGS_YAML))["Tags"]
    assert tags == {
        "ref": {"Ref": "Thing"},
        "sub": {"Fn::Sub": "${AWS::Region}-x"},
        "sub_list": {"Fn::Sub": ["${A}", {"A": "b"}]},
        "get_att_dotted": {"Fn::GetAtt": ["Table", "Arn"]},
        "get_att_nested": {"Fn::GetAtt": ["Cluster", "Endpoint.Address"]},
        "get_att_list": {"Fn::GetAtt": ["Table", "StreamArn"]},
        "if": {"Fn::If": ["IsProd", "a", "b"]},
        "equals": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
        "not": {"Fn::Not": [{"Condition": "IsProd"}]},
        "and": {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]},
        "or": {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]},
        "select": {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]},
        "join": {"Fn::Join": ["-", ["a", "b"]]},
        "find_in_map": {"Fn::FindInMap": ["Map", "Key", "Value"]},
        "import_value": {"Fn::ImportValue": "exported"},
        "base64": {"Fn::Base64": "text"},
        "cidr": {"Fn::Cidr": ["10.0.0.0/16", 4, 8]},
        "get_azs": {"Fn::GetAZs": ""},
        "condition": {"Condition": "IsProd"},
    }


def test_the_real_template_loads(template):
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    assert template["Globals"]["Function"]["Layers"] == [{"Ref": "CommonLayer"}]


def test_parameters_default_and_are_overridden_by_the_variable_that_carries_them(template):
    defaults = parameter_values(template, {})
    assert defaults["PublicApiRateLimitRequests"] == str(
        template["Parameters"]["PublicApiRateLimitRequests"]["Default"]
    )

    environ = {
        "LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS": "5",
        "LOGISTER_PUBLIC_API_RATE_LIMIT_PERIOD_SECONDS": "7",
        "LOGISTER_PUBLIC_API_AUTH_FAILURE_RATE_LIMIT_REQUESTS": "3",
        "LOGISTER_PUBLIC_API_PRE_AUTH_RATE_LIMIT_REQUESTS": "11",
        "PublicApiRateLimitRequests": "999",  # a parameter's own name is not an override
    }
    params = parameter_values(template, environ)
    assert params["PublicApiRateLimitRequests"] == "5"
    assert params["PublicApiRateLimitPeriodSeconds"] == "7"
    assert params["PublicApiAuthFailureRateLimitRequests"] == "3"
    assert params["PublicApiPreAuthRateLimitRequests"] == "11"
    assert params["StageName"] == defaults["StageName"]


def test_physical_names_of_tables_and_buckets(template):
    names = physical_names(template)
    tables = [logical_id for logical_id, _ in resources_of_type(template, "AWS::DynamoDB::Table")]
    assert {"AuthTable", "RateLimitsTable", "EventsTable", "SpansTable", "ErrorGroupsTable"} <= set(tables)
    assert names["EventsTable"] == "logister-local-EventsTable"
    assert names["PayloadBucket"] == "logister-local-payloadbucket"
    assert set(names) == {*tables, "PayloadBucket"}
    assert physical_names(template, prefix="Dev_Stack")["PayloadBucket"] == "dev-stack-payloadbucket"


def test_table_kwargs_match_the_template(template):
    kwargs = table_create_kwargs(template)
    for logical_id, props in resources_of_type(template, "AWS::DynamoDB::Table"):
        assert kwargs[logical_id]["TableName"] == f"logister-local-{logical_id}"
        assert kwargs[logical_id]["KeySchema"] == props["KeySchema"]
        assert kwargs[logical_id]["AttributeDefinitions"] == props["AttributeDefinitions"]
        assert kwargs[logical_id]["BillingMode"] == "PAY_PER_REQUEST"
        assert [index["IndexName"] for index in kwargs[logical_id].get("GlobalSecondaryIndexes", [])] == [
            index["IndexName"] for index in props.get("GlobalSecondaryIndexes", [])
        ]
    assert kwargs["EventsTable"]["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert kwargs["SpansTable"]["KeySchema"] == [
        {"AttributeName": "trace_key", "KeyType": "HASH"},
        {"AttributeName": "span_id", "KeyType": "RANGE"},
    ]
    ttl = table_time_to_live(template)
    assert ttl["EventsTable"] == {"Enabled": True, "AttributeName": "expires_at"}
    assert "ErrorGroupsTable" not in ttl


def test_table_kwargs_translate_cloudformation_only_shapes(tmp_path):
    template = load_template(
        write(
            tmp_path,
            """
            Parameters:
              Capacity: {Type: Number, Default: 3}
            Resources:
              Things:
                Type: AWS::DynamoDB::Table
                Properties:
                  AttributeDefinitions: [{AttributeName: pk, AttributeType: S}, {AttributeName: sk, AttributeType: S}]
                  KeySchema: [{AttributeName: pk, KeyType: HASH}]
                  ProvisionedThroughput: {ReadCapacityUnits: !Ref Capacity, WriteCapacityUnits: 1}
                  LocalSecondaryIndexes:
                    - IndexName: by_sk
                      KeySchema: [{AttributeName: pk, KeyType: HASH}, {AttributeName: sk, KeyType: RANGE}]
                      Projection: {ProjectionType: ALL}
                  StreamSpecification: {StreamViewType: NEW_IMAGE}
                  TimeToLiveSpecification: {AttributeName: ttl, Enabled: false}
            """,
        )
    )
    kwargs = table_create_kwargs(template, parameter_values(template, {}), prefix="p")["Things"]
    assert kwargs["TableName"] == "p-Things"
    assert kwargs["BillingMode"] == "PROVISIONED"
    assert kwargs["ProvisionedThroughput"] == {"ReadCapacityUnits": 3, "WriteCapacityUnits": 1}
    assert kwargs["LocalSecondaryIndexes"][0]["IndexName"] == "by_sk"
    assert kwargs["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert table_time_to_live(template) == {}


def test_routes_come_from_http_api_events(template):
    found = routes(template)
    assert (
        Route(
            method="POST",
            path="/api/v1/ingest_events",
            function_id="IngestFunction",
            code_uri="functions/ingest/",
            handler="ingest_handler.lambda_handler",
        )
        in found
    )
    assert found[0].route_key == "POST /api/v1/ingest_events"
    assert layer_dirs(template) == ["layers/common/"]
    assert function_limits(template, "IngestFunction", parameter_values(template, {})).timeout == 10


def test_function_environment_resolves_parameters_resources_and_arns(tmp_path):
    template = load_template(
        write(
            tmp_path,
            """
            Parameters:
              Level: {Type: String, Default: INFO}
              Count: {Type: Number, Default: 12}
            Globals:
              Function:
                Environment:
                  Variables:
                    LEVEL: !Ref Level
                    COUNT: !Ref Count
                    SHARED: from-globals
            Resources:
              Table:
                Type: AWS::DynamoDB::Table
                Properties: {}
              Bucket:
                Type: AWS::S3::Bucket
              Fn:
                Type: AWS::Serverless::Function
                Properties:
                  CodeUri: fn/
                  Handler: app.handler
                  Environment:
                    Variables:
                      SHARED: from-function
                      TABLE: !Ref Table
                      TABLE_ARN: !GetAtt Table.Arn
                      BUCKET_ARN: !GetAtt [Bucket, Arn]
                      OBJECTS: !Sub "${Bucket.Arn}/payloads/${AWS::Region}"
                      FLAG: true
                      SIZE: 5
            """,
        )
    )
    params = parameter_values(template, {"LEVEL": "DEBUG"})
    env = function_environment(template, "Fn", params, physical_names(template))
    assert env == {
        "LEVEL": "DEBUG",
        "COUNT": "12",
        "SHARED": "from-function",
        "TABLE": "logister-local-Table",
        "TABLE_ARN": "arn:aws:dynamodb:us-east-1:123456789012:table/logister-local-Table",
        "BUCKET_ARN": "arn:aws:s3:::logister-local-bucket",
        "OBJECTS": "arn:aws:s3:::logister-local-bucket/payloads/us-east-1",
        "FLAG": "true",
        "SIZE": "5",
    }


def test_unknown_references_fail_loudly(tmp_path):
    template = load_template(
        write(
            tmp_path,
            """
            Resources:
              Fn:
                Type: AWS::Serverless::Function
                Properties:
                  CodeUri: fn/
                  Handler: app.handler
                  Environment: {Variables: {QUEUE: !Ref Queue}}
            """,
        )
    )
    with pytest.raises(ValueError, match="Queue"):
        function_environment(template, "Fn", {}, {})
