"""The stores under output/.cache/ and their bounds: finished PDFs keyed by the .tex and the
engine (pdf/), parsed .bib files (bib/), and trim(), which keeps every folder bounded by
count, age and, all together, size."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

from ..errors import Report
from ..publish.atomic import locked
from .keys import digest, env_state, file_digest, read_json, root, write_bytes, write_json

KEEP_FORMATS = 4  # fmt/ holds at most this many (a new date or name in the preamble makes another)
# What trim() leaves after every successful build: per kind, the newest `keep` entries, none
# older than MAX_AGE, and all kinds together at most MAX_BYTES (least recently used go first).
# An entry's mtime is its last use for pdf/, work/, fmt/, noop/ and bib/ (touched when used),
# its making for fonts/ (a subset's mtime is part of luaotfload's cache key: not touched), jinja/
# and engines/ (small, read every build: no age limit).
MAX_AGE = 30 * 86400
MAX_BYTES = 512 * 2**20
BOUNDS = (  # folder, entries, keep, aged
    ("noop", "*.json", 64, True),
    ("pdf", "*.pdf", 40, True),  # with its .json
    ("work", "*", 16, True),  # a build directory with its .lock, .fmt and .fonts (an output, an engine)
    ("fmt", "*.fmt", KEEP_FORMATS, True),
    ("fmt", "*.failed", 16, True),
    ("fonts", "cvsub-*", 16, True),
    ("fonts", "pdftex-*.map", 8, True),
    ("fonts", "pending-*", 8, True),  # left by a killed font-map job
    ("bib", "*.json", 8, True),
    ("jinja", "*.cache", 200, False),
    ("engines", "*.json", 16, False),
)


def parsed_bib(output: Path, path: Path, display: str, report, parse):
    """`parse(report)`'s entries for the .bib at `path`, from bib/ when its bytes, its shown
    name and the parser are unchanged; its warnings are replayed into `report`. Saves the
    parse and the imports of bibtexparser and latexcodec on a build that only edited the YAML."""
    from ..bib import reader  # ~11 ms: a build that runs needs it, the no-op check never

    try:
        content = path.read_bytes()
    except OSError:
        return parse(report)  # the parser words the error
    entry = root(output) / "bib" / (digest("bib", content, display, file_digest(Path(reader.__file__)))[:32] + ".json")
    cached = read_json(entry)
    with contextlib.suppress(KeyError, TypeError, ValueError):  # a foreign or old entry is a miss
        if isinstance(cached, dict):
            entries = [
                reader.BibEntry(e["key"], e["type"], dict(e["fields"]), e["file"], int(e["line"]))
                for e in cached["entries"]
            ]
            for w in cached["warnings"]:
                report.warn(*w)
            with contextlib.suppress(OSError):
                os.utime(entry)  # its last use: trim() keeps the recently used
            return entries
    own = Report()
    entries = parse(own)
    for w in own.warnings:
        report.warn(w.message, w.file, w.line, w.column, w.path)
    _PENDING[entry] = {
        "entries": [vars(e) for e in entries],
        "warnings": [[w.message, w.file, w.line, w.column, w.path] for w in own.warnings],
    }
    return entries


_PENDING: dict[Path, object] = {}  # entries written only once the build has succeeded


def write_pending() -> None:
    """Write the entries a successful build collected (a failed build leaves output/ as it was)."""
    while _PENDING:
        path, obj = _PENDING.popitem()
        write_json(path, obj)


def pdf_key(tex: str, identity: str) -> str:
    return digest("pdf", tex, identity, json.dumps(env_state(), sort_keys=True))


def load_pdf(cache: Path, key: str) -> tuple[bytes, dict] | None:
    meta = read_json(cache / "pdf" / f"{key[:32]}.json")
    if not isinstance(meta, dict):
        return None
    try:
        data = (cache / "pdf" / f"{key[:32]}.pdf").read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != meta.get("sha256") or not data.startswith(b"%PDF"):
        return None
    with contextlib.suppress(OSError):
        os.utime(cache / "pdf" / f"{key[:32]}.pdf")  # its last use: trim() keeps the recently used
    return data, meta


def store_pdf(cache: Path, key: str, data: bytes, meta: dict) -> None:
    with contextlib.suppress(OSError):
        write_bytes(cache / "pdf" / f"{key[:32]}.pdf", data)
        write_json(cache / "pdf" / f"{key[:32]}.json", dict(meta, sha256=hashlib.sha256(data).hexdigest()))


def prune(directory: Path, keep: int = 40, pattern: str = "*.pdf") -> None:
    """Keep the newest `keep` entries of a cache directory; old ones pile up otherwise.
    A PDF's .json (its digest and metadata) goes with it."""
    with contextlib.suppress(OSError):
        files = sorted(directory.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[keep:]:
            old.unlink(missing_ok=True)
            if old.suffix == ".pdf":
                old.with_suffix(".json").unlink(missing_ok=True)


def trim(cache: Path) -> None:
    """Bound the cache (BOUNDS, MAX_AGE, MAX_BYTES). A build directory another build holds
    (its .lock) is left alone; anything else removed is only made again when needed."""
    now = time.time()
    total = 0  # bytes left
    kept: list[tuple[float, int, list[Path]]] = []  # (last use, bytes, paths): what may still go for MAX_BYTES
    for folder, pattern, keep, aged in BOUNDS:
        for i, (used, size, paths) in enumerate(_entries(cache / folder, pattern)):
            if (i >= keep or (aged and now - used > MAX_AGE)) and _remove(paths):
                continue
            total += size
            if i:  # the newest of each kind stays whatever the size: the build that just ran uses it
                kept.append((used, size, paths))
    for _used, size, paths in sorted(kept, key=lambda e: e[0]):
        if total <= MAX_BYTES:
            break
        if _remove(paths):
            total -= size


def _entries(folder: Path, pattern: str) -> list[tuple[float, int, list[Path]]]:
    """(last use, bytes, paths) of each entry matching `pattern`, newest first. In work/ an entry
    is a build directory and the files named after it (name.lock, name.fmt, name.fonts)."""
    groups: dict[str, list[Path]] = {}
    with contextlib.suppress(OSError):
        for path in folder.glob(pattern):
            name = path.name.split(".", 1)[0] if folder.name == "work" else path.name
            groups.setdefault(name, []).append(path)
            if path.suffix == ".pdf":
                groups[name].append(path.with_suffix(".json"))
    found = []
    for paths in groups.values():
        used, size = 0.0, 0
        for path in paths:
            with contextlib.suppress(OSError):
                st = path.stat()
                used = max(used, st.st_mtime)
                size += _tree_size(path) if path.is_dir() else st.st_size
        found.append((used, size, paths))
    return sorted(found, key=lambda e: e[0], reverse=True)


def _tree_size(folder: Path) -> int:
    total = 0
    for dirpath, _, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def _remove(paths: list[Path]) -> bool:
    """Delete one entry; a build directory only under its lock, not while a build holds it."""
    lock = next((p for p in paths if p.suffix == ".lock"), None)
    with contextlib.ExitStack() as stack:
        if lock is not None:
            try:
                stack.enter_context(locked(lock, wait=False))
            except BlockingIOError:
                return False
        for path in sorted(paths, key=lambda p: p == lock):  # the lock last, while it is held
            with contextlib.suppress(OSError):
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    return True
