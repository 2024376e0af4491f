"""`make dev`: the stack on this machine. moto stands in for DynamoDB and S3, a local HTTP API for API Gateway,
and the real handlers run in this process; tables, routes and environment all come from template.yaml.

Environment: PORT (API port, default 3000, 0 = any free port), LOGISTER_DYNAMODB_PORT (default 8000, 0 = any),
LOGISTER_DEMO_TOKEN (reuse a fixed demo token), LOGISTER_LOCAL_STATE_FILE (where to write the state file),
and the LOGISTER_PUBLIC_API_* rate-limit variables, which override the template's parameters.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shlex
import signal
import sys
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from .emulation import provision, start_dynamodb
from .gateway import LocalGateway, start_gateway
from .lambda_runtime import load_functions
from .template import (
    BUCKET_TYPE,
    TABLE_TYPE,
    load_template,
    parameter_values,
    physical_names,
    resources_of_type,
    routes,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
DEFAULT_STATE_FILE = REPO_ROOT / ".logister-local.json"
DEFAULT_API_PORT = 3000
READY_LINE = "Local API ready on {url}"
DEMO_EVENT = '{"event":{"event_type":"error","level":"error","message":"Hello from curl"}}'


@dataclass
class DevStack:
    gateway: LocalGateway
    gateway_thread: threading.Thread
    moto_server: ThreadedMotoServer
    dynamodb_endpoint: str
    state: dict[str, Any]
    state_path: Path

    @property
    def api_url(self) -> str:
        return self.gateway.url

    def stop(self) -> None:
        self.gateway.shutdown()
        self.gateway.server_close()
        self.gateway_thread.join(timeout=5)
        self.moto_server.stop()
        # The emulation keeps everything in memory: a state file that outlives it would point at nothing.
        with contextlib.suppress(FileNotFoundError):
            self.state_path.unlink()


def api_port_from_env(environ: Mapping[str, str] = os.environ) -> int:
    raw = environ.get("PORT", "").strip()
    return int(raw) if raw else DEFAULT_API_PORT


def state_path_from_env(environ: Mapping[str, str] = os.environ) -> Path:
    raw = environ.get("LOGISTER_LOCAL_STATE_FILE", "").strip()
    return Path(raw) if raw else DEFAULT_STATE_FILE


def seed_demo(token: str | None) -> tuple[str, str]:
    """A demo project and token; imported late, once os.environ names the local tables."""
    from logister_common.provisioning import create_project, issue_token

    project_id = create_project("demo")
    issued = issue_token(project_id, name="demo", token=token)
    return project_id, issued.token


def write_state(path: Path, state: Mapping[str, Any]) -> None:
    # Written whole then renamed, so a reader (the operator CLI) never sees half a file.
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    partial.chmod(0o600)  # it holds the demo token
    partial.replace(path)


def start_stack(template_path: Path = TEMPLATE_PATH, environ: Mapping[str, str] = os.environ) -> DevStack:
    template = load_template(template_path)
    api_port = api_port_from_env(environ)
    state_path = state_path_from_env(environ)

    moto_server, dynamodb_endpoint = start_dynamodb()
    try:
        function_env = provision(template, boto3.client("dynamodb"), boto3.client("s3"))
        os.environ.update(function_env)  # before the handlers are imported: they read it at import and first use
        template_routes = routes(template)
        params = parameter_values(template, os.environ)
        functions = load_functions(template, template_path.parent, template_routes, params)
        gateway, gateway_thread = start_gateway(template_routes, functions, port=api_port)
    except BaseException:
        moto_server.stop()
        raise
    try:
        project_id, token = seed_demo(environ.get("LOGISTER_DEMO_TOKEN", "").strip() or None)
        names = physical_names(template)
        buckets = {logical_id: names[logical_id] for logical_id, _ in resources_of_type(template, BUCKET_TYPE)}
        state = {
            "api_url": gateway.url,
            "dynamodb_endpoint": dynamodb_endpoint,
            "region": os.environ["AWS_REGION"],
            "tables": {logical_id: names[logical_id] for logical_id, _ in resources_of_type(template, TABLE_TYPE)},
            "bucket": next(iter(buckets.values()), None),
            "buckets": buckets,
            "project_id": project_id,
            "demo_token": token,
            "env": function_env,
        }
        write_state(state_path, state)
    except BaseException:
        gateway.shutdown()
        gateway.server_close()
        moto_server.stop()
        raise
    return DevStack(gateway, gateway_thread, moto_server, dynamodb_endpoint, state, state_path)


def banner(stack: DevStack) -> str:
    state, url = stack.state, stack.api_url
    token, env = state["demo_token"], state["env"]
    events_table = state["tables"].get("EventsTable", "<table>")
    curl = (
        f'curl -sS -X POST {url}/api/v1/ingest_events -H "Authorization: Bearer {token}" '
        f"-H \"Content-Type: application/json\" -d '{DEMO_EVENT}'"
    )
    lines = [
        "",
        "Logister local stack (API Gateway HTTP API + Lambda emulated here, DynamoDB and S3 by moto)",
        f"  API URL:            {url}",
        f"  DynamoDB endpoint:  {stack.dynamodb_endpoint}  (S3 too; region {state['region']}, any credentials)",
        f"  Tables:             {', '.join(state['tables'].values())}",
        f"  Demo project id:    {state['project_id']}",
        f"  Demo token:         {token}",
        f"  State file:         {stack.state_path}",
        "  Rate limits:        "
        f"{env.get('LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS', '?')} requests per token per "
        f"{env.get('LOGISTER_PUBLIC_API_RATE_LIMIT_PERIOD_SECONDS', '?')}s; per IP "
        f"{env.get('LOGISTER_PUBLIC_API_AUTH_FAILURE_RATE_LIMIT_REQUESTS', '?')} auth failures, "
        f"{env.get('LOGISTER_PUBLIC_API_PRE_AUTH_RATE_LIMIT_REQUESTS', '?')} requests before auth",
        "",
        "Send an event:",
        f"  {curl}",
        "",
        "Python SDK (logister-python):",
        f"  export LOGISTER_API_KEY={shlex.quote(token)}",
        f"  export LOGISTER_BASE_URL={url}",
        "",
        "Inspect the data:",
        f"  aws dynamodb scan --endpoint-url {stack.dynamodb_endpoint} --table-name {events_table}",
        "",
        READY_LINE.format(url=url),
    ]
    return "\n".join(lines)


def _wait_for_stop_signal() -> None:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()


def main() -> int:
    # Line-buffered even when piped (tests, `make dev | tee`): the ready line and handler logs show at once.
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    # Metrics are disabled locally, so Powertools' "nothing to publish" warning is noise here.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    try:
        stack = start_stack()
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        print(
            f"Port {api_port_from_env()} is already in use: set PORT to another port (PORT=0 picks a free one).",
            file=sys.stderr,
        )
        return 1
    print(banner(stack), flush=True)
    try:
        _wait_for_stop_signal()
    finally:
        print("Stopping the local stack.", flush=True)
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
