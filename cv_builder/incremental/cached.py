"""The engine stage with every cache: the cached compile_tex (pdf/, work/, fmt/, fonts/ and
the engine started ahead). --no-cache takes session.Plain's, the reference it must match."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from ..errors import EngineError
from ..publish.atomic import locked
from ..typeset.engine import REST_SUFFIX, RunResult, run, sandbox_env
from . import fontmap
from .ahead import Early
from .formats import FormatBuild, _read, drop_format, format_path, split_begin, split_preamble, usable_format
from .identity import engine_identity, engine_stamp
from .keys import root, write_bytes
from .stores import load_pdf, pdf_key, store_pdf
from .work import KEEP, _clean, _last_format, _place, _put, _put_font_map, reset_work_dir, work_dir


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
