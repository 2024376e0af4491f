"""Issue 17: the package `sam build` makes ships bytecode for every module, and none is compiled at import.

Lambda's /var/task and /opt are read-only, so a module without usable bytecode there is compiled from
source at every cold start. The build (layers/common/Makefile, functions/Makefile) compiles each one
with the unchecked-hash invalidation mode, which the timestamps of a zip round trip cannot invalidate.
Read from .aws-sam/build, which `make test` builds before running pytest."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from local.template import FUNCTION_TYPE, LAYER_TYPE, function_code, load_template, resources_of_type

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / ".aws-sam" / "build"
TEMPLATE = load_template(ROOT / "template.yaml")
FUNCTIONS = [logical_id for logical_id, _ in resources_of_type(TEMPLATE, FUNCTION_TYPE)]
LAYERS = [logical_id for logical_id, _ in resources_of_type(TEMPLATE, LAYER_TYPE)]

# Run by python3.13 (Lambda's runtime): cache_from_source and MAGIC_NUMBER are the runtime's own.
# Header of a PEP 552 .pyc: magic, flags (bit 0: hash-based, bit 1: check the source), 8 bytes of hash.
CHECK_BYTECODE = """
import importlib.util, json, pathlib, sys

UNCHECKED_HASH = 0b01
problems = []
for root in map(pathlib.Path, sys.argv[1:]):
    sources = sorted(root.rglob("*.py"))
    if not sources:
        problems.append(f"{root}: no module at all")
    for source in sources:
        cached = pathlib.Path(importlib.util.cache_from_source(source))
        if not cached.is_file():
            problems.append(f"{source}: no {cached.name}")
            continue
        header = cached.read_bytes()[:16]
        flags = int.from_bytes(header[4:8], "little")
        if header[:4] != importlib.util.MAGIC_NUMBER:
            problems.append(f"{cached}: not this runtime's magic number")
        elif flags != UNCHECKED_HASH:
            problems.append(f"{cached}: flags {flags:#04b}, not unchecked-hash ({UNCHECKED_HASH:#04b})")
        elif header[8:16] != importlib.util.source_hash(source.read_bytes()):
            problems.append(f"{cached}: compiled from another source than the one shipped")
print(json.dumps(problems))
"""

# Every `compile` audit event whose file lies in the artifact is a module compiled from source.
IMPORT_COUNTING_COMPILES = """
import importlib, json, os, sys

modules, roots = sys.argv[1].split(","), [root + os.sep for root in sys.argv[2:]]
compiled = []

def count_compiles(event, args):
    if event == "compile" and isinstance(args[1], str) and args[1].startswith(tuple(roots)):
        compiled.append(args[1])

sys.addaudithook(count_compiles)
sys.path[:0] = roots
for module in modules:
    importlib.import_module(module)
print(json.dumps(sorted(set(compiled))))
"""


def _python313() -> str:
    if sys.version_info[:2] == (3, 13):
        return sys.executable
    found = shutil.which("python3.13")
    if found is None:
        pytest.fail("python3.13 (Lambda's runtime) is not on PATH: `make sam-build` needs it too")
    return found


def _run_python313(script: str, *args: str) -> Any:
    # -I -S: only the standard library and the artifact, as on Lambda (not this venv's packages);
    # -B: no bytecode written, as on Lambda's read-only file systems.
    completed = subprocess.run(
        [_python313(), "-I", "-S", "-B", "-c", script, *args],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"},
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


@pytest.fixture(scope="module")
def artifact_roots() -> list[str]:
    """The directories Lambda puts on sys.path: each layer's python/ and each function's code."""
    if not (BUILD / "template.yaml").is_file():
        pytest.fail(f"{BUILD} is missing: run `make sam-build` first (`make test` does)")
    roots = [BUILD / layer / "python" for layer in LAYERS] + [BUILD / function for function in FUNCTIONS]
    missing = [str(root) for root in roots if not root.is_dir()]
    assert not missing, f"not built: {missing}; run `make sam-build`"
    return [str(root) for root in roots]


def test_every_module_of_the_artifact_ships_unchecked_hash_bytecode(artifact_roots: list[str]) -> None:
    assert _run_python313(CHECK_BYTECODE, *artifact_roots) == []


def test_importing_every_handler_from_the_artifact_compiles_no_source(artifact_roots: list[str]) -> None:
    handler_modules = [function_code(TEMPLATE, function)[1].rsplit(".", 1)[0] for function in FUNCTIONS]
    compiled = _run_python313(IMPORT_COUNTING_COMPILES, ",".join(handler_modules), *artifact_roots)
    assert compiled == [], f"{len(compiled)} modules compiled from source at import: {compiled[:20]}"
