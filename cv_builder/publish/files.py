"""Publish stage: put the finished files into output/ atomically.

Nothing in output/ changes until a build has fully succeeded; then each file
is written to a temporary name in the same directory and renamed over the
old one, under a lock, so readers and concurrent builds never see a
truncated or mixed set of files.
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

from ..errors import CVError
from .atomic import discard as _discard
from .atomic import locked, same_content
from .atomic import stage as _stage


def output_lock(directory: Path):
    """An exclusive lock on the output directory."""
    return locked(directory / ".cv_builder.lock")


def publish(files: dict[Path, bytes], remove: list[Path] | tuple = ()) -> None:
    """Write every file atomically; all under one lock so a set is never mixed.

    Every file is first written and synced to a temporary name (in parallel:
    one fsync costs milliseconds, and a build writes several files); only when
    all of them are on disk are they renamed into place. `remove`: stale files
    of the same set (e.g. cv-3.png of a longer, older build)."""
    if not files:
        return
    directory = next(iter(files)).parent
    staged: list[tuple[str, Path]] = []
    try:
        with output_lock(directory):
            changed = [
                (path, data) for path, data in files.items() if not same_content(path, data)
            ]  # an unchanged file keeps its mtime
            results = _stage_all(changed)
            staged = [(tmp, path) for tmp, (path, _) in zip(results, changed, strict=True) if isinstance(tmp, str)]
            errors = [r for r in results if not isinstance(r, str)]
            if errors:
                raise errors[0]
            for tmp, path in staged:
                os.replace(tmp, path)
            staged = []
            for path in remove:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
    except OSError as exc:
        raise CVError(f"cannot write to {directory}: {exc.strerror}") from None
    finally:
        _discard(tmp for tmp, _ in staged)


def _stage_all(jobs: list[tuple[Path, bytes]], workers: int = 8) -> list:
    """_stage each (path, data) on up to `workers` threads: per job, the temporary name
    or the exception it raised. Interrupted (Ctrl-C): what was staged is removed."""
    if not jobs:
        return []
    pool = ThreadPoolExecutor(max_workers=min(workers, len(jobs)))
    futures = [pool.submit(_stage, path, data) for path, data in jobs]
    try:
        wait(futures)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        _discard(f.result() for f in futures if not f.cancelled() and f.exception() is None)
        raise
    pool.shutdown(wait=True)
    return [f.exception() or f.result() for f in futures]
