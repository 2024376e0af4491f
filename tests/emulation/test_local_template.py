"""local.template: CloudFormation tags, parameters, conditions, TTL, routes and environments read from template.yaml."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from local.template import (
    Route,
    active_template,
    evaluate_conditions,
    function_environment,
    function_limits,
    layer_dirs,
    load_template,
    parameter_values,
    routes,
    subscription_kwargs,
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


def test_time_to_live_of_the_tables_that_enable_it(template, tmp_path):
    ttl = table_time_to_live(template)
    assert ttl["EventsTable"] == {"Enabled": True, "AttributeName": "expires_at"}
    assert "ErrorGroupsTable" not in ttl

    disabled = """
        Resources:
          Things:
            Type: AWS::DynamoDB::Table
            Properties:
              KeySchema: [{AttributeName: pk, KeyType: HASH}]
              TimeToLiveSpecification: {AttributeName: ttl, Enabled: false}
    """
    assert table_time_to_live(load_template(write(tmp_path, disabled))) == {}


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
    env = function_environment(
        template, "Fn", params, {"Table": "logister-local-Table", "Bucket": "logister-local-bucket"}
    )
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


CONDITIONS_YAML = """
Parameters:
  Stage: {Type: String, Default: dev}
  AlertEmail: {Type: String, Default: ""}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  HasAlertEmail: !Not [!Equals [!Ref AlertEmail, ""]]
  ProdWithEmail: !And [!Condition IsProd, !Condition HasAlertEmail]
  ProdOrEmail: !Or [!Condition IsProd, !Condition HasAlertEmail]
  InRegion: !Equals [!Ref "AWS::Region", us-east-1]
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: !If [IsProd, Production alerts, Alerts]
      KmsMasterKeyId: alias/aws/sns
  Subscription:
    Type: AWS::SNS::Subscription
    Condition: HasAlertEmail
    Properties: {TopicArn: !Ref Topic, Protocol: email, Endpoint: !Ref AlertEmail}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Environment:
        Variables:
          TOPIC_ARN: !Ref Topic
          TOPIC_NAME: !GetAtt Topic.TopicName
          STREAM: !GetAtt Table.StreamArn
          MODE: !If [IsProd, strict, relaxed]
          OPTIONAL: !If [IsProd, set, !Ref "AWS::NoValue"]
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
"""


@pytest.mark.parametrize(
    ("stage", "email", "expected"),
    [
        ("dev", "", {"IsProd": False, "HasAlertEmail": False, "ProdWithEmail": False, "ProdOrEmail": False}),
        ("prod", "", {"IsProd": True, "HasAlertEmail": False, "ProdWithEmail": False, "ProdOrEmail": True}),
        ("dev", "a@b.c", {"IsProd": False, "HasAlertEmail": True, "ProdWithEmail": False, "ProdOrEmail": True}),
        ("prod", "a@b.c", {"IsProd": True, "HasAlertEmail": True, "ProdWithEmail": True, "ProdOrEmail": True}),
    ],
)
def test_conditions_are_evaluated_over_parameters(tmp_path, stage, email, expected):
    template = load_template(write(tmp_path, CONDITIONS_YAML))
    assert evaluate_conditions(template, {"Stage": stage, "AlertEmail": email}) == {**expected, "InRegion": True}


def test_resources_whose_condition_is_false_are_left_out(tmp_path):
    template = load_template(write(tmp_path, CONDITIONS_YAML))
    assert "Subscription" not in active_template(template, {"Stage": "dev", "AlertEmail": ""})["Resources"]
    with_email = active_template(template, {"Stage": "dev", "AlertEmail": "a@b.c"})
    assert set(with_email["Resources"]) == {"Topic", "Subscription", "Fn", "Table"}
    assert template["Resources"]["Subscription"]  # the template itself is left alone


def test_the_real_template_skips_the_alert_email_subscription_by_default(template):
    defaults = parameter_values(template, {})
    assert evaluate_conditions(template, defaults) == {
        "HasAlertEmail": False,
        "HasOperationsAlarmTopic": False,
        "UseSnapStart": False,
        "UsePointInTimeRecovery": False,
        "CapApiConcurrency": False,
        "ForwardDiagnostics": False,  # the forwarder and its log group exist only with both its parameters
        "ServeApiDocs": True,  # EnableApiDocs: /docs is on by default
    }
    assert "AlertEmailSubscription" not in active_template(template, defaults)["Resources"]
    assert "DiagnosticsForwarderFunction" not in active_template(template, defaults)["Resources"]
    forwarding = defaults | {"DiagnosticsEndpoint": "https://x.example", "DiagnosticsApiKeyParameter": "/k"}
    assert "DiagnosticsForwarderFunction" in active_template(template, forwarding)["Resources"]
    without_docs = active_template(template, defaults | {"EnableApiDocs": "false"})["Resources"]
    assert {"ApiDocsFunction", "ApiDocsFunctionLogs", "ApiDocsAlarm"}.isdisjoint(without_docs)
    assert {"ApiDocsFunction", "ApiDocsFunctionLogs", "ApiDocsAlarm"} <= set(
        active_template(template, defaults)["Resources"]
    )
    with_email = active_template(template, defaults | {"AlertEmail": "ops@example.com"})
    assert "AlertEmailSubscription" in with_email["Resources"]


def test_unknown_or_circular_conditions_fail_loudly(tmp_path):
    template = load_template(write(tmp_path, "Conditions: {A: !Condition B, B: !Condition A}\n"))
    with pytest.raises(ValueError, match="itself"):
        evaluate_conditions(template, {})
    template = load_template(write(tmp_path, "Resources: {T: {Type: AWS::SNS::Topic, Condition: Nope}}\n"))
    with pytest.raises(ValueError, match="Nope"):
        active_template(template, {})


def test_topics_subscriptions_and_their_references(tmp_path):
    template = load_template(write(tmp_path, CONDITIONS_YAML))
    params = {"Stage": "prod", "AlertEmail": "a@b.c"}
    arn = "arn:aws:sns:us-east-1:123456789012:logister-local-Topic"
    names = {"Table": "logister-local-Table", "Topic": arn}
    assert subscription_kwargs(template, params, names) == [{"TopicArn": arn, "Protocol": "email", "Endpoint": "a@b.c"}]

    stream = "arn:aws:dynamodb:us-east-1:123456789012:table/logister-local-Table/stream/2024-01-01T00:00:00.000"
    attributes = {"Table.StreamArn": stream, "Topic.TopicName": "logister-local-Topic"}
    env = function_environment(template, "Fn", params, names, attributes)
    assert env == {
        "TOPIC_ARN": arn,
        "TOPIC_NAME": "logister-local-Topic",
        "STREAM": stream,
        "MODE": "strict",
        "OPTIONAL": "set",
    }
    relaxed = function_environment(template, "Fn", {"Stage": "dev", "AlertEmail": ""}, names, attributes)
    assert relaxed["MODE"] == "relaxed"
    assert "OPTIONAL" not in relaxed  # AWS::NoValue removes the variable
    with pytest.raises(ValueError, match="StreamArn"):
        function_environment(template, "Fn", params, names, {"Topic.TopicName": "x"})  # only provisioning knows it
