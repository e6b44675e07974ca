"""Build cache under output/.cache/: do no work twice.

Each layer is keyed by a hash of everything that can change its result:
- noop/: the inputs of the last build (data, .bib, templates, code, engine,
  date) and the digests of the files it wrote. Unchanged inputs and intact
  outputs mean nothing to do, checked without importing the build stages.
- pdf/: finished PDFs keyed by the generated .tex, the engine and the
  environment. Same .tex, same engine: no engine run.
- work/: one build directory per output and engine, kept between builds (its
  .aux is the next pass's starting point), with what the next build starts its
  engine with: the format (.fmt) and the fonts used (.fonts, see fontmap.py).
  start_early() starts that engine before the build stages are imported.
- fmt/: the package-loading part of the preamble dumped into a pdflatex format,
  made in the background after the first build.
- fonts/: pdflatex font maps (fontmap.py) and LuaLaTeX subset fonts (subset.py).
- bib/: parsed .bib files, so an edit of the YAML alone does not reparse them.

Every folder is bounded by count, age and, all together, size (trim(), after each
successful build). Every entry is written atomically and checked on read (a PDF's digest is
stored beside it), so a torn or corrupt entry is ignored and rebuilt. Work
directories and formats are built under a per-key flock, so concurrent builds
never share a half-written state.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .. import process as commands
from ..errors import CVError, EngineError, Report
from ..options import Options
from ..paths import PACKAGE_DIR, templates_root
from ..publish import reproducible
from ..publish.atomic import locked
from ..typeset.engine import (
    ENGINES,
    REST_SUFFIX,
    Engine,
    RunResult,
    Waiting,
    embedded_pdflatex,
    find_engine,
    kill_group,
    run,
    sandbox_env,
)
from ..typeset.fonts import fallback_fonts
from . import fontmap
from .identity import engine_identity, engine_stamp, known_identity
from .keys import digest, env_state, file_digest, read_json, root, tree_digest, write_bytes, write_json

KEEP = (".aux", ".out", ".toc", ".lof", ".lot", ".nav", ".snm")  # what a warm build reuses
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


# --- layer 1: nothing changed -------------------------------------------------------


def _dirs(template_dir) -> list[Path]:
    """Template folders of the user's: one (--template-dir), or a list (it and latex_templates/ beside the data)."""
    if not template_dir:
        return []
    return [Path(d) for d in template_dir] if isinstance(template_dir, (list, tuple)) else [Path(template_dir)]


def _builtin_templates() -> list[str]:
    """The digest of the built-in templates; "missing" lets the build run and word the error."""
    try:
        return [tree_digest(templates_root())]
    except CVError:
        return ["missing"]


def engines_present() -> dict:
    found = {name: shutil.which(name) or "" for name in ENGINES}
    found["embedded"] = embedded_pdflatex() or ""
    return found


def noop_key(data: Path, output: Path, engine: str, theme, template_dir) -> str:
    return digest(
        "noop",
        Path(data).resolve(),
        Path(output).resolve(),
        engine,
        theme or "",
        [str(Path(d).resolve()) for d in _dirs(template_dir)],
    )


def build_key(opts: Options) -> tuple[str, list[Path]]:
    """The no-op key of a build and the user's template folders it watches (--template-dir, and
    latex_templates/ beside the data)."""
    dirs = ([Path(opts.template_dir)] if opts.template_dir else []) + [Path(opts.data).parent / "latex_templates"]
    return noop_key(opts.data, opts.output, opts.engine, opts.key_options(), dirs), dirs


def input_state(deps: list[Path], template_dir, engine_name: str, engine_path: str, cache: Path) -> dict:
    return {
        "deps": {str(Path(p).resolve()): file_digest(p) for p in deps},
        "templates": _builtin_templates() + [tree_digest(d) for d in _dirs(template_dir)],
        "code": tree_digest(PACKAGE_DIR, (".py",)),  # every subpackage: rglob
        "env": env_state(),
        "engines": engines_present(),
        "engine": engine_identity(engine_name, engine_path, cache),
        "fonts": fallback_fonts() if engine_name == "lualatex" else [],
    }


def snapshot(files: list[Path], template_dir=None) -> dict:
    """Digests of inputs as a build starts to read them (see record_build)."""
    seen: dict[str, str | list[str]] = {str(Path(p).resolve()): file_digest(p) for p in files}
    if template_dir is not None or files:
        seen["templates"] = _builtin_templates() + ([tree_digest(d) for d in _dirs(template_dir)])
    return seen


def record_build(
    key: str,
    output: Path,
    deps: list[Path],
    template_dir,
    engine_name: str,
    engine_path: str,
    outputs: dict[Path, bytes],
    result: dict,
    seen: dict | None = None,
    state: dict | None = None,
) -> None:
    """After a successful build: remember its inputs and what it wrote.

    An input edited while the build ran (`--watch` makes that likely) differs from
    what the build read, as snapshot() saw it: then nothing is remembered and the
    next build runs. `state`: input_state() taken after the build read its inputs
    (while the engine ran); an edit after that shows in the next build's check.
    """
    cache = root(output)
    trim(cache)
    if state is None:
        state = input_state(deps, template_dir, engine_name, engine_path, cache)
    if seen and (
        any(state["deps"].get(p, d) != d for p, d in seen.items() if p != "templates")
        or state["templates"] != seen.get("templates", state["templates"])
    ):
        with contextlib.suppress(OSError):
            (cache / "noop" / f"{key[:32]}.json").unlink()
        return
    state["deps_list"] = [str(p) for p in deps]
    state["outputs"] = {str(Path(p).resolve()): hashlib.sha256(b).hexdigest() for p, b in outputs.items()}
    state["result"] = result
    write_json(cache / "noop" / f"{key[:32]}.json", state)


def data_changed(key: str, output: Path) -> bool:
    """A data file differs from the last build's (or there is none): the build has to run,
    whatever else unchanged() would check. Two file hashes: cheap enough to ask first."""
    state = read_json(root(output) / "noop" / f"{key[:32]}.json")
    try:
        return any(file_digest(Path(p)) != sha for p, sha in state["deps"].items())
    except (KeyError, TypeError, AttributeError, OSError):
        return True


def unchanged(key: str, output: Path, template_dir) -> dict | None:
    """The last build's result if no input changed and its outputs are intact, else None."""
    cache = root(output)
    state = read_json(cache / "noop" / f"{key[:32]}.json")
    if not isinstance(state, dict):
        return None
    try:
        for path, sha in state["outputs"].items():
            if file_digest(Path(path)) != sha:
                return None
        now = input_state(
            [Path(p) for p in state["deps_list"]],
            template_dir,
            state["result"]["engine_name"],
            state["result"]["engine_path"],
            cache,
        )
        if any(state.get(k) != v for k, v in now.items()):
            return None
        return state["result"]
    except (KeyError, TypeError, AttributeError):
        return None  # an entry from another version or a damaged one: rebuild


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


# --- layer 2: same .tex, same engine ------------------------------------------------


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
        for i, (used, size, files) in enumerate(_entries(cache / folder, pattern)):
            if (i >= keep or (aged and now - used > MAX_AGE)) and _remove(files):
                continue
            total += size
            if i:  # the newest of each kind stays whatever the size: the build that just ran uses it
                kept.append((used, size, files))
    for _used, size, files in sorted(kept, key=lambda e: e[0]):
        if total <= MAX_BYTES:
            break
        if _remove(files):
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
    for files in groups.values():
        used, size = 0.0, 0
        for path in files:
            with contextlib.suppress(OSError):
                st = path.stat()
                used = max(used, st.st_mtime)
                size += _tree_size(path) if path.is_dir() else st.st_size
        found.append((used, size, files))
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


# --- layer 3: a warm build directory and a precompiled preamble ---------------------


def work_dir(cache: Path, output: Path, stamp: str) -> Path:
    """The output's build directory for one engine binary (engine_stamp). A first build
    starts its engine there before it knows the engine's version (known_identity)."""
    return cache / "work" / digest("work", Path(output).resolve(), stamp)[:24]


def reset_work_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)


def split_preamble(tex: str) -> tuple[str, str] | None:
    """(head, body): head is the preamble up to its last package line, the part worth
    dumping (it holds no personal data in the built-in themes); body is `tex` with the
    head's lines blanked to `%`, so line numbers in errors still match cv.tex.

    xcolor ends with a top-level \\color{black} whose colour-stack push is not dumped;
    the body replays it, which keeps the PDF byte-identical to a run without format.
    """
    lines = tex.split("\n")
    begin = next((i for i, line in enumerate(lines) if _begin_at(line) >= 0), None)
    if begin is None or not lines[0].startswith("\\documentclass"):
        return None
    heads = [i for i in range(begin) if lines[i].startswith(("\\documentclass", "\\usepackage", "\\RequirePackage"))]
    last = heads[-1]
    replay = "\\csname @ifpackageloaded\\endcsname{xcolor}{\\color{black}}{}%"
    return "\n".join(lines[: last + 1]), "\n".join(["%"] * last + [replay] + lines[last + 1 :])


def _begin_at(line: str) -> int:
    """Where `line` has \\begin{document} outside a comment, else -1."""
    comment, i = len(line), line.find("%")
    while i >= 0:
        slashes = len(line[:i]) - len(line[:i].rstrip("\\"))
        if slashes % 2 == 0:  # not \%
            comment = i
            break
        i = line.find("%", i + 1)
    return line.find("\\begin{document}", 0, comment)


def split_begin(body: str) -> tuple[str, str] | None:
    """(begin, rest): `body` (split_preamble's) cut just after \\begin{document}, for an
    engine started ahead (engine.Waiting). `rest` has begin's lines blanked to `%`, so
    line numbers still match cv.tex."""
    lines = body.split("\n")
    at = next((i for i, line in enumerate(lines) if _begin_at(line) >= 0), None)
    if at is None:
        return None
    cut = _begin_at(lines[at]) + len("\\begin{document}")
    after = lines[at][cut:] if lines[at][cut:].strip() else "%"  # an empty line would be a \par
    return "\n".join(lines[:at] + [lines[at][:cut]]) + "\n", "\n".join(["%"] * at + [after] + lines[at + 1 :])


def format_path(cache: Path, identity: str, head: str) -> Path:
    return cache / "fmt" / (digest("fmt", head, identity)[:32] + ".fmt")


def usable_format(fmt: Path) -> bool:
    try:
        return fmt.stat().st_size > 0
    except OSError:
        return False


# TeX writes formats gzip-compressed; it reads an uncompressed one just as well (zlib's
# transparent mode) and 90 ms sooner: inflating 18 MB is most of a format's load time.
# The background script uses gzip(1) where there is one (half the time of Python's),
# else this (_inflate, in a `python -c`).
_INFLATE = "from pathlib import Path; from cv_builder.incremental.cache import _inflate; _inflate(Path('cv.fmt'))"


def _inflate(fmt: Path) -> None:
    """The format at `fmt` uncompressed, in place (left alone if it is not gzip)."""
    try:
        data = gzip.open(fmt).read()
    except OSError:  # not gzip: leave it
        return
    write_bytes(fmt, data)


class FormatBuild:
    """`ENGINE -ini` dumping `head`, run beside the first build (it needs no format).

    Where there is a POSIX shell the build does not wait for it: a small script moves
    the format into place when it is done (like `git gc --auto`), so the first build
    costs no more than one without a format; the next one uses it if it is there.
    The format is stored uncompressed (_INFLATE)."""

    def __init__(self, fmt: Path, name: str, path: str, head: str, env: dict, timeout: float = 60.0):
        # Absolute: the script below runs in the temporary folder, not where a relative
        # output (the default output/cv.pdf) is relative to.
        fmt = self.fmt = Path(os.path.abspath(fmt))
        fmt.parent.mkdir(parents=True, exist_ok=True)
        prune(fmt.parent, keep=KEEP_FORMATS - 1, pattern="*.fmt")  # 18 MB each: the least recently used go
        _remove_stale(fmt.parent, "fmt-*", 3600)  # left by a killed build (or by releases before this fix)
        self.tmp = Path(tempfile.mkdtemp(prefix="fmt-", dir=fmt.parent))
        (self.tmp / "pre.tex").write_text(head + "\n\\dump\n", encoding="utf-8")
        cmd = [
            path,
            "-ini",
            "-interaction=nonstopmode",
            "-halt-on-error",
            "-no-shell-escape",
            "-jobname=cv",
            f"&{name}",
            "pre.tex",
        ]
        shell, limit = shutil.which("sh"), shutil.which("timeout")
        self.detached = bool(shell and limit)
        if shell and limit:
            # sync: flushed here, its 18 MB do not land in the next build's fsync of cv.pdf (ext4
            # commits every pending write with it: +20 ms measured on the build after the first)
            script = (
                '"$@" >/dev/null 2>&1 && [ -s cv.fmt ] '
                "&& { { gzip -dc cv.fmt > raw.fmt && mv -f raw.fmt cv.fmt; } 2>/dev/null "
                '|| "$CV_PY" -c "$CV_INFLATE" 2>/dev/null || :; } '
                "&& { sync cv.fmt 2>/dev/null || :; } "
                '&& mv -f cv.fmt "$CV_FMT" || : > "$CV_FAILED"; cd .. && rm -rf "$CV_TMP"'
            )
            env = dict(
                env,
                CV_FMT=str(fmt),
                CV_FAILED=str(fmt.with_suffix(".failed")),
                CV_TMP=str(self.tmp),
                CV_PY=commands.python(),
                CV_INFLATE=_INFLATE,
                PYTHONPATH=commands.python_env()["PYTHONPATH"],
            )
            cmd = [shell, "-c", script, "sh", limit, "-s", "KILL", f"{timeout:g}"] + cmd
        self.proc: subprocess.Popen | None
        try:
            self.proc = subprocess.Popen(
                cmd,
                cwd=self.tmp,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError:
            self.proc = None
        else:
            commands.yield_cpu(self.proc)

    def abort(self) -> None:
        if self.proc is not None:
            kill_group(self.proc)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def finish(self, timeout: float) -> None:
        """Wait for the format and move it into place (unless detached); a failure only costs speed."""
        if self.detached and self.proc is not None:
            return
        try:
            if self.proc is None:
                return
            try:
                self.proc.wait(timeout=timeout)
            except BaseException:
                kill_group(self.proc)
                if not isinstance(sys.exc_info()[1], subprocess.TimeoutExpired):
                    raise
                return
            made = self.tmp / "cv.fmt"
            if self.proc.returncode == 0 and made.is_file() and made.stat().st_size > 0:
                _inflate(made)
                os.replace(made, self.fmt)  # atomic: concurrent builds at worst both make it
            else:
                self.fmt.with_suffix(".failed").touch()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _remove_stale(directory: Path, pattern: str, seconds: float) -> None:
    """Folders matching `pattern` not touched for `seconds` (a running build's are recent)."""
    with contextlib.suppress(OSError):
        for old in directory.glob(pattern):
            with contextlib.suppress(OSError):
                if old.is_dir() and time.time() - old.stat().st_mtime > seconds:
                    shutil.rmtree(old, ignore_errors=True)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def drop_format(fmt: Path) -> None:
    """A format the engine rejected: delete it and never retry this key."""
    with contextlib.suppress(OSError):
        fmt.unlink()
        fmt.with_suffix(".failed").touch()


# --- the engine stage with all three layers ----------------------------------------


def _place(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


class Early:
    """A build's engine started ahead (engine.Waiting) in its work directory, holding the
    directory's lock until the build is done with it. `deps` and `when`: the data files and
    source date it was started for; the build uses it only if its own agree."""

    def __init__(
        self, stack: contextlib.ExitStack, work: Path, fmt: Path | None, waiting, deps, when, made: list[Path]
    ):
        self.stack, self.work, self.fmt, self.waiting, self.deps, self.when = stack, work, fmt, waiting, deps, when
        self.made = made  # folders it created: removed again if the build fails

    def close(self, failed: bool = False) -> None:
        if self.waiting is not None:
            self.waiting.cancel()
            self.waiting = None
        self.stack.close()
        if failed:  # a failed build leaves output/ as it was
            for folder in self.made:
                shutil.rmtree(folder, ignore_errors=True)
            self.made = []


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


def _begin_guess(last_tex: Path, cache: Path, identity: str, fmt: Path) -> str | None:
    """How the next document will most likely begin after the format `fmt`: as the
    last one did (`last_tex`, published beside the PDF), if that was made for `fmt`."""
    split = split_preamble(_read(last_tex))
    if not split or format_path(cache, identity, split[0]) != fmt:
        return None
    parts = split_begin(split[1])
    return parts[0] if parts else None


def _needs_unicode(files: list[Path]) -> bool:
    """`auto`'s likely choice on a first build: do the data files hold characters pdflatex
    cannot set? A guess from the raw text (the build decides on the rendered LaTeX, and
    an engine started for the wrong guess is stopped)."""
    from ..typeset.latex import unsupported_chars  # ~8 ms: only a first build guesses its engine

    rare: set[str] = set()
    for path in files:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            text = path.read_text(encoding="utf-8")
            if not text.isascii():
                rare.update(ch for ch in text if ord(ch) > 0x7F)
    return bool(rare) and bool(unsupported_chars(" ".join(sorted(rare))))


def start_early(key: str, data: Path, output: Path, engine: str) -> Early | None:
    """Start the engine this build will most likely run (the last build's with these options,
    else the one asked for) before the build stages are even imported; None where that is
    not possible (XeTeX rereads its input, no named pipes)."""
    if not Waiting.supported():
        return None
    cache = root(output)
    state = read_json(cache / "noop" / f"{key[:32]}.json")
    try:
        last = state["result"]
        eng = Engine(last["engine_name"], last["engine_path"], bool(last.get("embedded")))
        deps = [Path(p) for p in state["deps_list"]]
    except (KeyError, TypeError):
        deps = [data] + [p for p in [data.parent / "publications.bib"] if p.is_file()]
        try:
            eng = find_engine(engine, engine == "auto" and _needs_unicode(deps))
        except CVError:
            return None
    if eng.name == "xelatex" or not os.path.isfile(eng.path):
        return None
    try:
        when = reproducible.source_date(deps)
    except CVError:
        return None
    made = [p for p in (Path(output).parent, cache) if not p.exists()][:1]
    identity = known_identity(eng.name, eng.path, cache)
    work = work_dir(cache, output, engine_stamp(eng.name, eng.path))
    stack = contextlib.ExitStack()
    try:
        try:
            stack.enter_context(locked(work.with_name(work.name + ".lock"), wait=False))
        except BlockingIOError:  # another build is using this directory (and folders): start nothing
            stack.close()
            return None
        _clean(work)
        fmt, prefix, begin = None, "", None
        if eng.name == "pdflatex":
            prefix = _put_font_map(cache, work)
            with contextlib.suppress(OSError):
                named = _last_format(work).read_text(encoding="utf-8").strip() if identity else ""
                if named and identity and usable_format(Path(named)):
                    fmt = Path(named)
                    _put(fmt, work / "cvfmt.fmt")
                    begin = _begin_guess(Path(output).with_suffix(".tex"), cache, identity, fmt)
        waiting = Waiting(
            eng, work, reproducible.engine_env(when), "cvfmt" if fmt else None, prefix=prefix, begin=begin
        )
    except BaseException:
        stack.close()
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return Early(stack, work, fmt, waiting, deps, when, made)


def begin_early(early: Early | None, eng, head: str) -> None:
    """Give the engine started ahead without a format or a guessed beginning (a first
    build's) this build's own beginning, as soon as render() has it (`head`: the text up
    to the \\begin{document} line). compile_tex checks it as it checks a guess."""
    if early is None:
        return
    waiting = early.waiting
    if (
        waiting is None
        or early.fmt is not None
        or waiting.begin is not None
        or eng.name != "pdflatex"
        or (waiting.engine.name, waiting.engine.path) != (eng.name, eng.path)
    ):
        return
    parts = split_begin(head)
    if parts:
        with contextlib.suppress(OSError):  # e.g. a full disk: the engine then just reads all of cv.tex
            waiting.begin_now(parts[0])


def compile_tex(
    eng,
    tex: str,
    output: Path,
    timeout: float,
    env: dict | None = None,
    files: dict[str, Path] | None = None,
    trailer_id: str | None = None,
    early: Early | None = None,
    meanwhile=None,
):
    """(PDF bytes, RunResult) for `tex`, from the cache or a warm build directory.
    `files` (name: path) are put beside cv.tex (subset fonts); `tex` names them.
    `early`: the engine started ahead for this build, used where it matches.
    `meanwhile`: the caller's work, done while the engine runs (engine.run)."""
    cache = root(output)
    identity = engine_identity(eng.name, eng.path, cache)
    key = pdf_key(tex, identity + json.dumps(env or {}, sort_keys=True) + (trailer_id or ""))
    hit = load_pdf(cache, key)
    if hit:
        if early:
            early.close()
        data, meta = hit
        return data, RunResult(
            cache / "pdf" / f"{key[:32]}.pdf", "", 0, int(meta.get("pages", 0)), 0.0, list(meta.get("warnings", []))
        )
    work = work_dir(cache, output, engine_stamp(eng.name, eng.path))
    if early is not None and (early.work != work or early.waiting is None):
        early.close()
        early = None
    with contextlib.ExitStack() as stack:
        if early is not None:
            stack.callback(early.close)  # its lock is this directory's
        else:
            stack.enter_context(locked(work.with_name(work.name + ".lock")))
            _clean(work)
        warm = any(p.suffix in KEEP for p in work.iterdir())
        for name, path in (files or {}).items():
            _place(path, work / name)
        fmt, pending, prefix, candidate = None, None, "", None
        if eng.name == "pdflatex":
            prefix = _put_font_map(cache, work)
        mapped = fontmap.MAP_NAME in prefix  # our cut map, not the full one
        split = split_preamble(tex) if eng.name == "pdflatex" else None
        if split:
            candidate = format_path(cache, identity, split[0])
            if usable_format(candidate):
                fmt = candidate
            elif not candidate.with_suffix(".failed").exists():
                pending = FormatBuild(candidate, eng.name, eng.path, split[0], sandbox_env(env), timeout)
        waiting, rest = None, None
        if early is not None:
            ahead = early.waiting
            if ahead.begin is not None:  # it began the document (the last build's or this one's): the same?
                doc = tex if early.fmt is None else (split[1] if split and fmt == early.fmt else None)
                parts = split_begin(doc) if doc is not None else None
                rest = parts[1] if parts and parts[0] == ahead.begin else None
            if (
                early.fmt in (fmt, None)
                and ahead.same(eng, work, env, "cvfmt" if early.fmt else None, prefix)
                and (ahead.begin is None or rest is not None)
            ):
                waiting, fmt = ahead, early.fmt  # a format made since it started: the next build's
            else:
                ahead.cancel()  # started for another engine, format, date or beginning
        if fmt:
            _put(fmt, work / "cvfmt.fmt")
            with contextlib.suppress(OSError):
                os.utime(fmt)  # its mtime is its last use: prune() keeps the recently used
        (work / "cv.tex").write_text(split[1] if fmt and split else tex, encoding="utf-8")
        if waiting is not None and rest is not None:
            (work / f"cv{REST_SUFFIX}").write_text(rest, encoding="utf-8")
        try:
            try:
                try:
                    result = run(
                        eng,
                        work,
                        timeout=timeout,
                        env=env,
                        fmt="cvfmt" if fmt else None,
                        trailer_id=trailer_id,
                        waiting=waiting,
                        prefix=prefix,
                        meanwhile=meanwhile,
                    )
                except EngineError:
                    if not (mapped and fontmap.font_error(_read(work / "cv.log"))):
                        raise
                    mapped = False  # a font the last build did not use stopped the pass: full map
                    result = run(
                        eng, work, timeout=timeout, env=env, fmt="cvfmt" if fmt else None, trailer_id=trailer_id
                    )
                if mapped and fontmap.new_bitmaps(fontmap.record(work), result.log):  # or came out a bitmap
                    result = run(
                        eng, work, timeout=timeout, env=env, fmt="cvfmt" if fmt else None, trailer_id=trailer_id
                    )
            except EngineError:
                if not (warm or fmt or mapped or waiting is not None):
                    raise
                # A stale .aux, a rejected format or a document begun ahead can fail a good
                # document: retry from scratch.
                log = _read(work / "cv.log")
                if fmt and ("format file" in log or not log):  # no log: it died loading the format
                    drop_format(fmt)
                reset_work_dir(work)
                for name, path in (files or {}).items():
                    _place(path, work / name)
                (work / "cv.tex").write_text(tex, encoding="utf-8")
                fmt = None
                result = run(eng, work, timeout=timeout, env=env, trailer_id=trailer_id)
            data = result.pdf.read_bytes()
            if eng.name == "pdflatex":
                fontmap.remember(fontmap.record(work), result.log)
                fontmap.make_later(cache / "fonts", fontmap.record(work))  # the next build's, if new
        except BaseException:
            if pending:
                pending.abort()
            raise
        if pending:
            pending.finish(timeout)
        with contextlib.suppress(OSError):  # the next build starts its engine early with this preamble's format
            write_bytes(_last_format(work), str(candidate or "").encode("utf-8"))
    store_pdf(cache, key, data, {"pages": result.pages, "warnings": result.warnings, "passes": result.passes})
    return data, result
