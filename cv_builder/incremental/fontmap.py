"""pdflatex's font map cut down to the fonts a CV uses.

pdfTeX reads its whole font map (pdftex.map: 33,000 lines) at the first page: about
0.1 s of a 0.3 s warm pass. A warm pass names instead, on its first line, a map
holding the lines for every font in the font folders the last build used (all of
Latin Modern, say). A font outside them stops the pass or comes out as a bitmap;
cached.compile_tex then reruns the pass with the full map.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from .. import process as commands
from ..publish.atomic import atomic_write

MAP_NAME = "cvfonts.map"
# Reads the default (full) map now, adding nothing: pdfTeX reads a pending default map
# before any `+` item. An engine started ahead thus reads it while Python renders, not
# at the first page of a cold pass (~60 ms). The PDF is byte for byte the same.
FULL_MAP_NOW = r"\pdfmapfile{+}"
_LOG_FONT = re.compile(r"<([^<>{}]+\.(?:pfb|pfa|ttf|otf|\d*pk))>")
_LOG_MAP = re.compile(r"\{([^{}]+\.map)\}")
_FONT_ERROR = re.compile(r"^!.*(?:[Ff]ont|expansion)", re.M)


def record(work: Path) -> Path:
    """Where the fonts of the last build in a work directory are noted."""
    return work.with_name(work.name + ".fonts")


def fonts_of(log: str) -> tuple[str, list[str], list[str]] | None:
    """(the map file, the font folders used, the bitmap fonts) from a pdfTeX log, if it read a map."""
    flat = log.replace("\n", "")  # the log wraps long paths at 79 characters
    found = _LOG_MAP.search(flat)
    files = _LOG_FONT.findall(flat)
    if not found or not files:
        return None
    bitmaps = sorted({os.path.basename(f) for f in files if f.endswith("pk")})
    return found.group(1), sorted({os.path.dirname(f) for f in files if not f.endswith("pk")}), bitmaps


def remember(noted: Path, log: str) -> None:
    """Note the full map and the font folders a pass used (a pass with our map says nothing new)."""
    found = fonts_of(log)
    if found and not found[0].endswith(MAP_NAME):
        with contextlib.suppress(OSError):
            atomic_write(
                noted,
                json.dumps({"map": found[0], "folders": found[1], "bitmaps": found[2]}).encode("utf-8"),
                sync=False,
            )


def font_map(directory: Path, noted: Path) -> Path | None:
    """The cut-down map for what `noted` says, made in `directory` if missing; None: use the full map."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        last = json.loads(noted.read_bytes())
        made = _map_path(directory, last)
        if not made.is_file():
            lines = map_lines(Path(last["map"]), last["folders"])
            if not lines:
                return None
            atomic_write(made, lines.encode("latin-1"), sync=False)
        return made
    return None


def _map_path(directory: Path, last: dict) -> Path:
    full = Path(last["map"])
    st = full.stat()
    key = hashlib.sha256(json.dumps([str(full), st.st_size, st.st_mtime_ns, last["folders"]]).encode())
    return directory / f"pdftex-{key.hexdigest()[:24]}.map"


PENDING = "pending-"  # a map being made in the background (benchmarks/run.py waits for these)
_MAKE_LATER = """import sys
from pathlib import Path
try:
    from cv_builder.incremental import fontmap
    fontmap.font_map(Path(sys.argv[1]), Path(sys.argv[2]))
finally:
    Path(sys.argv[3]).unlink(missing_ok=True)
"""


def make_later(directory: Path, noted: Path) -> None:
    """Make the map for `noted` in a background process if it is missing. Cutting the
    33,000-line map takes ~60 ms, which the next build would otherwise spend before it
    can start its engine; after a first build the user is still reading the PDF."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        if _map_path(directory, json.loads(noted.read_bytes())).is_file() or not sys.executable:
            return
        directory.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):  # old maps (a font folder more or less, a TeX update)
            for old in sorted(directory.glob("pdftex-*.map"), key=lambda p: p.stat().st_mtime)[:-7]:
                old.unlink()
        marker = directory / f"{PENDING}{os.getpid()}"
        marker.touch()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", _MAKE_LATER, str(directory), str(noted), str(marker)],
                env=commands.python_env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError:
            marker.unlink(missing_ok=True)
        else:  # as the format build: the build may still be publishing
            commands.yield_cpu(proc)


def map_lines(full_map: Path, folders: list[str]) -> str:
    """The lines of `full_map` for every font file in `folders`."""
    names = set()
    for folder in folders:
        with contextlib.suppress(OSError):
            names.update(os.listdir(folder))
    keep = []
    with open(full_map, encoding="latin-1") as fh:
        for line in fh:
            for token in line.split():
                if token[0] in "<[" and token.lstrip("<[") in names:
                    keep.append(line)
                    break
    return "".join(keep)


def font_error(log: str) -> bool:
    """Did the pass stop over a font (as with a font missing from the map and microtype)?"""
    return bool(_FONT_ERROR.search(log))


def new_bitmaps(noted: Path, log: str) -> bool:
    """Did a font come out as a bitmap that the full map did not make one?"""
    found = fonts_of(log)
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        known = set(json.loads(noted.read_bytes())["bitmaps"])
        return found is not None and not set(found[2]) <= known
    return True
