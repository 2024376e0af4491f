"""A container's initialization: imports without garbage collection, and what they built kept out of every later one.

A cold start imports boto3, Powertools and our package: several hundred thousand objects that live as long
as the container. CPython's collector, triggered by allocation counts, traverses them again and again while
they are being created; on the built artifact that was about half of what a cold start cost beyond a bare
boto3 import (bench/cold_start.py). So each handler imports under `initializing()`: collection is off, and
gc.freeze() then moves everything built to the permanent generation, which later collections skip.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def initializing() -> Iterator[None]:
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
