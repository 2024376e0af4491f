"""Issue 12, finding 5: capacity the API cannot take from the background work, alarms, log retention.

Read from template.yaml itself: the throttles, reservations, alarms and retention exist and are
wired to their parameters."""

from __future__ import annotations

from typing import Any

from local.template import FUNCTION_TYPE, TABLE_TYPE, resources_of_type

ALARM_TYPE = "AWS::CloudWatch::Alarm"
LOG_GROUP_TYPE = "AWS::Logs::LogGroup"
API_FUNCTIONS = {"IngestFunction", "CheckinFunction", "DeploymentsFunction"}
RESERVED = {
    "EventProjectionsFunction": {"Ref": "StreamConsumerConcurrency"},
    "MonitorAlertsFunction": {"Ref": "StreamConsumerConcurrency"},
    "MonitorSweeperFunction": 1,
    "DiagnosticsForwarderFunction": 2,  # only with forwarding on
    "ApiDocsFunction": 2,  # only with EnableApiDocs: a fixed cap, so page loads never take the API's concurrency
}


def ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def alarm_metrics(alarm: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(namespace, metric name, dimensions) of every metric an alarm reads, single or in its math."""
    if "MetricName" in alarm:
        return [(alarm["Namespace"], alarm["MetricName"], _dimensions(alarm["Dimensions"]))]
    return [
        (stat["Metric"]["Namespace"], stat["Metric"]["MetricName"], _dimensions(stat["Metric"]["Dimensions"]))
        for query in alarm["Metrics"]
        if (stat := query.get("MetricStat"))
    ]


def _dimensions(dimensions: list[dict[str, Any]]) -> dict[str, Any]:
    return {dimension["Name"]: dimension["Value"] for dimension in dimensions}


def read_by_alarms(template: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [metric for _, alarm in resources_of_type(template, ALARM_TYPE) for metric in alarm_metrics(alarm)]


def test_every_route_is_throttled_by_api_gateway_from_the_parameters(template):
    settings = template["Resources"]["HttpApi"]["Properties"]["DefaultRouteSettings"]
    assert settings == {
        "ThrottlingRateLimit": ref("ApiThrottlingRateLimit"),
        "ThrottlingBurstLimit": ref("ApiThrottlingBurstLimit"),
    }
    parameters = template["Parameters"]
    assert (parameters["ApiThrottlingRateLimit"]["Default"], parameters["ApiThrottlingBurstLimit"]["Default"]) == (
        1000,
        2000,
    )


def test_the_background_functions_have_reservations_the_api_cannot_take(template):
    functions = dict(resources_of_type(template, FUNCTION_TYPE))
    assert set(functions) == API_FUNCTIONS | set(RESERVED)  # a new function is placed in one group or the other
    for name, reservation in RESERVED.items():
        assert functions[name]["ReservedConcurrentExecutions"] == reservation
    assert template["Parameters"]["StreamConsumerConcurrency"]["Default"] >= 1


def test_the_api_functions_are_capped_only_when_asked(template):
    functions = dict(resources_of_type(template, FUNCTION_TYPE))
    for name in API_FUNCTIONS:
        assert functions[name]["ReservedConcurrentExecutions"] == {
            "Fn::If": ["CapApiConcurrency", ref("ApiReservedConcurrency"), ref("AWS::NoValue")]
        }
    assert template["Conditions"]["CapApiConcurrency"] == {
        "Fn::Not": [{"Fn::Equals": [ref("ApiReservedConcurrency"), "0"]}]
    }
    assert template["Parameters"]["ApiReservedConcurrency"]["Default"] == 0


def test_every_function_logs_to_its_own_group_kept_for_the_retention_parameter(template):
    resources = template["Resources"]
    for name, function in resources_of_type(template, FUNCTION_TYPE):
        group = function["LoggingConfig"]["LogGroup"]["Ref"]
        assert resources[group]["Type"] == LOG_GROUP_TYPE, name
    groups = list(resources_of_type(template, LOG_GROUP_TYPE))
    assert len(groups) == len(list(resources_of_type(template, FUNCTION_TYPE))) + 1  # and the API's access log
    for name, group in groups:
        assert group["RetentionInDays"] == ref("LogRetentionDays"), name
    assert resources["HttpApi"]["Properties"]["AccessLogSettings"]["DestinationArn"] == {
        "Fn::GetAtt": ["ApiAccessLogs", "Arn"]
    }
    assert template["Parameters"]["LogRetentionDays"]["Default"] == 30


def test_every_alarm_notifies_the_operations_topic(template):
    alarms = dict(resources_of_type(template, ALARM_TYPE))
    assert len(alarms) >= 7
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == {
            "Fn::If": ["HasOperationsAlarmTopic", [ref("OperationsAlarmTopicArn")], ref("AWS::NoValue")]
        }, name
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold"), name


def test_api_5xx_function_errors_and_throttles_are_alarmed_for_every_function(template):
    metrics = read_by_alarms(template)
    assert ("AWS/ApiGateway", "5xx", {"ApiId": ref("HttpApi")}) in metrics
    for name, _ in resources_of_type(template, FUNCTION_TYPE):
        for metric in ("Errors", "Throttles"):
            assert ("AWS/Lambda", metric, {"FunctionName": ref(name)}) in metrics, (name, metric)


def test_dynamodb_write_throttling_is_alarmed_for_every_table(template):
    metrics = read_by_alarms(template)
    for name, _ in resources_of_type(template, TABLE_TYPE):
        assert ("AWS/DynamoDB", "WriteThrottleEvents", {"TableName": ref(name)}) in metrics, name
    assert ("AWS/DynamoDB", "ReadThrottleEvents", {"TableName": ref("AuthTable")}) in metrics


def test_rate_limit_skipped_is_alarmed_where_powertools_writes_it(template):
    """Powertools Metrics writes to POWERTOOLS_METRICS_NAMESPACE with a `service` dimension."""
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    namespace, service = variables["POWERTOOLS_METRICS_NAMESPACE"], variables["POWERTOOLS_SERVICE_NAME"]
    assert (namespace, "rate_limit_skipped", {"service": service}) in read_by_alarms(template)


def test_the_fail_open_share_comes_from_its_parameter(template):
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["LOGISTER_RATE_LIMIT_FAIL_OPEN_CONTAINERS"] == ref("RateLimitFailOpenContainers")
    assert template["Parameters"]["RateLimitFailOpenContainers"]["Default"] == 10
