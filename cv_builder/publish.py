"""Publish stage: put the finished files into output/ atomically.

Nothing in output/ changes until a build has fully succeeded; then each file
is written to a temporary name in the same directory and renamed over the
old one, under a lock, so readers and concurrent builds never see a
truncated or mixed set of files.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .errors import CVError


@contextlib.contextmanager
def output_lock(directory: Path):
    """An exclusive lock on the output directory (a no-op where flock is missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    lock_path = directory / ".cv_builder.lock"
    with open(lock_path, "a") as fh:
        try:
            import fcntl
        except ImportError:  # Windows: atomic rename alone
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def same_content(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def publish(files: dict[Path, bytes]) -> None:
    """Write every file atomically; all under one lock so a set is never mixed."""
    if not files:
        return
    directory = next(iter(files)).parent
    try:
        with output_lock(directory):
            for path, data in files.items():
                if not same_content(path, data):  # an unchanged file keeps its mtime
                    atomic_write(path, data)
    except OSError as exc:
        raise CVError(f"cannot write to {directory}: {exc.strerror}") from None
