"""local.emulation: template.yaml as a moto CloudFormation stack plus what moto skips; the moto server of `make dev`."""

from __future__ import annotations

import socket
import textwrap

import boto3
import pytest
from moto import mock_aws

from local.emulation import provision_stack, start_dynamodb
from local.template import load_template, resources_of_type


def test_provision_creates_every_table_and_bucket_of_the_template(template):
    with mock_aws():
        dynamodb, s3 = boto3.client("dynamodb"), boto3.client("s3")
        stack = provision_stack(template, environ={"LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS": "7"})
        env, names = stack.environment, stack.names
        tables = [logical_id for logical_id, _ in resources_of_type(template, "AWS::DynamoDB::Table")]
        assert sorted(dynamodb.list_tables()["TableNames"]) == sorted(names[t] for t in tables)
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [names["PayloadBucket"]]

        events = dynamodb.describe_table(TableName=names["EventsTable"])["Table"]
        assert events["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
        assert events["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        ttl = dynamodb.describe_time_to_live(TableName=names["EventsTable"])["TimeToLiveDescription"]
        assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")
        for logical_id, props in resources_of_type(template, "AWS::DynamoDB::Table"):
            described = dynamodb.describe_table(TableName=names[logical_id])["Table"]
            assert described["TableName"] == f"logister-local-{logical_id}"  # stable, without CloudFormation's suffix
            assert described["KeySchema"] == props["KeySchema"]
            assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
            assert [i["IndexName"] for i in described.get("GlobalSecondaryIndexes", [])] == [
                i["IndexName"] for i in props.get("GlobalSecondaryIndexes", [])
            ]

        assert env["EVENTS_TABLE"] == names["EventsTable"]
        assert env["PAYLOAD_BUCKET"] == names["PayloadBucket"]
        assert env["LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS"] == "7"

        # Running it again against the same emulation is harmless.
        assert provision_stack(template, environ={"LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS": "7"}).environment == env


def test_provision_creates_the_topic_and_the_monitors_stream_and_skips_false_conditions(template):
    with mock_aws():
        dynamodb, sns = boto3.client("dynamodb"), boto3.client("sns")
        stack = provision_stack(template, environ={})

        topic = "arn:aws:sns:us-east-1:123456789012:logister-local-AlertTopic"
        assert [t["TopicArn"] for t in sns.list_topics()["Topics"]] == [topic]
        attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
        assert (attributes["DisplayName"], attributes["KmsMasterKeyId"]) == ("Logister monitor alerts", "alias/aws/sns")
        assert sns.list_subscriptions()["Subscriptions"] == []  # AlertEmail is empty: HasAlertEmail is false
        assert "AlertEmailSubscription" not in stack.template["Resources"]
        assert stack.topic_arns() == {"AlertTopic": topic}

        monitors = dynamodb.describe_table(TableName=stack.names["MonitorsTable"])["Table"]
        assert monitors["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        assert stack.stream_arns()["MonitorsTable"] == monitors["LatestStreamArn"]
        assert set(stack.stream_arns()) == {"MonitorsTable", "EventsTable"}

        env = stack.environment
        assert env["ALERT_TOPIC_ARN"] == topic
        assert env["MONITORS_TABLE"] == "logister-local-MonitorsTable"
        assert env["POWERTOOLS_SERVICE_NAME"] == "logister"  # from Globals only

        # With an address, the subscription exists (moto neither confirms nor sends anything).
        email = {"AlertEmail": "ops@example.com"}
        provision_stack(template, environ={}, parameters=email)
        (subscription,) = sns.list_subscriptions()["Subscriptions"]
        assert (subscription["TopicArn"], subscription["Protocol"]) == (topic, "email")
        assert subscription["Endpoint"] == "ops@example.com"


def test_provision_creates_the_stream_failure_queue_with_its_attributes(template):
    with mock_aws():
        stack = provision_stack(template, environ={})
        sqs = boto3.client("sqs")

        url = stack.queue_urls()["StreamFailureQueue"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["QueueArn"] == stack.attributes["StreamFailureQueue.Arn"]
        assert attributes["QueueArn"].endswith(":logister-local-StreamFailureQueue")
        assert (attributes["MessageRetentionPeriod"], attributes["SqsManagedSseEnabled"]) == ("1209600", "true")
        # Provisioning twice (make dev against a running emulation) finds the same queue.
        again = provision_stack(template, environ={})
        assert again.queue_urls() == stack.queue_urls()


def test_functions_that_disagree_on_a_variable_are_refused(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text(
        textwrap.dedent(
            """
            Resources:
              A:
                Type: AWS::Serverless::Function
                Properties: {CodeUri: a/, Handler: a.h, Environment: {Variables: {MODE: one, SAME: x}}}
              B:
                Type: AWS::Serverless::Function
                Properties: {CodeUri: b/, Handler: b.h, Environment: {Variables: {MODE: two, SAME: x}}}
            """
        )
    )
    with mock_aws(), pytest.raises(ValueError, match="MODE"):
        provision_stack(load_template(path), environ={})


def test_a_resource_that_neither_moto_nor_the_emulation_creates_is_refused(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text("Resources: {Machine: {Type: AWS::Serverless::StateMachine, Properties: {}}}\n")
    with mock_aws(), pytest.raises(ValueError, match=r"Machine \(AWS::Serverless::StateMachine\)"):
        provision_stack(load_template(path), environ={})


def test_moto_server_serves_dynamodb_and_s3_and_configures_the_environment(template):
    environ: dict[str, str] = {"AWS_PROFILE": "someone-real", "AWS_SESSION_TOKEN": "real"}
    server, endpoint = start_dynamodb(port=0, environ=environ)
    try:
        assert environ["AWS_ENDPOINT_URL_DYNAMODB"] == environ["AWS_ENDPOINT_URL_S3"] == endpoint
        assert environ["AWS_ENDPOINT_URL_SNS"] == environ["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] == endpoint
        assert environ["AWS_ENDPOINT_URL"] == endpoint  # any other service: moto too, never real AWS
        assert environ["AWS_ACCESS_KEY_ID"] == "testing"
        assert "AWS_PROFILE" not in environ
        assert "AWS_SESSION_TOKEN" not in environ
        assert environ["POWERTOOLS_TRACE_DISABLED"] == environ["POWERTOOLS_METRICS_DISABLED"] == "true"

        dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        names = provision_stack(template, endpoint, environ={}).names
        bucket = names["PayloadBucket"]
        s3.put_object(Bucket=bucket, Key="payloads/x", Body=b"blob")
        assert s3.get_object(Bucket=bucket, Key="payloads/x")["Body"].read() == b"blob"
        assert names["EventsTable"] in dynamodb.list_tables()["TableNames"]
    finally:
        server.stop()


def test_a_busy_port_falls_back_to_a_free_one(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        server, endpoint = start_dynamodb(port=port, environ={})
        try:
            assert not endpoint.endswith(f":{port}")
            assert f"Port {port} is busy" in capsys.readouterr().err
        finally:
            server.stop()
