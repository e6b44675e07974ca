"""Publish stage: put the finished files into output/ atomically.

Nothing in output/ changes until a build has fully succeeded; then each file
is written to a temporary name in the same directory and renamed over the
old one, under a lock, so readers and concurrent builds never see a
truncated or mixed set of files.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ..errors import CVError


@contextlib.contextmanager
def locked(path: Path, wait: bool = True):
    """An exclusive flock on `path` (a no-op where flock is missing: Windows relies on atomic rename).
    `wait=False`: raise BlockingIOError at once if another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        try:
            import fcntl
        except ImportError:
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def output_lock(directory: Path):
    """An exclusive lock on the output directory."""
    return locked(directory / ".cv_builder.lock")


def _stage(path: Path, data: bytes, sync: bool = True) -> str:
    """Write `data` to a temporary file beside `path` (synced to disk if `sync`); returns its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # a file being replaced keeps its permissions (e.g. a --site page)
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    import tempfile  # not on the no-op path, which imports this module for its lock

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
    except BaseException:
        _discard([tmp])
        raise
    return tmp


def _discard(names) -> None:
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def atomic_write(path: Path, data: bytes, sync: bool = True) -> None:
    tmp = _stage(path, data, sync)
    try:
        os.replace(tmp, path)
    except BaseException:
        _discard([tmp])
        raise


def same_content(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


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
            changed = [(path, data) for path, data in files.items()
                       if not same_content(path, data)]  # an unchanged file keeps its mtime
            results = _stage_all(changed)
            staged = [(tmp, path) for tmp, (path, _) in zip(results, changed) if isinstance(tmp, str)]
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
    """_stage each (path, data) on up to `workers` threads: per job, the temporary
    name or the exception it raised. Plain threads: concurrent.futures would cost
    its import (~10 ms, with logging) on the way from the finished PDF to output/."""
    import threading

    results: list = [None] * len(jobs)
    pending = iter(range(len(jobs)))
    take = threading.Lock()

    def work() -> None:
        while True:
            with take:
                i = next(pending, None)
            if i is None:
                return
            try:
                results[i] = _stage(*jobs[i])
            except BaseException as exc:  # handed to the caller, which raises it
                results[i] = exc

    threads = [threading.Thread(target=work, daemon=True) for _ in range(min(workers, len(jobs)))]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException:  # e.g. Ctrl-C while waiting: stop handing out files, remove what was staged
        with take:
            pending = iter(())
        for thread in threads:
            thread.join()
        _discard(r for r in results if isinstance(r, str))
        raise
    return results
