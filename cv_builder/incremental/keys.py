"""Cache keys and entries: digests of inputs, and JSON or bytes written so that a torn
write is only a miss (entries are verified on read)."""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
from pathlib import Path

from ..publish.atomic import atomic_write

VERSION = "1"
ENV_KEYS = ("SOURCE_DATE_EPOCH", "FORCE_SOURCE_DATE")


def root(output: Path) -> Path:
    return Path(output).parent / ".cache"


def digest(*parts) -> str:
    h = hashlib.sha256(VERSION.encode())
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode("utf-8", "surrogateescape")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return "missing"


def tree_digest(directory: Path, suffixes: tuple[str, ...] = ()) -> str:
    """Names and contents of every file under directory (a new shadowing template counts)."""
    h = hashlib.sha256()
    directory = Path(directory)
    if not directory.is_dir():
        return "missing"
    for path in sorted(directory.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        if suffixes and path.suffix not in suffixes:
            continue
        h.update(str(path.relative_to(directory)).encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def write_bytes(path: Path, data: bytes) -> None:
    # No fsync (unlike published files): entries are verified on read, so a write lost
    # in a crash is only a miss.
    atomic_write(path, data, sync=False)


def write_json(path: Path, obj) -> None:
    with contextlib.suppress(OSError):
        write_bytes(path, json.dumps(obj, sort_keys=True).encode())


def read_json(path: Path):
    try:
        return json.loads(Path(path).read_bytes())
    except (OSError, ValueError):
        return None


def env_state() -> dict:
    """The environment a PDF depends on: reproducibility settings, else today's date."""
    state = {k: os.environ.get(k, "") for k in ENV_KEYS}
    if not state["SOURCE_DATE_EPOCH"]:
        state["today"] = _dt.date.today().isoformat()  # "Last updated" and the PDF dates
    return state
