"""Render stage: the Jinja2 environment that turns the model into LaTeX source.

Escaping happens here, once, for every value a template prints: the
`finalize` hook sends each `\\VAR{...}` through the latex stage unless the
value is already trusted LaTeX (`Latex`, or the output of a template's own
macro/include). A template author cannot forget to escape.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from . import latex
from .errors import CVError, Report
from .model import CV, Date, DatedEntry, Section, Str, Text, located

PACKAGE_DIR = Path(__file__).resolve().parent


def templates_root() -> Path:
    """latex_templates/ inside the installed package, else beside it in a checkout."""
    for candidate in (PACKAGE_DIR / "latex_templates", PACKAGE_DIR.parent / "latex_templates"):
        if candidate.is_dir():
            return candidate
    raise CVError("the built-in templates are missing (latex_templates/); reinstall cv_builder")


def themes() -> dict[str, str]:
    """Built-in theme names with their one-line descriptions."""
    import yaml

    found = {}
    for theme_file in sorted(templates_root().glob("*/theme.yaml")):
        meta = yaml.safe_load(theme_file.read_text(encoding="utf-8")) or {}
        found[theme_file.parent.name] = str(meta.get("description", ""))
    return found


class TemplateError(CVError):
    exit_code = 3


@dataclass
class Contact:
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
    title: str
    entries: list


@dataclass
class SectionView:
    """A section as templates see it: its entries in blocks (one per group)."""

    section: Section
    blocks: list[Block] = field(default_factory=list)
    publications: Any = None

    def __getattr__(self, name: str):
        return getattr(self.section, name)


def section_views(sections: list[Section], publication_lists: dict[int, Any]) -> list[SectionView]:
    views = []
    for index, section in enumerate(sections):
        if section.hidden:
            continue
        view = SectionView(section)
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


# Set by a cached build (cache.py): compiled templates are reused across builds; Jinja
# checks each template's source checksum, so an edited template is recompiled.
BYTECODE_CACHE: "jinja2.BytecodeCache | None" = None


def make_environment(target: "latex.Target", report: Report, template_dirs: list[Path]) -> jinja2.Environment:
    def finalize(value: Any) -> Markup:
        if isinstance(value, Markup):
            return value  # output of the template's own macros and includes
        if isinstance(value, latex.Latex):
            return Markup(value)
        if value is None:
            return Markup("")
        where = getattr(value, "where", "")
        if isinstance(value, Text):
            return Markup(latex.markup(value, target, report, where))
        if isinstance(value, Date):
            value = value.format()
        return Markup(latex.escape(str(value), target, report, where))

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs]),
        block_start_string=r"\BLOCK{", block_end_string="}",
        variable_start_string=r"\VAR{", variable_end_string="}",
        comment_start_string=r"\#{", comment_end_string="}",
        trim_blocks=True, lstrip_blocks=True,
        autoescape=True,  # macro/include output is Markup; finalize does the LaTeX escaping
        finalize=finalize,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        bytecode_cache=BYTECODE_CACHE,
    )

    def href(url: str, label: Any = None) -> latex.Latex:
        if isinstance(label, Markup):
            label = latex.Latex(str(label))
        where = getattr(url, "where", "") or getattr(label, "where", "")
        return latex.href(str(url), label, target, report, where)

    def trusted(value: Any) -> latex.Latex:
        # Only for LaTeX written in the template itself: data is never code.
        if isinstance(value, Str):
            raise TemplateError(f"|latex was applied to data from {value.where or 'the input'}; "
                                "data is always escaped")
        return latex.Latex(str(value))

    def lua_strings(values: list[str]) -> latex.Latex:
        quoted = ", ".join('"' + v.replace("\\", "").replace('"', "") + '"' for v in values)
        return latex.Latex(quoted)

    env.filters.update(href=href, latex=trusted, lua_strings=lua_strings, url_text=latex.url_text)
    return env


@dataclass
class Rendered:
    tex: str
    target: Any
    template_files: list[Path]


def render(cv: CV, publication_lists: dict[int, Any], target: "latex.Target", report: Report,
           engine_name: str, theme: str | None = None, template_dir: Path | None = None,
           updated: _dt.date | None = None, fallback_fonts: list[str] | None = None) -> Rendered:
    theme = theme or cv.design.theme
    root = templates_root()
    theme_dir = root / theme
    if not (theme_dir / "cv.tex").is_file():
        raise CVError(f"unknown theme {theme!r}; built-in themes: {', '.join(themes())}")
    dirs = ([template_dir] if template_dir else []) + [theme_dir]
    env = make_environment(target, report, dirs)
    fmt = cv.design.date_format
    env.filters["dates"] = lambda entry: date_range(entry, fmt)
    env.filters["date"] = lambda d: d.format(fmt) if isinstance(d, Date) else d
    updated = updated or _dt.date.today()
    name = cv.person.name
    context = {
        "cv": cv,
        "person": cv.person,
        "design": cv.design,
        "contacts": contacts(cv.person),
        "sections": section_views(cv.sections, publication_lists),
        "engine": engine_name,
        "unicode": target.unicode,
        "fallback_fonts": fallback_fonts or [],
        "updated": f"{updated.day} {updated.strftime('%B')} {updated.year}",
        "pdf": {
            "title": cv.design.pdf_title or _same_where(f"{name} – Curriculum Vitae", name),
            "author": name,
            "subject": cv.design.pdf_subject or "",
            "keywords": ", ".join(cv.design.pdf_keywords),
        },
    }
    try:
        template = env.get_template("cv.tex")
        tex = template.render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template error in {exc.filename or exc.name}:{exc.lineno}: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"template error: {exc.message}") from None
    files = sorted({Path(p) for d in dirs for p in d.glob("*") if p.is_file()})
    return Rendered(tex if tex.endswith("\n") else tex + "\n", target, files)
