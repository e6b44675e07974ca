"""The Python interpreter's own costs: rarer cyclic garbage collection while a command (or
one --watch rebuild) runs, and an exit that skips tearing the interpreter down.

A build makes some 10^5 short-lived objects and ends with the process: the collector's
default (a pass every 700 allocations) costs time and saves no memory. Rarer passes, as
mypy sets them; the thresholds are put back afterwards, so an in-process caller and a
--watch session between rebuilds keep their own.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def relaxed_gc() -> Iterator[None]:
    # Measured: load → render of 1,000 publications 943 → 696 ms (median of 7, fresh processes).
    thresholds = gc.get_threshold()
    gc.set_threshold(200_000, 30, 30)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def exit_fast(code: int) -> None:
    """End the process without freeing every module and object (the OS does that): all files
    are closed by then (`with`), the standard streams are flushed here, nothing is registered
    with atexit, and the background jobs run in their own sessions."""
    # Measured: a warm default build 240 → 213 ms, a no-op 70 → 57 ms (medians of 15, alternated).
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`): nothing left to say
            pass
    os._exit(code)
