"""What the engine is: its binary, version and base format, found once per binary and
remembered (a TeX Live update changes them, and so every cached PDF and format)."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Literal, overload

from .. import process
from .keys import digest, read_json, write_json

_KPSE_ENGINE = {"pdflatex": ("pdftex",), "lualatex": ("luahbtex", "luatex"), "xelatex": ("xetex",)}


def engine_stamp(name: str, path: str) -> str:
    """The engine binary as a file (path, size, mtime): what names its work directory."""
    try:
        st = os.stat(path)
    except OSError:
        return f"{name}:{path}:missing"
    return f"{name}|{os.path.realpath(path)}:{st.st_size}:{st.st_mtime_ns}"


# `--version` and kpsewhich started by known_identity, read (and dropped) by engine_identity.
_started: dict[str, tuple] = {}


@overload
def engine_identity(name: str, path: str, cache: Path, wait: Literal[True] = True) -> str: ...
@overload
def engine_identity(name: str, path: str, cache: Path, wait: bool) -> str | None: ...
def engine_identity(name: str, path: str, cache: Path, wait: bool = True) -> str | None:
    """The engine binary, its version and its base format (changes when TeX Live updates).

    `--version` and kpsewhich cost a process each; they are remembered per binary
    (path, size, mtime), the base format is stat'ed every time. `wait=False`: None if
    not remembered, the commands that find it started (a later call reads them).
    """
    stamp = engine_stamp(name, path)
    if stamp.endswith(":missing"):
        return stamp
    memo_path = _identity_memo(cache, name, stamp)
    memo = read_json(memo_path)
    if not isinstance(memo, dict) or memo.get("stamp") != stamp:
        if not wait:
            if stamp not in _started:
                _started[stamp] = _start_identity(name, path)
            return None
        version, kpse = _started.pop(stamp, None) or _start_identity(name, path)
        fmt = _base_format(name, path, kpse)
        memo = {"stamp": stamp, "version": _first_line(process.output(version)), "fmt": fmt}
        write_json(memo_path, memo)
    fmt_stamp = ""
    with contextlib.suppress(OSError, TypeError):
        fst = os.stat(memo["fmt"])
        fmt_stamp = f"{fst.st_size}:{fst.st_mtime_ns}"
    return f"{stamp}|{memo.get('version')}|{memo.get('fmt')}|{fmt_stamp}"


def known_identity(name: str, path: str, cache: Path) -> str | None:
    """engine_identity() if it is remembered; else None, having started the commands that
    find it, so that a first build waits for them only when it needs the answer."""
    return engine_identity(name, path, cache, wait=False)


def _identity_memo(cache: Path, name: str, stamp: str) -> Path:
    return cache / "engines" / (digest(name, stamp)[:32] + ".json")


def _start_identity(name: str, path: str) -> tuple:
    """--version, and kpsewhich for the base format's search path under the engine's first kpathsea name."""
    engines = _KPSE_ENGINE.get(name, ())
    return process.start([path, "--version"]), (_format_path_spec(name, path, engines[0]) if engines else None)


def _first_line(out: str | None) -> str:
    return out.splitlines()[0] if out else ""


def _kpsewhich(name: str, path: str, engine: str, *args: str, env: dict | None = None):
    kpsewhich = Path(path).parent / "kpsewhich"
    exe = str(kpsewhich) if kpsewhich.is_file() else (shutil.which("kpsewhich") or "kpsewhich")
    return process.start([exe, f"-engine={engine}", f"-progname={name}", *args], env=env)


def _format_path_spec(name: str, path: str, engine: str):
    return _kpsewhich(name, path, engine, "-var-value=TEXFORMATS", env=dict(os.environ, TEXMFDBS=os.devnull))


# Measured: 15 ms (4 ms CPU) per lookup against plain kpsewhich's 147 ms (55 ms CPU), on a cold build's path.
def _base_format(name: str, path: str, first=None) -> str:
    """The base format's path: `first` is the kpsewhich already running for the first name's
    search path. Plain kpsewhich reads TeX Live's file lists (ls-R, 3 MB: 80 ms of CPU, taken
    from a first build's engine and Python); the format folders are a handful, so they are
    searched on disk instead (TEXMFDBS: no ls-R), along the same path without the marks that
    say "in ls-R only" (!!)."""
    for i, engine in enumerate(_KPSE_ENGINE.get(name, ())):
        spec = _first_line(
            process.output(first if i == 0 and first is not None else _format_path_spec(name, path, engine))
        )
        env = dict(os.environ, TEXFORMATS=spec.replace("!!", ""), TEXMFDBS=os.devnull) if spec else None
        found = _first_line(process.output(_kpsewhich(name, path, engine, f"{name}.fmt", env=env)))
        if found:
            return found
    return ""
