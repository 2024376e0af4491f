"""Run `make dev`'s server (python -m local.devserver) as a subprocess for end-to-end tests."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
READY_PREFIX = "Local API ready on "
STARTUP_TIMEOUT = 30


@dataclass
class LocalApi:
    url: str
    token: str
    state: dict[str, Any]
    banner: str
    state_file: Path
    process: subprocess.Popen[str]
    stdout_lines: queue.Queue[str]  # what the server prints after the ready line
    stderr_path: Path
    exit_code: int | None = field(default=None)
    seen: list[str] = field(default_factory=list)  # stdout lines wait_for_line has read

    def wait_for_line(self, predicate: Callable[[str], bool], timeout: float) -> str:
        """The first stdout line (from the ready line on) that satisfies `predicate`; fails after `timeout` s."""
        for line in self.seen:
            if predicate(line):
                return line
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self.stdout_lines.get(timeout=min(remaining, 0.2))
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if predicate(line):
                return line
        pytest.fail(
            f"no matching stdout line within {timeout}s; stdout:\n{''.join(self.seen)}\nstderr:\n{self.stderr()}"
        )

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def stdout_after_banner(self) -> str:
        """Everything the server has printed to stdout since its ready line, so far."""
        while True:
            try:
                self.seen.append(self.stdout_lines.get_nowait())
            except queue.Empty:
                return "".join(self.seen)

    def dynamodb(self) -> Any:
        return boto3.client(
            "dynamodb",
            endpoint_url=self.state["dynamodb_endpoint"],
            region_name=self.state["region"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def table(self, logical_id: str) -> str:
        return self.state["tables"][logical_id]


@contextmanager
def running_local_api(tmp_path: Path, **variables: str) -> Iterator[LocalApi]:
    state_file = tmp_path / "state.json"
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_ENDPOINT_URL", "LOGISTER_", "PYTEST_"))
    }
    # No token cache: a revocation must show at once in these tests.
    env.update(PORT="0", LOGISTER_DYNAMODB_PORT="0", LOGISTER_LOCAL_STATE_FILE=str(state_file), PYTHONUNBUFFERED="1")
    env.setdefault("LOGISTER_TOKEN_CACHE_SECONDS", "0")
    env.update(variables)
    stderr_path = tmp_path / "stderr.txt"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.devserver"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    try:
        banner = _wait_for_ready(process, lines, stderr_path)
        state = json.loads(state_file.read_text())
        api = LocalApi(
            url=banner[-1].strip().removeprefix(READY_PREFIX),
            token=state["demo_token"],
            state=state,
            banner="".join(banner),
            state_file=state_file,
            process=process,
            stdout_lines=lines,
            stderr_path=stderr_path,
        )
        yield api
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    api.exit_code = code
    assert code == 0, stderr_path.read_text()


@pytest.fixture
def local_api(tmp_path: Path) -> Callable[..., Any]:
    """`with local_api(VAR=value) as api:` starts the local API with those environment variables."""
    return lambda **variables: running_local_api(tmp_path, **variables)


def _wait_for_ready(process: subprocess.Popen[str], lines: queue.Queue[str], stderr_path: Path) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        if line.startswith(READY_PREFIX):
            return seen
    process.kill()
    pytest.fail(f"no ready line; stdout:\n{''.join(seen)}\nstderr:\n{stderr_path.read_text()}")
