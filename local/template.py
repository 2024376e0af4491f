"""Read template.yaml, the one source of truth for the local stack: parameters, tables, buckets, routes, environment."""

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
        return yaml.load(stream, Loader=CloudFormationLoader)  # a SafeLoader subclass: safe


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


def _global_function_properties(template: Mapping[str, Any]) -> dict[str, Any]:
    return dict((template.get("Globals") or {}).get("Function") or {})


def _function_properties(template: Mapping[str, Any], function_id: str) -> dict[str, Any]:
    functions = dict(resources_of_type(template, FUNCTION_TYPE))
    if function_id not in functions:
        raise KeyError(f"no {FUNCTION_TYPE} named {function_id} in the template")
    # SAM merges Globals into each function; a shallow merge is enough for the keys we read.
    return _global_function_properties(template) | functions[function_id]


def parameter_values(template: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    """Each parameter's Default, overridden by the environment variable a function passes it as.

    `LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS: !Ref PublicApiRateLimitRequests` means that exporting
    LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS locally sets PublicApiRateLimitRequests, as a deploy would.
    """
    params = {name: _as_str(spec.get("Default", "")) for name, spec in (template.get("Parameters") or {}).items()}
    sources = [_environment_variables(_global_function_properties(template))]
    sources += [_environment_variables(props) for _, props in resources_of_type(template, FUNCTION_TYPE)]
    for variables in sources:
        for variable, value in variables.items():
            if isinstance(value, dict) and value.keys() == {"Ref"} and value["Ref"] in params and variable in environ:
                params[value["Ref"]] = environ[variable]
    return params


def _bucket_name(raw: str) -> str:
    # S3 names: 3-63 characters of lowercase letters, digits, dots and hyphens, starting and ending alphanumeric.
    name = re.sub(r"[^a-z0-9.-]+", "-", raw.lower()).strip(".-")[:63].strip(".-")
    return name.ljust(3, "0")


def physical_names(template: Mapping[str, Any], prefix: str = DEFAULT_PREFIX) -> dict[str, str]:
    """The local name of every table and bucket: the explicit name when the template fixes one."""
    names: dict[str, str] = {}
    for logical_id, props in resources_of_type(template, TABLE_TYPE):
        explicit = props.get("TableName")
        names[logical_id] = explicit if isinstance(explicit, str) else f"{prefix}-{logical_id}"
    for logical_id, props in resources_of_type(template, BUCKET_TYPE):
        explicit = props.get("BucketName")
        names[logical_id] = explicit if isinstance(explicit, str) else _bucket_name(f"{prefix}-{logical_id}")
    return names


class _Resolver:
    """Evaluates the intrinsic functions local values may use (Ref, GetAtt Arn, Sub, Join, Select, Split)."""

    def __init__(self, template: Mapping[str, Any], params: Mapping[str, str], names: Mapping[str, str]) -> None:
        self._types = {rid: res.get("Type") for rid, res in (template.get("Resources") or {}).items()}
        self._params = params
        self._names = names

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self._ref(argument)
            if key == "Fn::GetAtt":
                return self._get_att(*self.resolve(argument))
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
        return {key: self.resolve(item) for key, item in value.items()}

    def _ref(self, name: str) -> str:
        for source in (self._params, self._names, PSEUDO_PARAMETERS):
            if name in source:
                return source[name]
        raise ValueError(f"!Ref {name}: the local emulation only knows parameters, tables and buckets")

    def _get_att(self, resource: str, attribute: str) -> str:
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


def function_environment(
    template: Mapping[str, Any], function_logical_id: str, params: Mapping[str, str], names: Mapping[str, str]
) -> dict[str, str]:
    """The environment Lambda would give the function: Globals merged with its own variables, resolved."""
    variables = _environment_variables(_global_function_properties(template))
    variables |= _environment_variables(_function_properties(template, function_logical_id))
    resolver = _Resolver(template, params, names)
    return {name: _as_str(resolver.resolve(value)) for name, value in variables.items()}


def _throughput(spec: Mapping[str, Any]) -> dict[str, int]:
    return {key: int(spec[key]) for key in ("ReadCapacityUnits", "WriteCapacityUnits")}


def _index(spec: Mapping[str, Any]) -> dict[str, Any]:
    index = {key: spec[key] for key in ("IndexName", "KeySchema", "Projection") if key in spec}
    if "ProvisionedThroughput" in spec:
        index["ProvisionedThroughput"] = _throughput(spec["ProvisionedThroughput"])
    return index


def table_create_kwargs(
    template: Mapping[str, Any], params: Mapping[str, str] | None = None, prefix: str = DEFAULT_PREFIX
) -> dict[str, dict[str, Any]]:
    """dynamodb.create_table keyword arguments for every table (CloudFormation and the API differ slightly)."""
    names = physical_names(template, prefix)
    resolver = _Resolver(template, params if params is not None else parameter_values(template, {}), names)
    tables: dict[str, dict[str, Any]] = {}
    for logical_id, raw in resources_of_type(template, TABLE_TYPE):
        props = resolver.resolve(raw)
        kwargs: dict[str, Any] = {
            "TableName": names[logical_id],
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),  # CloudFormation's default too
        }
        if "ProvisionedThroughput" in props:
            kwargs["ProvisionedThroughput"] = _throughput(props["ProvisionedThroughput"])
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if props.get(key):
                kwargs[key] = [_index(spec) for spec in props[key]]
        if props.get("StreamSpecification"):
            # CloudFormation only names the view type; the API also wants the switch.
            view_type = props["StreamSpecification"]["StreamViewType"]
            kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view_type}
        tables[logical_id] = kwargs
    return tables


def table_time_to_live(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """dynamodb.update_time_to_live TimeToLiveSpecification of every table whose TTL is enabled."""
    return {
        logical_id: {"Enabled": True, "AttributeName": props["TimeToLiveSpecification"]["AttributeName"]}
        for logical_id, props in resources_of_type(template, TABLE_TYPE)
        if (props.get("TimeToLiveSpecification") or {}).get("Enabled") in (True, "true", "True")
    }


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
    for function_id, _ in resources_of_type(template, FUNCTION_TYPE):
        props = _function_properties(template, function_id)
        for event in (props.get("Events") or {}).values():
            if event.get("Type") != "HttpApi":
                continue
            event_props = event.get("Properties") or {}
            code_uri = props.get("CodeUri")
            if not isinstance(code_uri, str):
                raise ValueError(f"{function_id}: only a local CodeUri directory can be emulated")
            found.append(
                Route(
                    method=str(event_props.get("Method") or "ANY").upper(),
                    # An HttpApi event without Path is SAM's catch-all $default route.
                    path=str(event_props.get("Path") or "$default"),
                    function_id=function_id,
                    code_uri=code_uri,
                    handler=str(props["Handler"]),
                )
            )
    return found


@dataclass(frozen=True, slots=True)
class FunctionLimits:
    memory_size: int
    timeout: int


def function_limits(template: Mapping[str, Any], function_id: str, params: Mapping[str, str]) -> FunctionLimits:
    """MemorySize and Timeout, for the fake Lambda context."""
    props = _function_properties(template, function_id)
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
