"""The pipeline: load → model → bibliography → render → engine → publish.

Each stage lives in its own module; this one only passes data along, times
the stages and keeps the build in a private temporary directory.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .bib import publications, reader
from .errors import InputError, PageLimitError, Report, parse_where
from .incremental import stores
from .incremental.session import Plain, session
from .interchange import alfolio, detect, jsonresume_out
from .model import cv as model
from .model import load, variants
from .options import Options
from .paths import display_path
from .publish import files as publish
from .publish import homepage, preview, reproducible, site
from .typeset import engine as engines
from .typeset import fonts, latex, render, themes


@dataclass
class Result:
    """What a build made: the PDF, its .tex, the engine, pages, warnings, stage times."""

    pdf: Path
    tex: Path
    engine: engines.Engine
    pages: int
    warnings: list[str]
    timings: dict[str, float] = field(default_factory=dict)
    summary: str = ""  # "data/publications.bib: 212 entries, 209 listed, 3 warnings"


class _Timer:
    def __init__(self, progress):
        self.progress = progress
        self.timings: dict[str, float] = {}

    def stage(self, name: str, start: float, detail: str = "") -> float:
        now = time.perf_counter()
        self.timings[name] = now - start
        self.progress(f"{name:<12} {1000 * (now - start):7.0f} ms  {detail}".rstrip())
        return now


def load_model(
    data: Path,
    report: Report,
    variant: str | None = None,
    cache_for: Path | None = None,
    strict: bool = False,
    stats: dict | None = None,
) -> tuple[model.CV, dict[int, publications.PublicationList]]:
    """The check half of a build: everything up to (not including) LaTeX."""
    cv = load_cv(data, variant, strict)
    return cv, publication_lists(cv, data, report, cache_for, strict, stats)


def load_cv(data: Path, variant: str | None = None, strict: bool = False) -> model.CV:
    """The YAML, validated (with the .bib's problems too when the YAML has some)."""
    shown = display_path(data)
    tree = load.load_yaml(data, shown)
    foreign = detect.foreign_file(tree, shown)  # a RenderCV or JSON Resume file: say so, not 14 unknown keys
    if foreign is not None:
        raise InputError([foreign])
    try:
        cv = model.build(tree, shown)
        if variant is None:
            return cv
        return variants.apply(cv, variant)
    except InputError as exc:
        raise InputError(exc.problems + _bib_problems(tree, data, strict)) from None


def _bib_problems(tree: load.Map, data: Path, strict: bool = False) -> list:
    """The .bib's problems too, when the YAML has some: all problems of a run at once."""
    pubs = tree.items.get("publications")
    bib = pubs.items.get("bib") if isinstance(pubs, load.Map) else None
    name = bib.raw if isinstance(bib, load.Scalar) and bib.raw else "publications.bib"
    path = data.parent / name
    if not path.is_file():
        return []
    try:
        reader.load_bib(path, Report(), display_path(path), strict)
    except InputError as exc:
        return list(exc.problems)
    return []


def publication_lists(
    cv: model.CV,
    data: Path,
    report: Report,
    cache_for: Path | None = None,
    strict: bool = False,
    stats: dict | None = None,
) -> dict[int, publications.PublicationList]:
    """The publication sections the build shows, organised: those shown in the CV, and the one the
    homepage lists even if hidden in the CV (so the .bib is read once). `cache_for`: the output
    whose cache may hold the parsed .bib; `strict`: imperfect entries are errors; `stats` gets
    the summary."""
    in_cv = [i for i, s in enumerate(cv.sections) if s.kind == "publications" and not s.hidden]
    home = homepage_section(cv)
    wanted = in_cv + ([home] if home is not None and home not in in_cv else [])
    if not wanted:
        return {}
    bib_path = data.parent / cv.publications.bib
    shown = display_path(bib_path)
    before = len(report.warnings)
    if cache_for is None or strict:  # the cache holds a lenient parse's entries
        entries = reader.load_bib(bib_path, report, shown, strict)
    else:
        entries = stores.parsed_bib(
            cache_for, bib_path, shown, report, lambda sink: reader.load_bib(bib_path, sink, shown)
        )
    options = bib_options(cv.publications)
    pubs = publications.make_publications(entries, options, report)
    lists = {i: publications.organise(pubs, section_options(cv.sections[i]), options) for i in wanted}
    if stats is not None and in_cv:  # the summary is the CV's: none when only the homepage lists papers
        stats["summary"] = bib_summary(
            shown, entries, pubs, {i: lists[i] for i in in_cv}, len(report.warnings) - before
        )
    return lists


def bib_summary(shown: str, entries: list, pubs: list, lists: dict, warnings: int) -> str:
    """ "data/publications.bib: 212 entries, 209 listed, 3 warnings (2 without a title, ...)":
    what happened to every entry, so that nothing is left out silently."""
    listed = {p.key for pl in lists.values() for g in pl.groups for p in g.publications}
    untitled = sum(1 for e in entries if not e.fields.get("title", "").strip())
    containers = len(entries) - untitled - len(pubs)
    filtered = len(pubs) - len(listed)
    why = [
        f"{n} {text}"
        for n, text in (
            (untitled, "without a title"),
            (containers, "only a crossref container"),
            (filtered, "left out by the sections' filters"),
        )
        if n
    ]
    return (
        f"{shown}: {len(entries)} entr{'y' if len(entries) == 1 else 'ies'}, {len(listed)} listed, "
        f"{warnings} warning{'' if warnings == 1 else 's'}" + (f" ({', '.join(why)})" if why else "")
    )


def bib_options(p: model.Publications) -> publications.BibOptions:
    options = publications.BibOptions(
        owner=list(p.owner),
        author_format=p.author_format,
        author_order=p.author_order,
        max_authors=p.max_authors,
        venue_style=p.venue_style,
        pdf_base_url=str(p.pdf_base_url or ""),
    )
    for name, mark in p.marks.items():
        options.marks[name] = publications.MarkSpec(mark.symbol, mark.legend)
    links: dict[str, str | None] = {spec.field: spec.label for spec in options.links}
    links.update(p.links)
    order = list(p.link_order) + [f for f in links if f not in p.link_order]
    options.links = [publications.LinkSpec(f, label) for f in order if (label := links.get(f))]
    return options


def section_options(s: model.Section) -> publications.SectionOptions:
    f = s.filter
    flt = {}
    if f is not None:
        for key in ("selected", "first_author"):
            if getattr(f, key) is not None:
                flt[key] = getattr(f, key)
        for key in ("categories", "keywords", "years", "keys"):
            if getattr(f, key):
                flt[key] = list(getattr(f, key))
    return publications.SectionOptions(
        filter=flt, sort=s.sort, group=s.group, numbering=s.numbering, number_order=s.number_order, counts=s.counts
    )


def data_files(cv: model.CV, data: Path) -> list[Path]:
    """The files the CV is made from (their git or file time is the build date)."""
    files = [data]
    if any(s.kind == "publications" for s in cv.sections):
        files.append(data.parent / cv.publications.bib)
    return files


def source_date(cv: model.CV, data: Path) -> reproducible.SourceDate:
    """SOURCE_DATE_EPOCH if set, else the data's last git commit time, else its mtime."""
    return reproducible.source_date(data_files(cv, data))


def run_build(opts: Options) -> Result:
    early, failed = opts.early, True
    try:
        result = _run_build(opts)
        failed = False
        return result
    finally:
        if early is not None:  # unused, or the build failed: stop it (and remove what it made)
            early.close(failed=failed)
        opts.early = None


def _run_build(opts: Options) -> Result:
    report = Report()
    timer = _Timer(opts.progress)
    t = time.perf_counter()
    sess = session(opts)
    done = None if opts.checked else unchanged(opts, sess)
    if done:
        timer.stage("unchanged", t, f"{display_path(opts.output)} is up to date")
        return done
    sess.begin()
    cv = load_cv(opts.data, opts.variant, opts.strict)
    t = timer.stage("load+model", t, f"{len(cv.sections)} sections")
    got: dict = {}
    stats: dict = {}

    def lists_now() -> dict[int, publications.PublicationList]:
        # The .bib is read when render() reaches the first publications section: by then
        # the engine started ahead has the preamble and is loading the packages.
        if "lists" not in got:
            got["lists"] = publication_lists(cv, opts.data, report, sess.cache_for, opts.strict, stats)
            if got["lists"]:
                sess.saw(opts.data.parent / cv.publications.bib)
        return got["lists"]

    if opts.site:
        site.check(opts.site, display_path(opts.site))  # a page we could not update fails before TeX
    site_plan = None
    if opts.al_folio:  # the same: every file of the site is checked before TeX runs
        site_plan = alfolio.plan(opts.al_folio, opts.al_folio_pdf, opts.data.parent / cv.publications.bib, report)
    theme = opts.theme or cv.design.theme
    early = opts.early
    when = early.when if early is not None and early.deps == data_files(cv, opts.data) else source_date(cv, opts.data)
    updated = when.date

    fallbacks: list[str] | None = None  # LuaLaTeX fallbacks: all installed, until the text is known
    jinja = sess.jinja_dir()  # only now: a build that fails on its input leaves output/ as it was
    render.BYTECODE_CACHE = render.template_bytecode(jinja) if jinja else None

    def draw(target: latex.Target, name: str, sink: Report, on_head=None) -> render.Rendered:
        chosen = (fonts.fallback_fonts() if fallbacks is None else fallbacks) if name == "lualatex" else None
        return render.render(
            cv,
            lists_now,
            target,
            sink,
            name,
            opts.theme,
            opts.template_dir,
            updated,
            fallback_fonts=chosen,
            data_dir=opts.data.parent,
            on_head=on_head,
        )

    needs_unicode = False
    if opts.engine == "auto":
        # Render for a Unicode engine first: if the result holds characters pdflatex
        # cannot set, `auto` prefers a Unicode engine where one is installed.
        probe = draw(latex.Target.for_engine("lualatex"), "lualatex", Report())
        needs_unicode = bool(latex.unsupported_chars(probe.tex))
        fallbacks = fonts.fallback_fonts(probe.tex)
    eng = engines.find_engine(opts.engine, needs_unicode)
    if needs_unicode:
        for hint in _unicode_hints(eng, latex.unsupported_chars(probe.tex)):
            report.warn(hint)
    font_files: dict[str, Path] = {}
    scratch = None
    if eng.name == "lualatex":
        # Each fallback font costs LuaLaTeX load time in every pass: keep those the text
        # needs, cut down to the characters it uses (fonts.py).
        if fallbacks is None:
            probe = draw(latex.Target.for_engine("lualatex"), "lualatex", Report())
            fallbacks = fonts.fallback_fonts(probe.tex)
        if fallbacks:
            where = sess.fonts_dir()
            if where is None:
                where = scratch = Path(tempfile.mkdtemp(prefix="cv_builder-fonts-"))
            fallbacks, font_files = fonts.fallbacks(fallbacks, probe.tex, where)

    def tell_head(head: str) -> None:  # the engine started ahead loads the packages while the rest renders
        sess.tell_head(early, eng, head)

    on_head = tell_head if early is not None and when is early.when else None  # else its dates differ
    rendered = draw(latex.Target.for_engine(eng.name), eng.name, report, on_head)
    lists = lists_now()
    n_pubs = sum(len(g.publications) for i, pl in lists.items() if not cv.sections[i].hidden for g in pl.groups)
    t = timer.stage(
        "render", t, f"theme {theme}, {len(rendered.tex.splitlines())} lines of LaTeX, {n_pubs} publications listed"
    )

    later: dict = {}

    def meanwhile() -> None:  # while the engine runs: what remember() and the homepage need
        sess.read_state(_deps(opts, cv, lists), eng)
        page = _homepage()
        page.prepare()
        later["lists"] = page.publication_lists(homepage_list(cv, lists))
        later["resume"] = resume_json(cv, lists, when)

    try:
        pdf, run = sess.compile_tex(eng, rendered.tex, when, font_files, early, meanwhile)
    except engines.EngineError as exc:
        origin = parse_where(render.template_line(rendered, exc.tex_line)) if exc.tex_line else None
        if origin is None:
            raise
        template, line = origin[0], origin[1]
        raise engines.EngineError(
            f"{exc}\n  written by the template at {display_path(Path(template))}:{line}"
        ) from None
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    t = timer.stage(
        "engine",
        t,
        f"{eng.label}, {run.passes} pass{'es' if run.passes != 1 else ''}, {run.pages} pages"
        + (", started ahead" if run.ahead else ""),
    )
    if font_files and run.log:  # the engine ran: luaotfload may have cached new subsets in LuaTeX's font cache
        fonts.tidy_luatex_cache(run.log, list(font_files))
    check_pages(run.pages, opts.max_pages)

    outputs = output_files(opts, rendered.tex, pdf)
    outputs.update(homepage_files(opts, cv, lists, pdf, run.pages, when, report, later.get("lists")))
    resume = later.get("resume") or resume_json(cv, lists, when)
    outputs[resume_path(opts.output)] = resume
    if site_plan is not None:
        outputs.update(alfolio.files(site_plan, pdf, resume))
    t = timer.stage("homepage", t, f"{len(outputs) - 2} files" + (f", {display_path(opts.site)}" if opts.site else ""))
    stale: list[Path] = []
    if opts.png:
        pngs = preview.pages(pdf, opts.output, opts.png_dpi)
        outputs.update(pngs)
        stale = preview.stale(opts.output, len(pngs))
    publish.publish(outputs, remove=stale)
    timer.stage("publish", t, display_path(opts.output))
    warnings = [str(w) for w in report.warnings] + [
        w for w in run.warnings if w.startswith(("Overfull", "cv_builder:"))
    ]
    sess.remember(_deps(opts, cv, lists), eng, outputs, run.pages, warnings)
    return Result(
        opts.output, opts.output.with_suffix(".tex"), eng, run.pages, warnings, timer.timings, stats.get("summary", "")
    )


def _unicode_hints(eng: engines.Engine, chars: set[str]) -> list[str]:
    """What to install when the text needs more than this machine has."""
    if eng.name == "pdflatex":
        sample = " ".join(sorted(chars)[:6])
        return [
            f"pdflatex cannot set {len(chars)} distinct characters of this CV ({sample}); they are replaced. "
            "Install LuaLaTeX to set them: apt install texlive-luatex fonts-noto-core fonts-noto-cjk "
            "fonts-noto-color-emoji"
        ]
    if eng.name == "lualatex":
        return fonts.missing_fonts(chars, fonts.fallback_fonts())
    return []


def unchanged(opts: Options, sess: Plain) -> Result | None:
    """The last build's result when no input changed and output/ is intact (incremental/noop.py)."""
    # --site/--al-folio: the pages may have changed outside what we write;
    # --strict: the last build's warnings may be errors now
    if opts.site or opts.al_folio or opts.strict:
        return None
    hit = sess.unchanged()
    if not hit:
        return None
    eng = engines.Engine(hit["engine_name"], hit["engine_path"], hit.get("embedded", False))
    return Result(opts.output, opts.output.with_suffix(".tex"), eng, hit["pages"], hit["warnings"], {"unchanged": 0.0})


def _deps(opts: Options, cv: model.CV, lists: dict) -> list[Path]:
    """The data files whose change makes the next build run."""
    return [opts.data] + ([opts.data.parent / cv.publications.bib] if lists else [])


def resume_json(cv: model.CV, lists: dict, when: reproducible.SourceDate) -> bytes:
    """output/resume.json: the CV as JSON Resume (interchange/jsonresume_out.py)."""
    return jsonresume_out.dumps(jsonresume_out.resume(cv, lists, when))


def resume_path(output: Path) -> Path:
    """output/resume.json beside output/cv.pdf; cv-short-resume.json beside cv-short.pdf."""
    return output.with_name("resume.json" if output.stem == "cv" else f"{output.stem}-resume.json")


def output_files(opts: Options, tex: str, pdf: bytes) -> dict[Path, bytes]:
    """Every file a successful build writes, by path; published together."""
    return {opts.output: pdf, opts.output.with_suffix(".tex"): tex.encode("utf-8")}


def check_pages(pages: int, limit: int | None) -> None:
    if limit is not None and pages > limit:
        raise PageLimitError(
            f"the CV has {pages} pages, more than --max-pages {limit}; "
            "nothing was written (shorten it, or raise the limit)"
        )


def homepage_section(cv: model.CV) -> int | None:
    """The index of the publications section the homepage lists: homepage.section (hidden in
    the CV or not), else the first shown."""
    wanted = cv.homepage.section
    for i, s in enumerate(cv.sections):
        if s.kind == "publications" and (s.title == wanted if wanted else not s.hidden):
            return i
    return None


def homepage_list(cv: model.CV, lists: dict[int, publications.PublicationList]) -> publications.PublicationList | None:
    """The publications section the homepage lists, from the build's publication_lists."""
    home = homepage_section(cv)
    return None if home is None else lists.get(home)


def _homepage():
    """The homepage module, set to share the build's compiled-template cache."""
    homepage.use_bytecode_cache(render.BYTECODE_CACHE)
    return homepage


def homepage_files(
    opts: Options,
    cv: model.CV,
    lists: dict[int, publications.PublicationList],
    pdf: bytes,
    pages: int,
    when: reproducible.SourceDate,
    report: Report,
    made: tuple[str, str] | None = None,
) -> dict[Path, bytes]:
    """cv.json, the link and publication snippets, and the --site page, published with the PDF.
    `made`: the publications snippets, if made while the engine ran."""
    homepage = _homepage()
    updated = cv.homepage.date_format.render(when.date)
    text = homepage.link_text(cv.homepage.label, pages, updated)
    title = str(cv.design.pdf_title or f"{cv.person.name} – Curriculum Vitae")
    info = homepage.PdfInfo(opts.output.name, pdf, pages, when.date, when.commit, title)
    snippets = homepage.snippets(text, None if made else homepage_list(cv, lists), made)
    files = homepage.output_files(opts.output, info, updated, snippets)
    if opts.site:
        href = opts.pdf_url or homepage.relative_url(opts.output, opts.site)
        files[opts.site] = site.update(opts.site, display_path(opts.site), snippets, href)
    return files


def check(data: Path, strict: bool = False, stats: dict | None = None) -> list[str]:
    """Validate data and .bib without TeX; returns warnings, raises InputError.
    strict: imperfect .bib entries are errors; `stats` gets the .bib's summary line."""
    report = Report()
    cv, _ = load_model(data, report, strict=strict, stats=stats)
    for design in [cv.design] + [v.design for v in cv.variants.values() if v.design and "theme" in v.design.given]:
        themes.get(design.theme, data.parent, getattr(design.theme, "where", ""))  # as the build would
    return [str(w) for w in report.warnings]
