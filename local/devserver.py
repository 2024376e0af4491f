"""`make dev`: the stack on this machine. moto stands in for DynamoDB (with streams), S3 and SNS, a local HTTP API
for API Gateway, and the real handlers run in this process; tables, topics, routes, schedules, stream triggers
and environment all come from template.yaml. Scheduled functions run every LOGISTER_LOCAL_SWEEP_SECONDS; stream
functions get each table change within a second; the alerts they publish show on stdout as JSON log lines.

Environment: PORT (API port, default 3000, 0 = any free port), LOGISTER_DYNAMODB_PORT (default 8000, 0 = any),
LOGISTER_DEMO_TOKEN (reuse a fixed demo token), LOGISTER_LOCAL_STATE_FILE (where to write the state file),
LOGISTER_LOCAL_SWEEP_SECONDS (how often scheduled functions such as the monitor sweeper run; default: the
schedule's rate, 60 s for the template's default; fractions allowed), and the LOGISTER_PUBLIC_API_* rate-limit
variables, which override the template's parameters.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shlex
import signal
import sys
import threading
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from admin.local_state import DEFAULT_STATE_FILE, REPO_ROOT, STATE_FILE_VARIABLE, state_path_from_env, write_state

from .background import Repeater
from .emulation import provision_stack, start_dynamodb
from .gateway import LocalGateway, start_gateway
from .lambda_runtime import load_template_functions
from .log_subscriptions import LogCapture, LogSubscription, log_subscriptions, writers
from .schedules import INTERVAL_VARIABLE, ScheduleRunner, interval_seconds, schedule_sources
from .streams import StreamPoller, stream_sources, stream_subscriptions, streams_client
from .template import BUCKET_TYPE, TABLE_TYPE, load_template, resources_of_type, routes

TEMPLATE_PATH = REPO_ROOT / "template.yaml"
DEFAULT_API_PORT = 3000
READY_LINE = "Local API ready on {url}"
DEMO_EVENT = '{"event":{"event_type":"error","level":"error","message":"Hello from curl"}}'
DEMO_CHECK_IN = '{"check_in":{"slug":"nightly","status":"ok","expected_interval_seconds":60}}'
CHECK_IN_PATH = "/api/v1/check_ins"
DOCS_PATH = "/docs"
STREAM_POLL_SECONDS = 0.5
DIAGNOSTICS_KEY_PARAMETER = "/logister-local/diagnostics-api-key"


@dataclass
class DevStack:
    gateway: LocalGateway
    gateway_thread: threading.Thread
    moto_server: ThreadedMotoServer
    dynamodb_endpoint: str
    state: dict[str, Any]
    state_path: Path
    background: list[Repeater] = field(default_factory=list)  # the stream poller and the schedules

    @property
    def api_url(self) -> str:
        return self.gateway.url

    def stop(self) -> None:
        for repeater in self.background:  # first: they invoke handlers that call moto
            repeater.stop()
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


def seed_demo(token: str | None) -> tuple[str, str]:
    """A demo project and token, as `logister-admin projects create` makes them; imported late, once
    os.environ names the local tables."""
    from logister_common.operator.provisioning import create_project_with_token

    issued = create_project_with_token("demo", token_name="demo", token=token)
    return issued.project_id, issued.token


def start_stack(template_path: Path = TEMPLATE_PATH, environ: Mapping[str, str] = os.environ) -> DevStack:
    template = load_template(template_path)
    api_port = api_port_from_env(environ)
    state_path = state_path_from_env(environ)

    moto_server, dynamodb_endpoint = start_dynamodb()
    try:
        store_diagnostics_key(environ)
        stack = provision_stack(template, dynamodb_endpoint)
        os.environ.update(stack.environment)  # before the handlers are imported: they read it at import and first use
        active, params = stack.template, stack.params
        template_routes = routes(active)
        streams = stream_sources(active, params)
        schedules = schedule_sources(active, params)
        schedule_seconds = interval_seconds(schedules, environ)
        log_sources = log_subscriptions(active)
        function_ids = [
            *(route.function_id for route in template_routes),
            *(source.function_id for source in streams),
            *(source.function_id for source in schedules),
            *(source.function_id for source in log_sources),
        ]
        functions = load_template_functions(active, template_path.parent, function_ids, params)
        gateway, gateway_thread = start_gateway(template_routes, functions, port=api_port)
    except BaseException:
        moto_server.stop()
        raise
    background: list[Repeater] = []
    try:
        project_id, token = seed_demo(environ.get("LOGISTER_DEMO_TOKEN", "").strip() or None)
        region = os.environ["AWS_REGION"]
        if streams:
            # Created now, so TRIM_HORIZON is the start of the freshly provisioned tables' streams.
            subscriptions = stream_subscriptions(streams, functions, stack.stream_arns(), stack.queue_urls())
            poller = StreamPoller(subscriptions, streams_client(dynamodb_endpoint, region), boto3.client("sqs"))
            background.append(Repeater("local-streams", STREAM_POLL_SECONDS, poller.poll_once).start())
        if schedules:
            runner = ScheduleRunner(schedules, functions, region=region)
            background.append(Repeater("local-schedules", schedule_seconds, runner.run_once).start())
        if log_sources:
            capture = capture_logs(log_sources, writers(active))
            background.append(Repeater("local-log-subscriptions", 1.0, lambda: capture.deliver(functions)).start())
        names = stack.names
        buckets = {logical_id: names[logical_id] for logical_id, _ in resources_of_type(active, BUCKET_TYPE)}
        state = {
            "api_url": gateway.url,
            "dynamodb_endpoint": dynamodb_endpoint,
            "region": region,
            "tables": {logical_id: names[logical_id] for logical_id, _ in resources_of_type(active, TABLE_TYPE)},
            "bucket": next(iter(buckets.values()), None),
            "buckets": buckets,
            "topics": stack.topic_arns(),
            "schedules": {source.function_id: schedule_seconds for source in schedules},
            "streams": {source.function_id: source.table_id for source in streams},
            "project_id": project_id,
            "demo_token": token,
            "env": stack.environment,
        }
        write_state(state_path, state)
    except BaseException:
        for repeater in background:
            repeater.stop()
        gateway.shutdown()
        gateway.server_close()
        moto_server.stop()
        raise
    return DevStack(gateway, gateway_thread, moto_server, dynamodb_endpoint, state, state_path, background)


def store_diagnostics_key(environ: Mapping[str, str]) -> None:
    """As Logister's deployment does, LOGISTER_ENDPOINT and LOGISTER_API_KEY turn diagnostics forwarding
    on: the key goes where the stack reads it from, an SSM SecureString (in the emulation)."""
    key = environ.get("LOGISTER_API_KEY", "").strip()
    if not (key and environ.get("LOGISTER_ENDPOINT", "").strip()):
        return
    boto3.client("ssm").put_parameter(Name=DIAGNOSTICS_KEY_PARAMETER, Value=key, Type="SecureString", Overwrite=True)
    os.environ["LOGISTER_API_KEY_PARAMETER"] = DIAGNOSTICS_KEY_PARAMETER  # the template's DiagnosticsApiKeyParameter


def capture_logs(subscriptions: list[LogSubscription], groups: Mapping[str, str]) -> LogCapture:
    """Watch the functions' log lines (they all log through the package's Powertools logger)."""
    from logister_common.runtime.telemetry import logger

    capture = LogCapture(subscriptions, groups, logger.registered_formatter)
    logging.getLogger(logger.name).addHandler(capture)
    return capture


def _seconds(value: float) -> str:
    return f"{value:g}s"


def _monitor_lines(stack: DevStack) -> list[str]:
    state = stack.state
    lines = [f"  {'Topic ' + logical_id + ':':<20}{arn}" for logical_id, arn in state["topics"].items()]
    lines += [
        f"  Schedule:           {function_id} every {_seconds(seconds)} (set {INTERVAL_VARIABLE} to change)"
        for function_id, seconds in state["schedules"].items()
    ]
    lines += [
        f"  Stream:             {table} changes -> {function_id} (polled every {_seconds(STREAM_POLL_SECONDS)})"
        for function_id, table in state["streams"].items()
    ]
    if state["topics"]:
        lines += [
            "  Alerts:             published to the topic above (moto keeps them; nothing is delivered),",
            '                      and shown on this console as JSON log lines ("alert published", with kind and slug)',
        ]
    return lines


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
        "Logister local stack (API Gateway HTTP API, Lambda and its triggers emulated here; DynamoDB, S3, SNS by moto)",
        f"  API URL:            {url}",
        *_docs_lines(stack),
        f"  DynamoDB endpoint:  {stack.dynamodb_endpoint}  (S3 and SNS too; region {state['region']}, any credentials)",
        f"  Tables:             {', '.join(state['tables'].values())}",
        f"  Demo project id:    {state['project_id']}",
        f"  Demo token:         {token}",
        f"  State file:         {stack.state_path}",
        "  Rate limits:        "
        f"{env.get('LOGISTER_PUBLIC_API_RATE_LIMIT_REQUESTS', '?')} requests per token per "
        f"{env.get('LOGISTER_PUBLIC_API_RATE_LIMIT_PERIOD_SECONDS', '?')}s; per IP "
        f"{env.get('LOGISTER_PUBLIC_API_AUTH_FAILURE_RATE_LIMIT_REQUESTS', '?')} auth failures, "
        f"{env.get('LOGISTER_PUBLIC_API_PRE_AUTH_RATE_LIMIT_REQUESTS', '?')} requests before auth",
        *_monitor_lines(stack),
        "",
        "Send an event:",
        f"  {curl}",
        "",
        *_check_in_lines(stack),
        "Python SDK (logister-python):",
        f"  export LOGISTER_API_KEY={shlex.quote(token)}",
        f"  export LOGISTER_BASE_URL={url}",
        "",
        "Inspect the data (the operator CLI; --help lists projects, tokens, limits, errors, monitors, trace):",
        f"  {_admin_prefix(stack)}.venv/bin/logister-admin --local events {state['project_id']}",
        f"  aws dynamodb scan --endpoint-url {stack.dynamodb_endpoint} --table-name {events_table}",
        "",
        READY_LINE.format(url=url),
    ]
    return "\n".join(lines)


def _admin_prefix(stack: DevStack) -> str:
    """The variable `logister-admin --local` needs to find a state file that is not in the default place."""
    if stack.state_path.resolve() == DEFAULT_STATE_FILE.resolve():
        return ""
    return f"{STATE_FILE_VARIABLE}={shlex.quote(str(stack.state_path))} "


def _docs_lines(stack: DevStack) -> list[str]:
    """The Swagger UI link, when the template serves it (EnableApiDocs)."""
    route = stack.gateway.route_table.match("GET", DOCS_PATH)
    if route is None or route.path != DOCS_PATH:
        return []
    return [f"  API docs:           {stack.api_url}{DOCS_PATH}  (Swagger UI: Authorize with the demo token)"]


def _check_in_lines(stack: DevStack) -> list[str]:
    route = stack.gateway.route_table.match("POST", CHECK_IN_PATH)
    if route is None or route.path != CHECK_IN_PATH:
        return []
    url, token = stack.api_url, stack.state["demo_token"]
    curl = (
        f'curl -sS -X POST {url}{CHECK_IN_PATH} -H "Authorization: Bearer {token}" '
        f"-H \"Content-Type: application/json\" -d '{DEMO_CHECK_IN}'"
    )
    return ["Send a cron check-in (a monitor that is then overdue is flagged missed, and alerts):", f"  {curl}", ""]


def _wait_for_stop_signal() -> None:
    # The kernel may hand the signal to any thread; CPython then runs the handler once the main thread runs
    # Python code again, which it never does blocked in Event.wait(): so a flag, and short sleeps.
    received: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda signum, _: received.append(signum))
    while not received:
        time.sleep(0.2)


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
