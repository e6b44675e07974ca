"""LuaLaTeX fallback fonts cut down to the characters a CV uses.

Noto Serif CJK has 65,000 glyphs and LuaLaTeX loads and scales it in every size
and shape of every pass (2-3 s, 500 MiB) to set the four characters of 机器之心.
A subset holding only the document's characters loads in a blink. HarfBuzz's
subsetter (uharfbuzz) cuts it in milliseconds, where fontTools took 1.8 s.
Subsets are cached by the source font and the character set; without uharfbuzz,
or if subsetting fails, the full fonts are used.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
from pathlib import Path

from .engine import FONT_DIRS, fallback_ranges

KEEP_WITH = "\u200d\ufe0e\ufe0f"  # joiners and variation selectors: emoji sequences need them
# luaotfload keeps every font it loads, by file name, in LuaTeX's own cache: each new
# character set's subsets add entries there (tidy_luatex_cache keeps this many others).
KEEP_IN_LUATEX = 16
_CACHE_ROOT = re.compile(r'luaotfload \| conf : Root cache directory is "([^"]+)"')
# Ours only: otl/cvsub-notoserifcjk-regular-<key>.lua/.luc, hb/cvsub-NotoColorEmoji-<key>.ttf:1:nil
_OURS = re.compile(r"^(cvsub-.+-[0-9a-f]{20})(?:\.lua|\.luc|\.(?:otf|ttf):\d+:.*)$", re.IGNORECASE)


def fallbacks(entries: list[str], text: str, directory: Path) -> tuple[list[str], dict[str, Path]]:
    """(luaotfload fallback entries, {file name: subset path}) with each font subset to `text`."""
    from importlib.util import find_spec

    if find_spec("uharfbuzz") is None:
        return entries, {}
    out, files = [], {}
    used = set(text)  # a few hundred characters; the text is 30 kB (460 kB for 1,000 publications)
    for entry in entries:
        name, _, features = entry.partition(":")
        made = _subset(name, used, directory, harf="mode=harf" in features)
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


def _subset(name: str, used: set[str], directory: Path, harf: bool = False) -> Path | None:
    source = _find(name)
    if source is None:
        return None
    ranges = fallback_ranges(name, [(0x80, 0x10FFFF)])
    chars = "".join(sorted({ch for ch in used if any(lo <= ord(ch) <= hi for lo, hi in ranges)} | set(KEEP_WITH)))
    st = source.stat()
    dropped = () if harf else _UNUSED_FEATURES
    key = hashlib.sha256("\0".join([str(source), str(st.st_size), str(st.st_mtime_ns), _harfbuzz_version(),
                                    chars, *dropped]).encode()).hexdigest()[:20]
    target = directory / f"cvsub-{source.stem}-{key}{'.ttf' if source.suffix == '.ttf' else '.otf'}"
    if target.is_file() and target.stat().st_size > 0:
        return target
    directory.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(cut(source, chars, dropped))
        os.replace(tmp, target)
        return target
    except Exception:  # a font HarfBuzz cannot cut: the full font still works
        with contextlib.suppress(OSError):
            tmp.unlink()
        return None


def _harfbuzz_version() -> str:
    """What identifies the installed uharfbuzz (and so its subsetter): its files' names,
    sizes and times. importlib.metadata's version() took ~50 ms, before LuaLaTeX's preamble."""
    from importlib.util import find_spec

    with contextlib.suppress(Exception):
        folder = Path(find_spec("uharfbuzz").origin).parent
        return ";".join(f"{e.name}:{e.stat().st_size}:{e.stat().st_mtime_ns}"
                        for e in sorted(os.scandir(folder), key=lambda e: e.name) if e.is_file())
    return ""


# Layout features a fallback font set by luaotfload (node mode) never applies: it is loaded
# in the default language, and `locl` holds other languages' forms (Noto Serif CJK JP: the
# Chinese and Korean forms of 机器之心). Their glyphs have no Unicode, so luaotfload numbers
# them from U+F0000, and LuaTeX, writing the font, walks every slot up to the highest
# (~25 ms). HarfBuzz-mode fonts (emoji, Arabic, Hebrew) keep every feature.
_UNUSED_FEATURES = ("locl",)


def cut(source: Path, chars: str, dropped: tuple[str, ...] = ()) -> bytes:
    """The font's first face with only the glyphs `chars` need (and their layout rules,
    but those of the features `dropped`)."""
    import uharfbuzz as hb

    face = hb.Face(hb.Blob.from_file_path(str(source)), 0)
    options = hb.SubsetInput()
    for ch in chars:
        options.unicode_set.add(ord(ch))
    for every in (options.layout_feature_tag_set, options.name_id_set):
        every.clear()
        every.invert()  # all of them: ligatures, emoji sequences; every name record
    for tag in dropped:
        options.layout_feature_tag_set.remove(int.from_bytes(tag.encode("ascii"), "big"))
    options.flags = hb.SubsetFlags.NOTDEF_OUTLINE
    made = hb.subset(face, options)
    if made is None:
        raise ValueError(f"HarfBuzz could not subset {source}")
    return made.blob.data


def tidy_luatex_cache(log: str, used: list[str]) -> None:
    """Remove our old subsets' entries from luaotfload's font cache (found in the LuaLaTeX
    `log`): those of the fonts named `used` (this build's) and the KEEP_IN_LUATEX newest
    others stay; nothing but cvsub-* entries is touched."""
    found = _CACHE_ROOT.search(log.replace("\n", ""))  # the log wraps lines at 79 characters
    if not found or Path(found.group(1)).name != "names":
        return
    fonts = Path(found.group(1)).parent / "fonts"
    keep = {Path(name).stem.lower() for name in used}
    entries: dict[str, list[tuple[float, Path]]] = {}
    for folder in (fonts / "otl", fonts / "hb"):
        with contextlib.suppress(OSError):
            for entry in os.scandir(folder):
                ours = _OURS.match(entry.name)
                name = ours.group(1).lower() if ours else None
                if name and name not in keep:
                    with contextlib.suppress(OSError):
                        entries.setdefault(name, []).append((entry.stat().st_mtime, Path(entry.path)))
    newest = sorted(entries.values(), key=lambda files: max(t for t, _ in files), reverse=True)
    for files in newest[KEEP_IN_LUATEX:]:
        for _, path in files:
            with contextlib.suppress(OSError):
                path.unlink()
