"""Render stage: the Jinja2 environment that turns the model into LaTeX source.

Escaping happens here, once, for every value a template prints: the
`finalize` hook sends each `\\VAR{...}` through the latex stage unless the
value is already trusted LaTeX (`Latex`, or the output of a template's own
macro/include). A template author cannot forget to escape.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import jinja2.compiler
import jinja2.nodes
from markupsafe import Markup

from ..errors import CVError, Report
from ..model.cv import CV, Date, DatedEntry, Section, Str, Text, find_section, located
from . import latex
from . import themes as _themes


class TemplateError(CVError):
    exit_code = 3


@dataclass
class Contact:
    """One contact line of the header: text, link and kind (email, homepage, ...)."""

    text: str
    url: str
    kind: str


def contacts(person) -> list[Contact]:
    """The header's contact line, derived from the person block."""
    out = []
    if person.email:
        out.append(Contact(person.email, f"mailto:{person.email}", "email"))
    if person.homepage:
        shown = person.homepage.split("://", 1)[-1].rstrip("/")
        out.append(Contact(_same_where(shown, person.homepage), person.homepage, "homepage"))
    profiles = [
        ("github", "https://github.com/{}", "github.com/{}"),
        ("scholar", "https://scholar.google.com/citations?user={}", "Google Scholar"),
        ("orcid", "https://orcid.org/{}", "orcid.org/{}"),
        ("linkedin", "https://www.linkedin.com/in/{}", "linkedin.com/in/{}"),
        ("x", "https://x.com/{}", "x.com/{}"),
    ]
    for kind, url, text in profiles:
        value = getattr(person, kind)
        if value:
            handle = value.lstrip("@")
            out.append(Contact(_same_where(text.format(handle), value), url.format(handle), kind))
    for link in person.links:
        out.append(Contact(link.label, link.url, "link"))
    return out


def _same_where(text: str, origin) -> Str:
    """Derived text that keeps the source location of the value it came from."""
    return located(Str, text, getattr(origin, "where", ""))


def date_range(entry: DatedEntry, fmt: str) -> str:
    if entry.date:
        return entry.date.format(fmt)
    if entry.start and entry.end:
        return f"{entry.start.format(fmt)} – {entry.end.format(fmt)}"
    if entry.start:
        return f"from {entry.start.format(fmt)}"  # no end date is known: say so, invent nothing
    if entry.end:
        return entry.end.format(fmt)
    return ""


@dataclass
class Block:
    """Entries under one optional subheading, as templates see them."""

    title: str
    entries: list


@dataclass
class SectionView:
    """A section as templates see it: its entries in blocks (one per group)."""

    section: Section
    blocks: list[Block] = field(default_factory=list)
    publications: Any = None
    title: str = ""  # the heading: design.section_titles, else the section's title

    def __getattr__(self, name: str):
        return getattr(self.section, name)


def section_order(sections: list[Section], design=None) -> list[int]:
    """Indexes in print order: design.section_order first, then the rest in file order."""
    found = [find_section(sections, ref) for ref in (design.section_order if design else [])]
    first = list(dict.fromkeys(i for i in found if i is not None))
    return first + [i for i in range(len(sections)) if i not in first]


def section_views(sections: list[Section], publication_lists: dict[int, Any], design=None) -> list[SectionView]:
    titles = {find_section(sections, ref): title for ref, title in (design.section_titles if design else {}).items()}
    views = []
    for index in section_order(sections, design):
        section = sections[index]
        if section.hidden:
            continue
        view = SectionView(section, title=titles.get(index, section.title))
        if section.kind == "publications":
            view.publications = publication_lists.get(index)
            if view.publications is None or not any(g.publications for g in view.publications.groups):
                continue  # a filter that matched nothing: no empty heading
        elif section.kind != "text":
            if section.entries:
                view.blocks.append(Block("", section.entries))
            view.blocks += [Block(g.title, g.entries) for g in section.groups]
        views.append(view)
    return views


# Set by a cached build (incremental/): compiled templates are reused across builds; Jinja
# checks each template's source checksum, so an edited template is recompiled.
BYTECODE_CACHE: jinja2.BytecodeCache | None = None


def template_bytecode(directory: Path) -> jinja2.BytecodeCache | None:
    """Jinja's compiled templates in `directory` (it verifies each by source checksum;
    the file names carry this module's digest, whose code generator made them)."""
    try:
        prefix = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12] + "-"
        directory.mkdir(parents=True, exist_ok=True)
        for name in os.listdir(directory):
            if not name.startswith(prefix):  # made by another version of cv_builder
                with contextlib.suppress(OSError):
                    os.unlink(directory / name)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(directory), prefix + "%s.cache")


# Overrides private CodeGenerator methods (jinja2 pinned <3.2 in pyproject.toml): kept for the escaping rule.
class _CodeGenerator(jinja2.compiler.CodeGenerator):
    """Template code that prints every value through `finalize` (the LaTeX escaping), and
    nothing else. Jinja's autoescape, which we use only so that include and macro output
    counts as trusted, is for HTML: it would HTML-escape string constants when compiling
    (`\\VAR{"R&D"}` gave `R&amp;D`, `\\VAR{"50%"|upper}` a bare `%`) and wrap each value in
    markupsafe's escape, a no-op on finalize's Markup that cost ~5% of rendering."""

    def _output_child_to_const(self, node, frame, finalize):
        if not isinstance(node, jinja2.nodes.TemplateData):
            raise jinja2.nodes.Impossible()  # printed when rendering, through finalize
        return super()._output_child_to_const(node, frame, finalize)

    def _output_child_pre(self, node, frame, finalize) -> None:
        self.write(finalize.src)  # "environment.finalize(": it returns Markup

    def _output_child_post(self, node, frame, finalize) -> None:
        self.write(")")

    def visit_Concat(self, node, frame) -> None:
        # `a ~ b`: beside a Markup part (a macro's output) Jinja HTML-escapes the data.
        self.write("environment.latex_join((")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write("))")

    def visit_Filter(self, node, frame) -> None:
        # Trusted LaTeX is what the template itself says: a value (even one made from data
        # by another filter, `p.name|lower`) is never code.
        if node.name in ("latex", "safe") and not isinstance(node.node, jinja2.nodes.Const):
            self.fail(
                f"|{node.name} takes LaTeX written in the template ('\\\\hfill'|{node.name}), "
                "not a value: values are always escaped",
                node.lineno,
            )
        super().visit_Filter(node, frame)


class _Environment(jinja2.Environment):
    code_generator_class = _CodeGenerator

    def latex_join(self, parts: tuple) -> str:
        """`~`: plain parts give a plain string, as in Jinja (`"section_" ~ kind ~ ".tex"` names
        a template); beside trusted LaTeX (Markup, Latex) the others are escaped for LaTeX."""
        if not any(hasattr(part, "__html__") for part in parts):
            return "".join([str(part) for part in parts])
        finalize = self.finalize
        assert finalize is not None  # this environment is always made with the escaping finalize
        return Markup("".join([str(finalize(part)) for part in parts]))


def make_environment(
    target: latex.Target, report: Report, template_dirs: list[Path], printed: list[tuple[str, str]] | None = None
) -> jinja2.Environment:
    """`printed`, if given, collects (LaTeX, source location) of every located value, in output order."""

    def finalize(value: Any) -> Markup:
        if isinstance(value, Markup):
            return value  # output of the template's own macros and includes
        if isinstance(value, latex.Latex):
            return Markup(value)
        if value is None:
            return Markup("")
        where = getattr(value, "where", "")
        if isinstance(value, Text):
            out = latex.markup(value, target, report, where)
        else:
            out = latex.escape(value.format() if isinstance(value, Date) else value, target, report, where)
        if printed is not None and where and out:
            printed.append((str(out), where))
        return Markup(out)

    env = _Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs]),
        block_start_string=r"\BLOCK{",
        block_end_string="}",
        variable_start_string=r"\VAR{",
        variable_end_string="}",
        comment_start_string=r"\#{",
        comment_end_string="}",
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=True,  # macro/include output is Markup; finalize does the LaTeX escaping
        finalize=finalize,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        bytecode_cache=BYTECODE_CACHE,
        auto_reload=False,  # one environment per render: no stat of every partial at every include
        cache_size=-1,  # a dict, not an LRU cache with a lock: a render loads a few dozen templates
    )

    def href(url: str, label: Any = None) -> latex.Latex:
        if isinstance(label, Markup):
            label = latex.Latex(str(label))
        where = getattr(url, "where", "") or getattr(label, "where", "")
        return latex.href(str(url), label, target, report, where)

    def trusted(value: Any) -> latex.Latex:
        # Only for LaTeX written in the template itself: data is never code.
        if isinstance(value, Str):
            raise TemplateError(f"|latex was applied to data from {value.where or 'the input'}; data is always escaped")
        return latex.Latex(str(value))

    def lua_strings(values: list[str]) -> latex.Latex:
        quoted = ", ".join('"' + v.replace("\\", "").replace('"', "") + '"' for v in values)
        return latex.Latex(quoted)

    def pdf_string(value: Any) -> latex.Latex:
        # Hex digits only, whatever the value holds: safe for data too.
        return latex.pdf_string("" if value is None else str(value))

    # pass_context: Jinja would run these on a constant when compiling, and the compiled
    # template (cached, shared by the renders of a build) would keep one engine's escaping.
    @jinja2.pass_context
    def as_text(_context: Any, value: Any) -> Markup:  # |e and |escape mean LaTeX here, as every printed value
        return finalize(value)

    @jinja2.pass_context
    def join(_context: Any, values: Any, separator: Any = "", attribute: Any = None) -> Markup:
        # Each part escaped on its own (a Markup part, e.g. a macro's output, is kept), never
        # HTML-escaped as Jinja's join does when a Markup part is among the data.
        if attribute is not None:
            values = map(jinja2.filters.make_attrgetter(env, attribute), values)
        return Markup(str(finalize(separator)).join(str(finalize(v)) for v in values))

    def pdf_text(value: Any) -> latex.Latex:
        # Readable, and read by TeX only as a string (a \cvpdfmeta value): safe for data too.
        out = latex.tex_string("" if value is None else str(value))
        if printed is not None:  # in order, so the source map does not take it for later text
            printed.append((str(out), getattr(value, "where", "")))
        return out

    env.filters.update(
        href=href,
        latex=trusted,
        safe=trusted,
        lua_strings=lua_strings,
        url_text=latex.url_text,
        pdfstring=pdf_string,
        pdftext=pdf_text,
        e=as_text,
        escape=as_text,
        forceescape=as_text,
        join=join,
    )
    for html_only in ("urlize", "xmlattr", "tojson"):  # they make HTML from data, unescaped for LaTeX
        del env.filters[html_only]
    return env


def margins(design) -> dict[str, str]:
    """Each side's margin: design.margins where set, else design.margin."""
    sides = design.margins
    return {
        side: (getattr(sides, side) if sides and getattr(sides, side) else design.margin)
        for side in ("top", "bottom", "left", "right")
    }


@dataclass
class Rendered:
    """The generated LaTeX and the template files that made it."""

    tex: str
    target: Any
    template_files: list[Path]


def render(
    cv: CV,
    publication_lists: dict[int, Any] | Callable[[], dict[int, Any]],
    target: latex.Target,
    report: Report,
    engine_name: str,
    theme: str | None = None,
    template_dir: Path | None = None,
    updated: _dt.date | None = None,
    fallback_fonts: list[str] | None = None,
    data_dir: Path | None = None,
    on_head: Callable[[str], None] | None = None,
) -> Rendered:
    """The CV as LaTeX. `on_head(text)`: called once, while the rest is still being
    rendered, with the text up to the end of the line holding \\begin{document}."""
    chosen = _themes.get(theme or cv.design.theme, data_dir, "" if theme else getattr(cv.design.theme, "where", ""))
    design = _themes.with_defaults(cv.design, chosen)
    dirs = _themes.search_path(chosen, template_dir, data_dir)
    printed: list[tuple[str, str]] = []
    env = make_environment(target, report, dirs, printed)
    fmt = design.date_format
    env.filters["dates"] = lambda entry: date_range(entry, fmt)
    env.filters["date"] = lambda d: d.format(fmt) if isinstance(d, Date) else d
    updated = updated or _dt.date.today()
    name = cv.person.name
    context = {
        "cv": cv,
        "person": cv.person,
        "design": design,
        "theme": chosen,
        "margins": margins(design),
        "footer": design.parts,
        "contacts": contacts(cv.person),
        # Only when the template reaches them: the preamble goes out (on_head) before
        # the .bib is read (publication_lists may be a function that reads it).
        "sections": _Later(
            lambda: section_views(
                cv.sections, publication_lists() if callable(publication_lists) else publication_lists, design
            )
        ),
        "engine": engine_name,
        "unicode": target.unicode,
        **font_context(fallback_fonts or []),
        "updated": f"{updated.day} {updated.strftime('%B')} {updated.year}",
        "pdf": {
            "title": design.pdf_title or _same_where(f"{name} – Curriculum Vitae", name),
            "author": design.pdf_author or name,
            "subject": design.pdf_subject or "",
            "keywords": ", ".join(design.pdf_keywords),
        },
    }
    try:
        template = env.get_template("cv.tex")
        tex = template.render(context) if on_head is None else _render_telling_head(template, context, on_head)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template error in {exc.filename or exc.name}:{exc.lineno}: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"template error: {exc.message}") from None
    files = [p for d in dirs for p in sorted(d.glob("*")) if p.is_file()]
    tex = tex if tex.endswith("\n") else tex + "\n"
    return Rendered(tex + source_map(tex, printed), target, files)


class _Later:
    """A list made on first use."""

    def __init__(self, make: Callable[[], list]):
        self._make = make
        self._items: list | None = None

    def _get(self) -> list:
        if self._items is None:
            self._items = self._make()
        return self._items

    def __iter__(self):
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __getitem__(self, i):
        return self._get()[i]


def _render_telling_head(template: jinja2.Template, context: dict, on_head: Callable[[str], None]) -> str:
    parts: list[str] = []
    head: str | None = ""  # head: the text so far, until told (a preamble is a few kB)
    at = -1
    for chunk in template.generate(context):
        parts.append(chunk)
        if head is None:
            continue
        start = max(len(head) - 20, 0)
        head += str(chunk)  # not head + Markup: Markup.__radd__ would escape head
        if at < 0:
            at = head.find("\\begin{document}", start)
        end = head.find("\n", at) if at >= 0 else -1
        if end >= 0:
            on_head(head[: end + 1])
            head = None
        elif len(head) > 1 << 16:
            head = None  # no \begin{document} near the top: nothing to tell
    return "".join(parts)


SOURCE_MAP_HEADER = "%% cv_builder source map: .tex line <- data"


def source_map(tex: str, printed: list[tuple[str, str]]) -> str:
    """Comment lines (after \\end{document}, so TeX never reads them) naming the data behind each line."""
    lines = tex.splitlines()
    found: dict[int, list[str]] = {}
    row, col = 0, 0
    for out, where in printed:
        for start in ((row, col), (0, 0)):  # values come in output order; else search from the top
            r, c = start
            hit = None
            while r < len(lines):
                i = lines[r].find(out.splitlines()[0] if out else out, c)
                if i >= 0:
                    hit = (r, i)
                    break
                r, c = r + 1, 0
            if hit:
                row, col = hit[0], hit[1] + 1
                here = found.setdefault(hit[0] + 1, []) if where else []  # unlocated: only passed over
                if where and where not in here:
                    here.append(where)
                break
    if not found:
        return ""
    body = "".join(f"%% {n}: {' | '.join(ws)}\n" for n, ws in sorted(found.items()))
    return SOURCE_MAP_HEADER + "\n" + body


_TAG_RE = re.compile(r"\\VAR\{.*?\}|\\BLOCK\{.*?\}|\\#\{.*?\}")


def font_context(fonts: list[str]) -> dict:
    """LuaLaTeX's fonts as templates see them: the CJK and colour emoji fonts by name (the escaper
    marks those runs, \\cvcjk and \\cvemoji), and the fallback chain for the rest."""

    def pick(word: str) -> str:
        return next((f.split(":")[0] for f in fonts if word in f), "")

    return {
        "cjk_font": _font_file(pick("CJK")),
        "emoji_font": _font_file(pick("Emoji")),
        "fallback_fonts": [f for f in fonts if "CJK" not in f and "Emoji" not in f],
    }


def _font_file(name: str) -> latex.Latex:
    """A font file name as TeX code: ours (a Noto file or its subset), checked to be a plain name."""
    return latex.Latex(name if re.fullmatch(r"[A-Za-z0-9._-]+", name) else "")


def template_line(rendered: Rendered, line: int) -> str:
    """The template file:line that most likely wrote .tex line `line` (its literal text matches best)."""
    lines = rendered.tex.splitlines()
    if not 0 < line <= len(lines):
        return ""
    target = lines[line - 1]
    best, best_score = "", 2
    seen: set[str] = set()
    for path in rendered.template_files:  # --template-dir first: it shadows the theme
        if path.name in seen or path.suffix != ".tex":
            continue
        seen.add(path.name)
        for n, text in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            chunks = [c.strip() for c in _TAG_RE.split(text) if c.strip()]
            pos, score = 0, 0
            for chunk in chunks:
                i = target.find(chunk, pos)
                if i < 0:
                    score = 0
                    break
                pos, score = i + len(chunk), score + len(chunk)
            if score > best_score:
                best, best_score = f"{path}:{n}", score
    return best
