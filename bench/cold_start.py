"""Cold init of each function in a fresh interpreter, against the floor measured in the same run.

Function: import the handler module and create its DynamoDB client (what a cold start does before
the first request). Floor: `import boto3` and a DynamoDB client. Each figure is the median of RUNS
fresh interpreters, alternating floor and function runs so machine noise hits both alike.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench import LAMBDA_LIKE_ENVIRONMENT

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_COLD_RUNS", "9"))

FUNCTIONS = {
    "ingest": ("functions/ingest", "ingest_handler"),
    "checkin": ("functions/checkin", "checkin_handler"),
    "monitor_sweeper": ("functions/monitor_sweeper", "sweeper_handler"),
}
_TIMED = "import time\nstart = time.perf_counter()\n{body}\nprint((time.perf_counter() - start) * 1000)\n"
FLOOR = "import boto3\nboto3.client('dynamodb')"
FUNCTION = "import {module}\nfrom logister_common.storage import clients\nclients.dynamodb()"


def _lambda_like_environment(code_dir: str) -> dict[str, str]:
    # The warm-up in measure() must write bytecode: PYTHONDONTWRITEBYTECODE is dropped, not set to "0"
    # (CPython reads "0" as off, but its documentation says that any non-empty value disables writing).
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "POWERTOOLS_", "LOGISTER_")) and name != "PYTHONDONTWRITEBYTECODE"
    }
    environment.update(LAMBDA_LIKE_ENVIRONMENT)
    environment.update(
        PYTHONPATH=os.pathsep.join([str(ROOT / code_dir), str(ROOT / "layers/common")]),
        AWS_LAMBDA_FUNCTION_NAME="bench",
    )
    return environment


def _time(body: str, code_dir: str) -> float:
    completed = subprocess.run(
        [sys.executable, "-c", _TIMED.format(body=body)],
        capture_output=True,
        text=True,
        env=_lambda_like_environment(code_dir),
        check=True,
    )
    return float(completed.stdout.split()[-1])


def measure() -> dict[str, float]:
    # Write bytecode once: `sam build` ships it for every module (layers/common/Makefile, functions/Makefile).
    for code_dir, module in FUNCTIONS.values():
        _time(FUNCTION.format(module=module), code_dir)
    samples: dict[str, list[float]] = {name: [] for name in [*FUNCTIONS, "floor"]}
    for _ in range(RUNS):
        samples["floor"].append(_time(FLOOR, "functions/ingest"))
        for name, (code_dir, module) in FUNCTIONS.items():
            samples[name].append(_time(FUNCTION.format(module=module), code_dir))
    return {name: round(statistics.median(values), 1) for name, values in samples.items()}
