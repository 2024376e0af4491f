"""The state file of the running local stack (`make dev`): where its emulation listens, its table names, the demo.

`make dev` (local.devserver) writes it and the operator CLI (`logister-admin --local`) reads it. It lives
with the CLI, so that the CLI imports nothing of the emulation (and no moto).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATE_FILE = REPO_ROOT / ".logister-local.json"
STATE_FILE_VARIABLE = "LOGISTER_LOCAL_STATE_FILE"


def state_path_from_env(environ: Mapping[str, str] = os.environ) -> Path:
    raw = environ.get(STATE_FILE_VARIABLE, "").strip()
    return Path(raw) if raw else DEFAULT_STATE_FILE


def write_state(path: Path, state: Mapping[str, Any]) -> None:
    # Written whole then renamed, so a reader (the operator CLI) never sees half a file.
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    partial.chmod(0o600)  # it holds the demo token
    partial.replace(path)


def read_state(path: Path) -> dict[str, Any]:
    """The state `make dev` wrote; FileNotFoundError when no local stack runs, ValueError when unreadable."""
    state = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(state, dict) or not isinstance(state.get("env"), dict) or "dynamodb_endpoint" not in state:
        raise ValueError(f"{path} is not a local stack state file")
    return state
