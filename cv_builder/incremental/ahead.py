"""The engine started ahead: before the build stages are imported, the engine this build will
most likely run starts in its work directory and waits on a pipe (incremental/waiting.py)."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from ..errors import CVError
from ..publish import reproducible
from ..publish.atomic import locked
from ..typeset.engine import Engine, find_engine
from .formats import _read, format_path, split_begin, split_preamble, usable_format
from .identity import engine_stamp, known_identity
from .keys import read_json, root
from .waiting import Waiting
from .work import _clean, _last_format, _put, _put_font_map, work_dir


class Early:
    """A build's engine started ahead (waiting.Waiting) in its work directory, holding the
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
