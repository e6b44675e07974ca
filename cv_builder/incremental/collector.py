"""Rarer cyclic garbage collection while a command or one --watch rebuild runs.

A build makes some 10^5 short-lived objects and ends with the process: the collector's
default (a pass every 700 allocations) costs time and saves no memory. Rarer passes, as
mypy sets them; the thresholds are put back afterwards, so an in-process caller and a
--watch session between rebuilds keep their own.
"""
from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def relaxed() -> Iterator[None]:
    # Measured: load → render of 1,000 publications 943 → 696 ms (median of 7, fresh processes).
    thresholds = gc.get_threshold()
    gc.set_threshold(200_000, 30, 30)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
