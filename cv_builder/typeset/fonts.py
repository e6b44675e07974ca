"""Fonts: which LuaLaTeX fallback fonts a CV needs, and those fonts cut down to the characters it uses.

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
import importlib.util
import os
import re
from pathlib import Path

# Chinese, Japanese and Korean (with their punctuation and fullwidth forms): set in the CJK font.
CJK_RANGES = [
    (0x1100, 0x11FF),
    (0x2E80, 0x33FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xA960, 0xA97F),
    (0xAC00, 0xD7FF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
    (0x20000, 0x3FFFF),
]


# Fonts LuaLaTeX falls back to for scripts Latin Modern lacks (Debian: fonts-noto-core,
# fonts-noto-cjk, fonts-noto-color-emoji); luaotfload finds them by file name.
FALLBACK_FONTS = [
    ("NotoSerifCJK-Regular.ttc", "fonts-noto-cjk"),
    ("NotoSansCJK-Regular.ttc", "fonts-noto-cjk"),
    ("NotoSerif-Regular.ttf", "fonts-noto-core"),
    ("NotoSansArabic-Regular.ttf", "fonts-noto-core"),
    ("NotoSansHebrew-Regular.ttf", "fonts-noto-core"),
    ("NotoSansMath-Regular.ttf", "fonts-noto-core"),
    ("NotoSansSymbols2-Regular.ttf", "fonts-noto-core"),
    ("NotoColorEmoji.ttf", "fonts-noto-color-emoji"),
]
FONT_DIRS = ["/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".local/share/fonts")]


# The characters each fallback font is there for (Latin Modern itself covers Latin-1,
# Latin Extended-A and the usual punctuation); the CJK fonts' are fallback_ranges()'.
FALLBACK_RANGES = {
    "NotoSerif-Regular.ttf": [
        (0x0180, 0x058F),
        (0x10A0, 0x10FF),
        (0x1D00, 0x1FFF),
        (0x2C60, 0x2C7F),
        (0x2DE0, 0x2DFF),
        (0xA640, 0xA69F),
        (0xA720, 0xA7FF),
    ],
    "NotoSansArabic-Regular.ttf": [(0x0600, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)],
    "NotoSansHebrew-Regular.ttf": [(0x0590, 0x05FF), (0xFB1D, 0xFB4F)],
    "NotoSansMath-Regular.ttf": [(0x2200, 0x22FF), (0x27C0, 0x27EF), (0x2980, 0x2AFF), (0x1D400, 0x1D7FF)],
    "NotoSansSymbols2-Regular.ttf": [(0x2190, 0x2BFF), (0x1F000, 0x1F0FF), (0x1F650, 0x1F67F), (0x1F780, 0x1F8FF)],
    "NotoColorEmoji.ttf": [(0x2600, 0x27BF), (0xFE0F, 0xFE0F), (0x1F000, 0x1FAFF)],
}


def fallback_ranges(name: str, default: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The code point ranges the fallback font `name` is there for, else `default`."""
    if "CJK" in name:
        return CJK_RANGES  # the escaper sets exactly these in the CJK font
    return FALLBACK_RANGES.get(name, default)


def _needed(name: str, codes: set[int]) -> bool:
    return any(lo <= c <= hi for c in codes for lo, hi in fallback_ranges(name, [(0, 0x10FFFF)]))


def fallback_fonts(text: str | None = None) -> list[str]:
    """luaotfload fallback entries for the fonts installed here (CJK serif or sans, not both).

    With `text`, only the fonts some character of it needs: every fallback font is
    loaded in every pass, the CJK one alone costs about a second.
    """
    codes = {ord(ch) for ch in set(text) if ord(ch) > 0x17F} if text is not None else None
    present: set[str] = set()
    for root in FONT_DIRS:
        for _dirpath, _, files in os.walk(root):
            present.update(f for f in files if f.startswith("Noto"))
    found: list[str] = []
    for name, _pkg in FALLBACK_FONTS:
        if codes is not None and not _needed(name, codes):
            continue
        if name in present and not (name.startswith("NotoSansCJK") and any("CJK" in f for f in found)):
            mode = "harf" if any(k in name for k in ("Arabic", "Hebrew", "Emoji")) else "node"
            found.append(f"{name}:mode={mode};")
    return found


# Which fallback font (and Debian package) a character needs on a Unicode engine.
_SCRIPT_FONTS = [
    (
        "Chinese/Japanese/Korean",
        "CJK",
        "fonts-noto-cjk",
        lambda cp: (
            0x2E80 <= cp <= 0x9FFF
            or 0xAC00 <= cp <= 0xD7AF
            or 0xF900 <= cp <= 0xFAFF
            or 0xFF00 <= cp <= 0xFFEF
            or 0x20000 <= cp <= 0x3FFFF
        ),
    ),
    ("Arabic", "NotoSansArabic", "fonts-noto-core", lambda cp: 0x0600 <= cp <= 0x08FF or 0xFB50 <= cp <= 0xFEFC),
    ("Hebrew", "NotoSansHebrew", "fonts-noto-core", lambda cp: 0x0590 <= cp <= 0x05FF or 0xFB1D <= cp <= 0xFB4F),
    ("Greek/Cyrillic", "NotoSerif-", "fonts-noto-core", lambda cp: 0x0370 <= cp <= 0x052F),
    ("emoji", "NotoColorEmoji", "fonts-noto-color-emoji", lambda cp: 0x1F000 <= cp <= 0x1FAFF),
]


def missing_fonts(chars: set[str], fonts: list[str]) -> list[str]:
    """One line per script in `chars` whose fallback font is not installed, naming the package."""
    out = []
    for script, needle, package, wanted in _SCRIPT_FONTS:
        hits = sorted(c for c in chars if wanted(ord(c[0])))
        if hits and not any(needle in f for f in fonts):
            sample = " ".join(hits[:5])
            out.append(
                f"no font for {script} text ({sample}) is installed; it will be missing from the PDF. "
                f"Install it: apt install {package}"
            )
    return out


KEEP_WITH = "\u200d\ufe0e\ufe0f"  # joiners and variation selectors: emoji sequences need them
# luaotfload keeps every font it loads, by file name, in LuaTeX's own cache: each new
# character set's subsets add entries there (tidy_luatex_cache keeps this many others).
KEEP_IN_LUATEX = 16
_CACHE_ROOT = re.compile(r'luaotfload \| conf : Root cache directory is "([^"]+)"')
# Ours only: otl/cvsub-notoserifcjk-regular-<key>.lua/.luc, hb/cvsub-NotoColorEmoji-<key>.ttf:1:nil
_OURS = re.compile(r"^(cvsub-.+-[0-9a-f]{20})(?:\.lua|\.luc|\.(?:otf|ttf):\d+:.*)$", re.IGNORECASE)


def fallbacks(entries: list[str], text: str, directory: Path) -> tuple[list[str], dict[str, Path]]:
    """(luaotfload fallback entries, {file name: subset path}) with each font subset to `text`."""
    if importlib.util.find_spec("uharfbuzz") is None:
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
    key = hashlib.sha256(
        "\0".join([str(source), str(st.st_size), str(st.st_mtime_ns), _harfbuzz_version(), chars, *dropped]).encode()
    ).hexdigest()[:20]
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
    with contextlib.suppress(Exception):
        spec = importlib.util.find_spec("uharfbuzz")
        if spec is None or spec.origin is None:
            return ""
        folder = Path(spec.origin).parent
        return ";".join(
            f"{e.name}:{e.stat().st_size}:{e.stat().st_mtime_ns}"
            for e in sorted(os.scandir(folder), key=lambda e: e.name)
            if e.is_file()
        )
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
    import uharfbuzz as hb  # ~16 ms, only for LuaLaTeX with fallback fonts

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
