"""LuaLaTeX fallback fonts cut down to the characters a CV uses.

Noto Serif CJK has 65,000 glyphs and LuaLaTeX loads and scales it in every size
and shape of every pass (2-3 s, 500 MiB) to set the four characters of 机器之心.
A subset holding only the document's characters (fontTools) loads in a blink.
Subsets are cached by the source font and the character set; without fontTools,
or if subsetting fails, the full fonts are used.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
from pathlib import Path

from .engine import FALLBACK_RANGES, FONT_DIRS

KEEP_WITH = "\u200d\ufe0e\ufe0f"  # joiners and variation selectors: emoji sequences need them


def fallbacks(entries: list[str], text: str, directory: Path) -> tuple[list[str], dict[str, Path]]:
    """(luaotfload fallback entries, {file name: subset path}) with each font subset to `text`."""
    from importlib.util import find_spec

    if find_spec("fontTools") is None:
        return entries, {}
    out, files = [], {}
    for entry in entries:
        name, _, features = entry.partition(":")
        made = _subset(name, text, directory)
        if made is None:
            out.append(entry)
            continue
        files[made.name] = made
        out.append(f"{made.name}:{features}")
    return out, files


def _find(name: str) -> Path | None:
    for root in FONT_DIRS:
        for dirpath, _, names in os.walk(root):
            if name in names:
                return Path(dirpath) / name
    return None


def _subset(name: str, text: str, directory: Path) -> Path | None:
    source = _find(name)
    if source is None:
        return None
    ranges = FALLBACK_RANGES.get(name, [(0x80, 0x10FFFF)])
    chars = "".join(sorted({ch for ch in text if any(lo <= ord(ch) <= hi for lo, hi in ranges)} | set(KEEP_WITH)))
    st = source.stat()
    key = hashlib.sha256("\0".join([str(source), str(st.st_size), str(st.st_mtime_ns), _fonttools_version(),
                                    chars]).encode()).hexdigest()[:20]
    target = directory / f"cvsub-{source.stem}-{key}{'.ttf' if source.suffix == '.ttf' else '.otf'}"
    if target.is_file() and target.stat().st_size > 0:
        return target
    directory.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    # In a child process: a CJK font takes ~90 MiB to cut, which the build itself never needs.
    try:
        done = subprocess.run([sys.executable, "-m", "cv_builder.subset", str(source), str(tmp)], input=chars,
                              text=True, encoding="utf-8", capture_output=True, timeout=120)
        if done.returncode == 0 and tmp.is_file() and tmp.stat().st_size > 0:
            os.replace(tmp, target)
            return target
    except (OSError, subprocess.TimeoutExpired):
        pass
    with contextlib.suppress(OSError):
        tmp.unlink()
    return None  # a font fontTools cannot cut: the full font still works


def _fonttools_version() -> str:
    try:
        from importlib.metadata import version

        return version("fonttools")
    except Exception:
        return ""


def cut(source: str, target: str, chars: str) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    # recalcTimestamp=False: the same characters give the same bytes (reproducible PDFs)
    font = TTFont(source, fontNumber=0, lazy=True, recalcTimestamp=False)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    sub = subset.Subsetter(options)
    sub.populate(text=chars)
    sub.subset(font)
    font.save(target)


if __name__ == "__main__":
    cut(sys.argv[1], sys.argv[2], sys.stdin.read())
