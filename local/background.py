"""A background thread that runs one action every few seconds until stopped (stream polling, schedules)."""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any


class Repeater:
    """Calls `action` every `interval` seconds (the first call one interval after start()).

    An exception is printed to stderr and the next call happens as planned: one failing invocation
    must not stop the emulation of a schedule or a stream.
    """

    def __init__(self, name: str, interval: float, action: Callable[[], Any]) -> None:
        if interval <= 0:
            raise ValueError(f"{name}: the interval must be positive, not {interval}")
        self.name = name
        self.interval = interval
        self._action = action
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Repeater:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        """Ask the thread to stop and wait for a running call to finish (up to `timeout` seconds)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self._action()
            except Exception:
                print(f"{self.name} failed:", file=sys.stderr)
                traceback.print_exc(file=sys.stderr)
