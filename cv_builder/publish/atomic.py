"""Atomic writes: a file is written to a temporary name beside it, then renamed over the
old one, so a reader never sees it half-written; `locked` serialises concurrent builds."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows relies on atomic rename alone
    fcntl = None  # type: ignore[assignment]


@contextlib.contextmanager
def locked(path: Path, wait: bool = True):
    """An exclusive flock on `path` (a no-op where flock is missing: Windows relies on atomic rename).
    `wait=False`: raise BlockingIOError at once if another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        if fcntl is None:
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def stage(path: Path, data: bytes, sync: bool = True) -> str:
    """Write `data` to a temporary file beside `path` (synced to disk if `sync`); returns its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # a file being replaced keeps its permissions (e.g. a --site page)
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        discard([tmp])
        raise
    return tmp


def discard(names: Iterable[str]) -> None:
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def atomic_write(path: Path, data: bytes, sync: bool = True) -> None:
    tmp = stage(path, data, sync)
    try:
        os.replace(tmp, path)
    except BaseException:
        discard([tmp])
        raise


def same_content(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False
