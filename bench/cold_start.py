"""First response after a cold start, from the `sam build` artifact, against the floor measured in the same run.

What AWS runs: the built function and layer (.aws-sam/build, built by `make sam-build` when missing),
precompiled bytecode only, in a fresh python3.13 per sample that writes no bytecode (-B; /var/task and
/opt are read-only on Lambda) and sees only what Lambda puts on sys.path (-I; the function's code, the
layer, then the runtime's boto3). Each sample times the imports, the clients and one real request
handled by the real handler against a moto server this process runs, with the stack provisioned and a
token seeded. The floor: the same interpreter importing the same boto3 (the layer's pin shadows the
runtime's), creating a DynamoDB client and making the same DynamoDB calls the function made for the
request (recorded from one response first, replayed as they are: writes the store refuses on replay
still make their round trip). So the floor is what any function making those calls pays, and floor +
is our own code: the handler, Powertools and the package. Floor and function samples alternate so
machine noise hits both alike; figures are medians of RUNS samples, and floor + is the median of the
paired differences.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import LAMBDA_LIKE_ENVIRONMENT

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / ".aws-sam/build"
BUILT_LAYER = BUILD / "CommonLayer/python"
RUNS = int(os.environ.get("BENCH_COLD_RUNS", "11"))
TOKEN = "lgs_benchcoldstart0000000000000000000000"
# The runtime's own boto3 (/var/lang/lib/python3.13/site-packages on Lambda): these top-level names
# from this interpreter's site-packages, precompiled by pip, placed after the layer.
RUNTIME_BOTO3 = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py", "__pycache__")


@dataclass(frozen=True, slots=True)
class Function:
    function_id: str  # the template's logical id, as built under .aws-sam/build
    module: str
    event: Callable[[], dict[str, Any]]


def _post(path: str, body: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    def event() -> dict[str, Any]:
        from tests.support import http_event

        return http_event(body, token=TOKEN, path=path)

    return event


def _scheduled() -> dict[str, Any]:
    from local.schedules import scheduled_event

    return scheduled_event("arn:aws:events:us-east-1:123456789012:rule/bench-sweep")


FUNCTIONS = {
    "ingest": Function(
        "IngestFunction",
        "ingest_handler",
        _post(
            "/api/v1/ingest_events",
            {"event": {"event_type": "error", "message": "boom", "context": {"exception": {"class": "RuntimeError"}}}},
        ),
    ),
    "checkin": Function(
        "CheckinFunction",
        "checkin_handler",
        _post("/api/v1/check_ins", {"check_in": {"slug": "nightly", "status": "ok", "expected_interval_seconds": 600}}),
    ),
    "deployments": Function(
        "DeploymentsFunction",
        "deployments_handler",
        _post(
            "/api/v1/deployments",
            {
                "deployment": {
                    "release": "2026.11.30",
                    "environment": "production",
                    "repository": "acme/checkout",
                    "commit_sha": "0123abcdef4567",
                    "branch": "main",
                    "deployed_at": "2026-11-30T09:00:00Z",
                }
            },
        ),
    ),
    "monitor_sweeper": Function("MonitorSweeperFunction", "sweeper_handler", _scheduled),
}

# Run with -B -I: argv[1] is the sample as JSON. The timer starts after the interpreter is up and the
# sample is parsed (Lambda's runtime has done as much before it imports the handler).
_PRELUDE = """\
import json, sys, time
sample = json.loads(sys.argv[1])
sys.path[:0] = sample["before"]
sys.path += sample["after"]
"""
_FUNCTION = (
    _PRELUDE
    + """\
class Context:
    function_name = "bench"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    memory_limit_in_mb = 256
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"
    def get_remaining_time_in_millis(self):
        return 10000
calls = []
if sample["record"]:
    import base64, botocore.client
    make_api_call = botocore.client.BaseClient._make_api_call
    def as_json(value):
        if isinstance(value, bytes):
            return {"__bytes__": base64.b64encode(value).decode()}
        if isinstance(value, dict):
            return {key: as_json(item) for key, item in value.items()}
        if isinstance(value, (list, tuple, set)):
            return [as_json(item) for item in value]
        return value
    def recorded(self, operation, params):
        if self.meta.service_model.service_name == "dynamodb":
            calls.append([operation, as_json(params)])
        return make_api_call(self, operation, params)
    botocore.client.BaseClient._make_api_call = recorded
start = time.perf_counter()
import importlib
handler = importlib.import_module(sample["module"]).lambda_handler
response = handler(sample["event"], Context())
elapsed = (time.perf_counter() - start) * 1000
status = response.get("statusCode", 200) if isinstance(response, dict) else 200
print(json.dumps({"ms": elapsed, "status": status, "calls": calls}))
"""
)
_FLOOR = (
    _PRELUDE
    + """\
import base64
def from_json(value):
    return base64.b64decode(value["__bytes__"]) if set(value) == {"__bytes__"} else value
calls = json.loads(json.dumps(sample["calls"]), object_hook=from_json)
start = time.perf_counter()
import boto3, botocore
client = boto3.client("dynamodb")
for operation, params in calls:
    try:
        getattr(client, botocore.xform_name(operation))(**params)
    except client.exceptions.ClientError:
        pass  # a conditional write refused on replay: its round trip was made all the same
print(json.dumps({"ms": (time.perf_counter() - start) * 1000}))
"""
)


def ensure_built() -> None:
    if not (BUILD / "template.yaml").exists():
        subprocess.run(["make", "sam-build"], cwd=ROOT, check=True)


def measure(layer: Path = BUILT_LAYER) -> dict[str, dict[str, float]]:
    """Per function: median first-response ms, the paired floor's, the median paired difference, and the ratio."""
    ensure_built()
    with _emulated_stack() as environments, _runtime_boto3() as runtime:
        before = {name: [str(BUILD / function.function_id), str(layer)] for name, function in FUNCTIONS.items()}
        samples: dict[str, dict[str, Any]] = {}
        for name, function in FUNCTIONS.items():
            sample = {"before": before[name], "after": [runtime], "module": function.module}
            samples[name] = {**sample, "event": function.event(), "record": False}
            # Two responses first, which must succeed: the first leaves the store as every sample finds
            # it (a check-in's first registers its monitor), the second's DynamoDB calls are the floor's.
            for record in (False, True):
                first = _run(_FUNCTION, {**samples[name], "record": record}, environments[name])
                if first["status"] >= 300:
                    raise RuntimeError(f"{name} answered {first['status']} to the bench request")
            samples[f"{name}_floor"] = {**sample, "calls": first["calls"]}
        timings: dict[str, list[float]] = {name: [] for name in samples}
        for _ in range(RUNS):
            for name in FUNCTIONS:
                timings[f"{name}_floor"].append(_run(_FLOOR, samples[f"{name}_floor"], environments[name])["ms"])
                timings[name].append(_run(_FUNCTION, samples[name], environments[name])["ms"])
    results: dict[str, dict[str, float]] = {}
    for name in FUNCTIONS:
        function_ms = statistics.median(timings[name])
        floor_ms = statistics.median(timings[f"{name}_floor"])
        paired = [ours - floor for ours, floor in zip(timings[name], timings[f"{name}_floor"], strict=True)]
        calls = samples[f"{name}_floor"]["calls"]
        results[name] = {
            "first_response_ms": round(function_ms, 1),
            "floor_ms": round(floor_ms, 1),
            "over_floor_ms": round(statistics.median(paired), 1),
            "round_trips": len(calls),
            "operations": sorted({operation for operation, _ in calls}),
            "ratio": round(function_ms / floor_ms, 2),
        }
    return results


def layer_size_mib(layer: Path = BUILT_LAYER) -> float:
    """Unpacked size of the layer (Lambda's limit is 250 MB for a function with its layers)."""
    return round(sum(path.stat().st_size for path in layer.rglob("*") if path.is_file()) / 2**20, 1)


def _run(code: str, sample: dict[str, Any], environment: dict[str, str]) -> dict[str, Any]:
    completed = subprocess.run(
        [_python313(), "-B", "-I", "-c", code, json.dumps(sample)],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    result: dict[str, Any] = json.loads(completed.stdout.splitlines()[-1])  # Powertools' logs come first
    return result


def _python313() -> str:
    # The bench runs in the project's venv: its interpreter is python3.13, the base one without the venv.
    base = Path(sys.base_prefix) / "bin/python3.13"
    return str(base) if base.exists() else "python3.13"


@contextmanager
def _emulated_stack() -> Iterator[dict[str, dict[str, str]]]:
    """A moto server with the stack and the bench token, and each function's Lambda-like environment."""
    from local.emulation import provision_stack, start_dynamodb
    from local.template import function_environment, load_template
    from logister_common.container import reset_container_state
    from logister_common.operator.provisioning import create_project_with_token

    saved = dict(os.environ)
    server, endpoint = start_dynamodb(host="127.0.0.1", port=0)
    try:
        stack = provision_stack(load_template(ROOT / "template.yaml"), endpoint)
        os.environ.update(stack.environment)
        reset_container_state()
        create_project_with_token("bench", token=TOKEN)
        aws = {name: value for name, value in os.environ.items() if name.startswith("AWS_")}
        environments = {
            name: {
                **LAMBDA_LIKE_ENVIRONMENT,
                **aws,
                **function_environment(
                    stack.template, function.function_id, stack.params, stack.names, stack.attributes
                ),
                "AWS_LAMBDA_FUNCTION_NAME": function.function_id,
                "PATH": saved.get("PATH", ""),
            }
            for name, function in FUNCTIONS.items()
        }
        yield environments
    finally:
        # moto's state outlives its server in this process: start the next measurement from nothing.
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()
        server.stop()
        os.environ.clear()
        os.environ.update(saved)
        reset_container_state()


@contextmanager
def _runtime_boto3() -> Iterator[str]:
    import boto3

    site_packages = Path(boto3.__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="runtime-boto3-") as directory:
        for name in RUNTIME_BOTO3:
            (Path(directory) / name).symlink_to(site_packages / name)
        yield directory
