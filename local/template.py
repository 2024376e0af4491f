"""Read template.yaml, the one source of truth for the local stack: parameters, conditions, functions, environment."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

DEFAULT_PREFIX = "logister-local"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account, so our fake ARNs look like the ones moto reports

FUNCTION_TYPE = "AWS::Serverless::Function"
LAYER_TYPE = "AWS::Serverless::LayerVersion"
TABLE_TYPE = "AWS::DynamoDB::Table"
BUCKET_TYPE = "AWS::S3::Bucket"
TOPIC_TYPE = "AWS::SNS::Topic"
SUBSCRIPTION_TYPE = "AWS::SNS::Subscription"
QUEUE_TYPE = "AWS::SQS::Queue"

# Lambda's own defaults, used when neither the function nor Globals set them.
DEFAULT_MEMORY_SIZE = 128
DEFAULT_TIMEOUT = 3

PSEUDO_PARAMETERS = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": DEFAULT_PREFIX,
}

_SHORT_FN_TAGS = (
    "Sub",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "Select",
    "Split",
    "Join",
    "FindInMap",
    "ImportValue",
    "Base64",
    "Cidr",
    "GetAZs",
)


class CloudFormationLoader(yaml.SafeLoader):
    """A SafeLoader that reads CloudFormation's short-form tags (!Ref, !Sub, ...) as their long forms."""


def _node_value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]


def _long_form(key: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        return {key: _node_value(loader, node)}

    return construct


def _construct_get_att(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    value = _node_value(loader, node)
    if isinstance(value, str):
        # "Resource.Attribute"; the attribute itself may contain dots (Endpoint.Address).
        resource, _, attribute = value.partition(".")
        value = [resource, attribute]
    return {"Fn::GetAtt": value}


CloudFormationLoader.add_constructor("!Ref", _long_form("Ref"))
CloudFormationLoader.add_constructor("!Condition", _long_form("Condition"))
CloudFormationLoader.add_constructor("!GetAtt", _construct_get_att)
for _tag in _SHORT_FN_TAGS:
    CloudFormationLoader.add_constructor(f"!{_tag}", _long_form(f"Fn::{_tag}"))


def load_template(path: str | os.PathLike[str] = "template.yaml") -> dict[str, Any]:
    with open(path, encoding="utf-8") as stream:
        template: dict[str, Any] = yaml.load(stream, Loader=CloudFormationLoader)  # a SafeLoader subclass: safe
    return template


def resources_of_type(template: Mapping[str, Any], resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(logical id, Properties) of every resource of that type, in template order."""
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") == resource_type:
            yield logical_id, resource.get("Properties") or {}


def _as_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_as_str(item) for item in value)  # CommaDelimitedList
    return str(value)


def _environment_variables(properties: Mapping[str, Any]) -> dict[str, Any]:
    return dict(((properties.get("Environment") or {}).get("Variables")) or {})


def _globalfunction_properties(template: Mapping[str, Any]) -> dict[str, Any]:
    return dict((template.get("Globals") or {}).get("Function") or {})


def function_properties(template: Mapping[str, Any], function_id: str) -> dict[str, Any]:
    """A function's Properties with Globals merged in (shallowly, as is enough for the keys we read)."""
    functions = dict(resources_of_type(template, FUNCTION_TYPE))
    if function_id not in functions:
        raise KeyError(f"no {FUNCTION_TYPE} named {function_id} in the template")
    return _globalfunction_properties(template) | functions[function_id]


def function_code(template: Mapping[str, Any], function_id: str) -> tuple[str, str]:
    """(CodeUri, Handler) of a function: its directory relative to the template, and module.function."""
    props = function_properties(template, function_id)
    code_uri = props.get("CodeUri")
    if not isinstance(code_uri, str):
        raise ValueError(f"{function_id}: only a local CodeUri directory can be emulated")
    return code_uri, str(props["Handler"])


def function_events(template: Mapping[str, Any], event_type: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(function id, event id, event Properties) of every function event of that type, in template order."""
    for function_id, _ in resources_of_type(template, FUNCTION_TYPE):
        events = function_properties(template, function_id).get("Events") or {}
        for event_id, event in events.items():
            if event.get("Type") == event_type:
                yield function_id, event_id, dict(event.get("Properties") or {})


def parameter_values(template: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    """Each parameter's Default, overridden by the environment variable a function passes it as.

    `LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS: !Ref PublicApiRateLimitRequests` means that exporting
    LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS locally sets PublicApiRateLimitRequests, as a deploy would.
    """
    params = {name: _as_str(spec.get("Default", "")) for name, spec in (template.get("Parameters") or {}).items()}
    sources = [_environment_variables(_globalfunction_properties(template))]
    sources += [_environment_variables(props) for _, props in resources_of_type(template, FUNCTION_TYPE)]
    for variables in sources:
        for variable, value in variables.items():
            if isinstance(value, dict) and value.keys() == {"Ref"} and value["Ref"] in params and variable in environ:
                params[value["Ref"]] = environ[variable]
    return params


def evaluate_conditions(template: Mapping[str, Any], params: Mapping[str, str]) -> dict[str, bool]:
    """Every entry of Conditions, evaluated (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition) over the parameters."""
    definitions: Mapping[str, Any] = template.get("Conditions") or {}
    values = _Resolver(template, params, {}, conditions={})
    results: dict[str, bool] = {}
    evaluating: set[str] = set()

    def condition(name: str) -> bool:
        if name not in results:
            if name not in definitions:
                raise ValueError(f"condition {name} is not defined in Conditions")
            if name in evaluating:
                raise ValueError(f"condition {name} refers to itself")
            evaluating.add(name)
            results[name] = evaluate(definitions[name])
        return results[name]

    def evaluate(expression: Any) -> bool:
        if isinstance(expression, dict) and len(expression) == 1:
            ((key, argument),) = expression.items()
            if key == "Condition":
                return condition(argument)
            if key == "Fn::Equals":
                left, right = argument
                return _as_str(values.resolve(left)) == _as_str(values.resolve(right))
            if key == "Fn::Not":
                (operand,) = argument
                return not evaluate(operand)
            if key == "Fn::And":
                return all(evaluate(operand) for operand in argument)
            if key == "Fn::Or":
                return any(evaluate(operand) for operand in argument)
        if isinstance(expression, bool):
            return expression
        raise ValueError(f"cannot evaluate the condition expression {expression!r}")

    for name in definitions:
        condition(name)
    return results


def active_template(template: Mapping[str, Any], params: Mapping[str, str]) -> dict[str, Any]:
    """The template without the resources whose Condition is false, as CloudFormation would deploy it."""
    conditions = evaluate_conditions(template, params)
    resources: dict[str, Any] = {}
    for logical_id, resource in (template.get("Resources") or {}).items():
        name = resource.get("Condition")
        if name is not None and name not in conditions:
            raise ValueError(f"{logical_id}: condition {name} is not defined in Conditions")
        if name is None or conditions[name]:
            resources[logical_id] = resource
    return {**template, "Resources": resources}


class _NoValue:
    """AWS::NoValue: the property that resolves to it is left out."""


NO_VALUE = _NoValue()


class _Resolver:
    """Evaluates the intrinsic functions local values may use (Ref, GetAtt, Sub, Join, Select, Split, If).

    `names` is what Ref returns for a resource (a table's or bucket's name, a topic's ARN); `attributes`
    holds GetAtt values only the emulation knows, keyed "Resource.Attribute" (a table's StreamArn).
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        params: Mapping[str, str],
        names: Mapping[str, str],
        attributes: Mapping[str, str] | None = None,
        conditions: Mapping[str, bool] | None = None,
    ) -> None:
        self._types = {rid: res.get("Type") for rid, res in (template.get("Resources") or {}).items()}
        self._template = template
        self._params = params
        self._names = names
        self._attributes = attributes or {}
        self._conditions = conditions

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self.resolve(item) for item in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return NO_VALUE if argument == "AWS::NoValue" else self._ref(argument)
            if key == "Fn::GetAtt":
                return self._get_att(*self.resolve(argument))
            if key == "Fn::If":
                name, if_true, if_false = argument
                return self.resolve(if_true if self._condition(name) else if_false)
            if key == "Fn::Sub":
                return self._sub(argument)
            if key == "Fn::Join":
                separator, items = argument
                return separator.join(_as_str(item) for item in self.resolve(items))
            if key == "Fn::Select":
                index, items = self.resolve(argument)
                return items[int(index)]
            if key == "Fn::Split":
                separator, text = self.resolve(argument)
                return text.split(separator)
            if key.startswith("Fn::") or key == "Condition":
                raise ValueError(f"{key} is not supported by the local emulation")
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _condition(self, name: str) -> bool:
        if self._conditions is None:
            self._conditions = evaluate_conditions(self._template, self._params)
        if name not in self._conditions:
            raise ValueError(f"condition {name} is not defined in Conditions")
        return self._conditions[name]

    def _ref(self, name: str) -> str:
        for source in (self._params, self._names, PSEUDO_PARAMETERS):
            if name in source:
                return source[name]
        raise ValueError(f"!Ref {name}: the local emulation only knows parameters, tables, buckets and topics")

    def _get_att(self, resource: str, attribute: str) -> str:
        if f"{resource}.{attribute}" in self._attributes:
            return self._attributes[f"{resource}.{attribute}"]
        if attribute == "Arn" and resource in self._names:
            name = self._names[resource]
            if self._types.get(resource) == TABLE_TYPE:
                return f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"
            if self._types.get(resource) == BUCKET_TYPE:
                return f"arn:aws:s3:::{name}"
        raise ValueError(f"!GetAtt {resource}.{attribute} is not supported by the local emulation")

    def _sub(self, argument: str | list[Any]) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        variables = self.resolve(variables)

        def substitute(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("!"):  # ${!Literal} stands for the text ${Literal}
                return "${" + expression[1:] + "}"
            if expression in variables:
                return _as_str(variables[expression])
            resource, dot, attribute = expression.partition(".")
            return self._get_att(resource, attribute) if dot else self._ref(expression)

        return re.sub(r"\$\{([^}]*)\}", substitute, text)


def resolve(
    template: Mapping[str, Any],
    value: Any,
    params: Mapping[str, str],
    names: Mapping[str, str] | None = None,
    attributes: Mapping[str, str] | None = None,
) -> Any:
    """Evaluate the intrinsic functions in a value (see _Resolver for what names and attributes hold)."""
    return _Resolver(template, params, names or {}, attributes).resolve(value)


def function_environment(
    template: Mapping[str, Any],
    function_logical_id: str,
    params: Mapping[str, str],
    names: Mapping[str, str],
    attributes: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment Lambda would give the function: Globals merged with its own variables, resolved.

    `names` is what Ref returns for each resource (topics: their ARN); `attributes` holds GetAtt values
    only the emulation knows, keyed "Resource.Attribute" (e.g. "MonitorsTable.StreamArn").
    """
    variables = _environment_variables(_globalfunction_properties(template))
    variables |= _environment_variables(function_properties(template, function_logical_id))
    resolver = _Resolver(template, params, names, attributes)
    resolved = {name: resolver.resolve(value) for name, value in variables.items()}
    return {name: _as_str(value) for name, value in resolved.items() if value is not NO_VALUE}


def table_time_to_live(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """dynamodb.update_time_to_live TimeToLiveSpecification of every table whose TTL is enabled."""
    return {
        logical_id: {"Enabled": True, "AttributeName": props["TimeToLiveSpecification"]["AttributeName"]}
        for logical_id, props in resources_of_type(template, TABLE_TYPE)
        if (props.get("TimeToLiveSpecification") or {}).get("Enabled") in (True, "true", "True")
    }


def subscription_kwargs(
    template: Mapping[str, Any], params: Mapping[str, str], names: Mapping[str, str]
) -> list[dict[str, str]]:
    """sns.subscribe keyword arguments of each AWS::SNS::Subscription, a type moto's CloudFormation skips.

    `names` must map each topic to its ARN (what Ref returns).
    """
    resolver = _Resolver(template, params, names)
    found: list[dict[str, str]] = []
    for _, raw in resources_of_type(template, SUBSCRIPTION_TYPE):
        props = resolver.resolve({key: raw[key] for key in ("TopicArn", "Protocol", "Endpoint") if key in raw})
        found.append({key: _as_str(value) for key, value in props.items()})
    return found


@dataclass(frozen=True, slots=True)
class Route:
    method: str  # upper case, or ANY
    path: str  # exact path, or $default for the catch-all route
    function_id: str
    code_uri: str  # relative to the template's directory, e.g. functions/ingest/
    handler: str  # module.function, e.g. ingest_handler.lambda_handler

    @property
    def route_key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"


def routes(template: Mapping[str, Any]) -> list[Route]:
    """Every HttpApi event of every function, in template order."""
    found: list[Route] = []
    for function_id, _, event_props in function_events(template, "HttpApi"):
        code_uri, handler = function_code(template, function_id)
        found.append(
            Route(
                method=str(event_props.get("Method") or "ANY").upper(),
                # An HttpApi event without Path is SAM's catch-all $default route.
                path=str(event_props.get("Path") or "$default"),
                function_id=function_id,
                code_uri=code_uri,
                handler=handler,
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class FunctionLimits:
    memory_size: int
    timeout: int


def function_limits(template: Mapping[str, Any], function_id: str, params: Mapping[str, str]) -> FunctionLimits:
    """MemorySize and Timeout, for the fake Lambda context."""
    props = function_properties(template, function_id)
    props = _Resolver(template, params, {}).resolve(
        {key: props[key] for key in ("MemorySize", "Timeout") if key in props}
    )
    return FunctionLimits(
        memory_size=int(props.get("MemorySize", DEFAULT_MEMORY_SIZE)),
        timeout=int(props.get("Timeout", DEFAULT_TIMEOUT)),
    )


def layer_dirs(template: Mapping[str, Any]) -> list[str]:
    """ContentUri of every layer: SAM puts a Python layer's directory on the function's sys.path."""
    return [
        props["ContentUri"]
        for _, props in resources_of_type(template, LAYER_TYPE)
        if isinstance(props.get("ContentUri"), str)
    ]
