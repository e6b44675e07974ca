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
from pathlib import Path

from .engine import FALLBACK_RANGES, FONT_DIRS

KEEP_WITH = "\u200d\ufe0e\ufe0f"  # joiners and variation selectors: emoji sequences need them


def fallbacks(entries: list[str], text: str, directory: Path) -> tuple[list[str], dict[str, Path]]:
    """(luaotfload fallback entries, {file name: subset path}) with each font subset to `text`."""
    try:
        from fontTools import subset  # noqa: F401
    except ImportError:
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
    import fontTools
    from fontTools import subset
    from fontTools.ttLib import TTFont

    source = _find(name)
    if source is None:
        return None
    ranges = FALLBACK_RANGES.get(name, [(0x80, 0x10FFFF)])
    chars = sorted({ch for ch in text if any(lo <= ord(ch) <= hi for lo, hi in ranges)} | set(KEEP_WITH))
    st = source.stat()
    key = hashlib.sha256("\0".join([str(source), str(st.st_size), str(st.st_mtime_ns), fontTools.version,
                                    "".join(chars)]).encode()).hexdigest()[:20]
    target = directory / f"cvsub-{key}{'.ttf' if source.suffix == '.ttf' else '.otf'}"
    if target.is_file() and target.stat().st_size > 0:
        return target
    try:
        # recalcTimestamp=False: the same characters give the same bytes (reproducible PDFs)
        font = TTFont(str(source), fontNumber=0, lazy=True, recalcTimestamp=False)
        options = subset.Options()
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        sub = subset.Subsetter(options)
        sub.populate(text="".join(chars))
        sub.subset(font)
        directory.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        font.save(str(tmp))
        os.replace(tmp, target)
        return target
    except Exception:  # a font fontTools cannot cut: the full font still works
        with contextlib.suppress(OSError, UnboundLocalError):
            tmp.unlink()
        return None
