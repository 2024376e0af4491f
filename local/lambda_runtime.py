"""The Lambda side: import each function's handler from its CodeUri (with the layers on sys.path) and invoke it."""

from __future__ import annotations

import importlib
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .template import (
    ACCOUNT_ID,
    DEFAULT_PREFIX,
    REGION,
    FunctionLimits,
    function_code,
    function_limits,
    layer_dirs,
)

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class FakeLambdaContext:
    """What the Python runtime passes as `context` (the attributes Powertools and handlers read)."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    identity: Any = None
    client_context: Any = None
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"{time.strftime('%Y/%m/%d')}/[$LATEST]local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._started + self.timeout_seconds - time.monotonic()) * 1000))


@dataclass(frozen=True, slots=True)
class LocalFunction:
    function_id: str
    name: str
    handler: Handler
    limits: FunctionLimits

    def invoke(self, event: dict[str, Any]) -> Any:
        context = FakeLambdaContext(self.name, self.limits.memory_size, self.limits.timeout)
        return self.handler(event, context)


def _import_handler(code_dir: Path, handler: str) -> Handler:
    module_name, _, attribute = handler.replace("/", ".").rpartition(".")
    if not module_name:
        raise ValueError(f"handler {handler!r} is not module.function")
    expected = (code_dir / Path(*module_name.split("."))).resolve()
    module = importlib.import_module(module_name)
    # One process holds every function: two handler modules with one name would silently share code.
    origin = Path(module.__file__ or "").resolve()
    if origin.with_suffix("") != expected and origin.parent != expected:
        raise ImportError(f"module {module_name} came from {origin}, not {code_dir}; handler modules need unique names")
    entry_point: Handler = getattr(module, attribute)
    return entry_point


def _prepend_sys_path(directories: Iterable[Path]) -> None:
    for directory in reversed(list(directories)):
        entry = str(directory)
        if entry not in sys.path:
            sys.path.insert(0, entry)


def load_template_functions(
    template: Mapping[str, Any],
    base_dir: Path,
    function_ids: Iterable[str],
    params: Mapping[str, str],
    prefix: str = DEFAULT_PREFIX,
) -> dict[str, LocalFunction]:
    """Import those functions' handlers once; call after os.environ holds the functions' variables."""
    code = {function_id: function_code(template, function_id) for function_id in dict.fromkeys(function_ids)}
    code_dirs = {function_id: (base_dir / code_uri).resolve() for function_id, (code_uri, _) in code.items()}
    # Functions first, then layers: the order Lambda gives /var/task and /opt/python.
    _prepend_sys_path([*dict.fromkeys(code_dirs.values()), *((base_dir / d).resolve() for d in layer_dirs(template))])
    return {
        function_id: LocalFunction(
            function_id=function_id,
            name=f"{prefix}-{function_id}",
            handler=_import_handler(code_dirs[function_id], handler),
            limits=function_limits(template, function_id, params),
        )
        for function_id, (_, handler) in code.items()
    }
