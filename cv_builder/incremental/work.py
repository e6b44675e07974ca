"""The per-output work directory (work/): a build directory per output and engine kept
between builds (its .aux is the next pass's starting point), and what is put in it."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from . import fontmap
from .keys import digest

KEEP = (".aux", ".out", ".toc", ".lof", ".lot", ".nav", ".snm")  # what a warm build reuses


def work_dir(cache: Path, output: Path, stamp: str) -> Path:
    """The output's build directory for one engine binary (engine_stamp). A first build
    starts its engine there before it knows the engine's version (known_identity)."""
    return cache / "work" / digest("work", Path(output).resolve(), stamp)[:24]


def reset_work_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)


def _place(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _clean(work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    for old in work.iterdir():  # keep only what the next pass reads back
        if old.suffix not in KEEP:
            old.unlink() if old.is_file() or old.is_fifo() else shutil.rmtree(old, ignore_errors=True)


def _last_format(work: Path) -> Path:
    return work.with_name(work.name + ".fmt")


def _put(source: Path, target: Path) -> None:
    """`source` at `target` (a link where possible), unless it is already there."""
    with contextlib.suppress(OSError):
        if os.path.samefile(source, target):
            return
    target.unlink(missing_ok=True)
    _place(source, target)


def _put_font_map(cache: Path, work: Path) -> str:
    """The last build's font map in `work` (fontmap.py); the TeX code that reads it, or
    that reads the full map at once (fontmap.FULL_MAP_NOW)."""
    mapped = fontmap.font_map(cache / "fonts", fontmap.record(work))
    if not mapped:
        return fontmap.FULL_MAP_NOW
    _put(mapped, work / fontmap.MAP_NAME)
    return rf"\pdfmapfile{{{fontmap.MAP_NAME}}}"
