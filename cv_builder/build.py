"""The pipeline: load → model → bibliography → render → engine → publish.

Each stage lives in its own module; this one only passes data along, times
the stages and keeps the build in a private temporary directory.
"""
from __future__ import annotations

import datetime as _dt
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import bibliography, bibtex, engine as engines, latex, load, model, publish, render
from .errors import Report


@dataclass
class Options:
    data: Path = Path("data/cv.yaml")
    output: Path = Path("output/cv.pdf")
    engine: str = "auto"
    theme: str | None = None
    template_dir: Path | None = None
    timeout: float = 60.0
    cache: bool = True  # output/.cache/ (cv_builder/cache.py); --no-cache turns it off
    progress: Callable[[str], None] = lambda line: None


@dataclass
class Result:
    pdf: Path
    tex: Path
    engine: engines.Engine
    pages: int
    warnings: list[str]
    timings: dict[str, float] = field(default_factory=dict)


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when possible."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


class _Timer:
    def __init__(self, progress):
        self.progress = progress
        self.timings: dict[str, float] = {}

    def stage(self, name: str, start: float, detail: str = "") -> float:
        now = time.perf_counter()
        self.timings[name] = now - start
        self.progress(f"{name:<12} {1000 * (now - start):7.0f} ms  {detail}".rstrip())
        return now


def load_model(data: Path, report: Report) -> tuple[model.CV, dict[int, bibliography.PublicationList]]:
    """The check half of a build: everything up to (not including) LaTeX."""
    shown = display_path(data)
    cv = model.build(load.load_yaml(data, shown), shown)
    lists = publication_lists(cv, data, report)
    return cv, lists


def publication_lists(cv: model.CV, data: Path, report: Report) -> dict[int, bibliography.PublicationList]:
    wanted = [i for i, s in enumerate(cv.sections) if s.kind == "publications" and not s.hidden]
    if not wanted:
        return {}
    bib_path = (data.parent / cv.publications.bib)
    entries = bibtex.load_bib(bib_path, report, display_path(bib_path))
    options = bib_options(cv.publications)
    pubs = bibliography.make_publications(entries, options, report)
    return {i: bibliography.organise(pubs, section_options(cv.sections[i]), options) for i in wanted}


def bib_options(p: model.Publications) -> bibliography.BibOptions:
    options = bibliography.BibOptions(
        owner=list(p.owner), author_format=p.author_format, author_order=p.author_order,
        max_authors=p.max_authors, venue_style=p.venue_style)
    for name, mark in p.marks.items():
        options.marks[name] = bibliography.MarkSpec(mark.symbol, mark.legend)
    links = {spec.field: spec.label for spec in options.links}
    links.update(p.links)
    order = list(p.link_order) + [f for f in links if f not in p.link_order]
    options.links = [bibliography.LinkSpec(f, links[f]) for f in order if links.get(f)]
    return options


def section_options(s: model.Section) -> bibliography.SectionOptions:
    f = s.filter
    flt = {}
    if f is not None:
        if f.selected is not None:
            flt["selected"] = f.selected
        for key in ("categories", "keywords", "years", "keys"):
            if getattr(f, key):
                flt[key] = list(getattr(f, key))
    return bibliography.SectionOptions(filter=flt, sort=s.sort, group=s.group, numbering=s.numbering,
                                       number_order=s.number_order, counts=s.counts)


def source_date() -> _dt.date:
    """The 'Last updated' date: SOURCE_DATE_EPOCH if set, else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc).date()
    return _dt.date.today()


def run_build(opts: Options) -> Result:
    report = Report()
    timer = _Timer(opts.progress)
    t = time.perf_counter()
    done = unchanged(opts)
    if done:
        timer.stage("unchanged", t, f"{display_path(opts.output)} is up to date")
        return done
    seen: dict = {}
    if opts.cache:
        from . import cache

        render.BYTECODE_CACHE = cache.template_bytecode(opts.output)
        seen = cache.snapshot([opts.data], opts.template_dir)
    cv, lists = load_model(opts.data, report)
    if opts.cache and lists:
        seen.update(cache.snapshot([opts.data.parent / cv.publications.bib]))
    n_pubs = sum(len(g.publications) for pl in lists.values() for g in pl.groups)
    t = timer.stage("load+model", t, f"{len(cv.sections)} sections, {n_pubs} publications listed")

    theme = opts.theme or cv.design.theme
    updated = source_date()

    fonts: list[str] | None = None  # LuaLaTeX fallbacks: all installed, until the text is known

    def draw(target: latex.Target, name: str, sink: Report) -> render.Rendered:
        chosen = (engines.fallback_fonts() if fonts is None else fonts) if name == "lualatex" else None
        return render.render(cv, lists, target, sink, name, theme, opts.template_dir, updated,
                             fallback_fonts=chosen)

    needs_unicode = False
    if opts.engine == "auto":
        # Render for a Unicode engine first: if the result holds characters pdflatex
        # cannot set, `auto` prefers a Unicode engine where one is installed.
        probe = draw(latex.Target.for_engine("lualatex"), "lualatex", Report())
        needs_unicode = bool(latex.unsupported_chars(probe.tex))
        fonts = engines.fallback_fonts(probe.tex)
    eng = engines.find_engine(opts.engine, needs_unicode)
    font_files: dict[str, Path] = {}
    scratch = None
    if eng.name == "lualatex":
        # Each fallback font costs LuaLaTeX load time in every pass: keep those the text
        # needs, cut down to the characters it uses (subset.py).
        if fonts is None:
            probe = draw(latex.Target.for_engine("lualatex"), "lualatex", Report())
            fonts = engines.fallback_fonts(probe.tex)
        if fonts:
            from . import subset

            if opts.cache:
                from . import cache

                where = cache.root(opts.output) / "fonts"
            else:
                where = scratch = Path(tempfile.mkdtemp(prefix="cv_builder-fonts-"))
            fonts, font_files = subset.fallbacks(fonts, probe.tex, where)
    rendered = draw(latex.Target.for_engine(eng.name), eng.name, report)
    t = timer.stage("render", t, f"theme {theme}, {len(rendered.tex.splitlines())} lines of LaTeX")

    try:
        pdf, run = compile_tex(eng, rendered.tex, opts, font_files)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    t = timer.stage("engine", t, f"{eng.label}, {run.passes} passes, {run.pages} pages")

    outputs = output_files(opts, rendered.tex, pdf)
    publish.publish(outputs)
    timer.stage("publish", t, display_path(opts.output))
    warnings = [str(w) for w in report.warnings] + [w for w in run.warnings if w.startswith("Overfull")]
    if opts.cache:
        deps = [opts.data] + ([opts.data.parent / cv.publications.bib] if lists else [])
        remember(opts, deps, eng, outputs, run.pages, warnings, seen)
    return Result(opts.output, opts.output.with_suffix(".tex"), eng, run.pages, warnings, timer.timings)


def unchanged(opts: Options) -> Result | None:
    """The last build's result when no input changed and output/ is intact (cache.py)."""
    if not opts.cache:
        return None
    from . import cache

    hit = cache.unchanged(cache.noop_key(opts.data, opts.output, opts.engine, opts.theme, opts.template_dir),
                          opts.output, opts.template_dir)
    if not hit:
        return None
    eng = engines.Engine(hit["engine_name"], hit["engine_path"], hit.get("embedded", False))
    return Result(opts.output, opts.output.with_suffix(".tex"), eng, hit["pages"], hit["warnings"],
                  {"unchanged": 0.0})


def remember(opts: Options, deps: list[Path], eng: engines.Engine, outputs: dict[Path, bytes],
             pages: int, warnings: list[str], seen: dict | None = None) -> None:
    from . import cache

    key = cache.noop_key(opts.data, opts.output, opts.engine, opts.theme, opts.template_dir)
    cache.record_build(key, opts.output, deps, opts.template_dir, eng.name, eng.path, outputs,
                       {"engine_name": eng.name, "engine_path": eng.path, "embedded": eng.embedded,
                        "pages": pages, "warnings": warnings}, seen)


def compile_tex(eng: engines.Engine, tex: str, opts: Options,
                files: dict[str, Path] | None = None) -> tuple[bytes, engines.RunResult]:
    """The PDF's bytes for `tex`: from the cache, a warm build directory, or a fresh one.
    `files` (name: path) are put beside cv.tex, e.g. subset fonts."""
    if opts.cache:
        from . import cache

        return cache.compile_tex(eng, tex, opts.output, opts.timeout, files=files)
    build_dir = Path(tempfile.mkdtemp(prefix="cv_builder-"))
    try:
        for name, path in (files or {}).items():
            shutil.copyfile(path, build_dir / name)
        (build_dir / "cv.tex").write_text(tex, encoding="utf-8")
        run = engines.run(eng, build_dir, timeout=opts.timeout)
        return run.pdf.read_bytes(), run
    finally:
        shutil.rmtree(build_dir, ignore_errors=True)


def output_files(opts: Options, tex: str, pdf: bytes) -> dict[Path, bytes]:
    """Every file a successful build writes, by path; published together."""
    return {opts.output: pdf, opts.output.with_suffix(".tex"): tex.encode("utf-8")}


def check(data: Path) -> list[str]:
    """Validate data and .bib without TeX; returns warnings, raises InputError."""
    report = Report()
    load_model(data, report)
    return [str(w) for w in report.warnings]
