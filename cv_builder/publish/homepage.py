"""Homepage outputs: the manifest, the CV link and the publication list, for HTML and Markdown.

The publication list is rendered from the same `PublicationList` objects the
PDF is typeset from, so the homepage and the CV cannot disagree. HTML is
escaped by jinja2's autoescape; Markdown by `md_escape`, the one place that
knows Markdown's specials, run on every `{{ }}` value by `finalize`.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import jinja2
from markupsafe import Markup, escape

from ..bib.publications import Link, PublicationList
from ..bib.richtext import Func, Group, Math, MText, RichText, Script, Span, Sym, math_plain
from ..bib.richtext import Link as RichLink
from ..bib.richtext.mathtable import FUNCTIONS, SYMBOLS
from ..paths import HOMEPAGE_TEMPLATES_DIR

TEMPLATES = HOMEPAGE_TEMPLATES_DIR
SAFE_SCHEMES = ("http", "https", "mailto")


@dataclass
class PdfInfo:
    """What the homepage files say about the built PDF."""

    name: str  # file name, e.g. cv.pdf (the manifest's relative URL)
    data: bytes
    pages: int
    date: _dt.date
    commit: str | None
    title: str


def manifest(info: PdfInfo, updated: str, link_text: str) -> bytes:
    """cv.json for site generators (Jekyll _data, Hugo data): stable keys, no build-time clock."""
    doc = {
        "title": info.title,
        "pdf": info.name,
        "tex": str(PurePosixPath(info.name).with_suffix(".tex")),
        "size": len(info.data),
        "pages": info.pages,
        "sha256": hashlib.sha256(info.data).hexdigest(),
        "date": info.date.isoformat(),
        "updated": updated,
        "commit": info.commit,
        "link_text": link_text,
    }
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def link_text(label: str, pages: int, updated: str) -> str:
    return f"{label} (PDF, {pages} page{'' if pages == 1 else 's'}, updated {updated})"


# --- escaping ----------------------------------------------------------------

# Characters that start Markdown markup inline in CommonMark (Hugo, GitHub) or
# kramdown (Jekyll, al-folio); both accept a backslash before each of these.
# Parentheses need none: with [ and ] escaped, "](" can never form a link.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#+!|<>$])")


def md_escape(value: object) -> str:
    """Plain text for Markdown: specials backslash-escaped, & and ~ as entities, one line."""
    if value is None:
        return ""
    text = re.sub(r"\s+", " ", str(value))
    text = text.replace("&", "&amp;").replace("~", "&#126;")
    return _MD_SPECIAL.sub(r"\\\1", text)


# --- rich text (decoded .bib fields) -----------------------------------------

_TAGS = {"i": "em", "b": "strong", "sc": "span", "tt": "code", "sup": "sup", "sub": "sub"}


def rich_html(value: RichText, text: Callable[[str], str] = lambda t: str(escape(t))) -> str:
    """A decoded field as inline HTML: <em>, <sup>, links, formulas as Unicode with
    <sup>/<sub>. `text` escapes each text run (HTML by default; Markdown passes md_escape)."""
    return _html(value.nodes, text)


def _html(nodes: tuple, text: Callable[[str], str]) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(text(node))
        elif isinstance(node, Span):
            tag = _TAGS.get(node.style, "span")
            style = ' style="font-variant:small-caps"' if node.style == "sc" else ""
            out.append(f"<{tag}{style}>{_html(node.children, text)}</{tag}>")
        elif isinstance(node, RichLink):
            inner = _html(node.children, text)
            safe = urllib.parse.urlsplit(node.url).scheme.lower() in SAFE_SCHEMES
            out.append(f'<a href="{escape(node.url)}">{inner}</a>' if safe else inner)
        elif isinstance(node, Math):
            out.append(_math_html(node.nodes, text))
    return "".join(out)


def _math_html(nodes: tuple, text: Callable[[str], str]) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Sym):
            out.append(text(SYMBOLS[node.name][1] if node.name in SYMBOLS else node.name))
        elif isinstance(node, MText):
            out.append(text(node.text))
        elif isinstance(node, Group):
            out.append(_math_html(node.body, text))
        elif isinstance(node, Script):
            tag = "sup" if node.kind == "^" else "sub"
            out.append(f"<{tag}>{_math_html(node.body, text)}</{tag}>")
        elif isinstance(node, Func) and node.name in FUNCTIONS and len(node.args) == FUNCTIONS[node.name].arity:
            out.append(text(FUNCTIONS[node.name].plain(*(math_plain(a) for a in node.args))))
    return "".join(out)


def md_url(url: str) -> str:
    """A URL safe inside a Markdown link's (...): spaces, parentheses and brackets percent-encoded."""
    return urllib.parse.quote(str(url), safe=":/?#@!$&'*+,;=%-._~")


def safe_links(links: list[Link]) -> list[Link]:
    """Only web and mail links reach an href (no javascript:, data:, file:)."""
    return [link for link in links if urllib.parse.urlsplit(str(link.url)).scheme.lower() in SAFE_SCHEMES]


# Compiled templates kept between builds, in the build cache (.cache/jinja/, shared with
# the LaTeX templates; set by the build with use_bytecode_cache): four templates cost
# ~30 ms to compile. None (--no-cache): compiled each time, nothing written.
BYTECODE_CACHE: jinja2.BytecodeCache | None = None


def use_bytecode_cache(cache: jinja2.BytecodeCache | None) -> None:
    global BYTECODE_CACHE
    if cache is not BYTECODE_CACHE:
        BYTECODE_CACHE = cache
        _ENVS.clear()


def _env(autoescape: bool, finalize) -> jinja2.Environment:
    """The homepage templates' environment; `finalize` is the one escaping point of its output."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=BYTECODE_CACHE,
        finalize=finalize,
    )
    env.filters["safe_links"] = safe_links
    return env


def _html_env() -> jinja2.Environment:
    return _env(True, lambda v: Markup(rich_html(v)) if isinstance(v, RichText) else v)


def _md_env() -> jinja2.Environment:
    env = _env(False, _md_finalize)
    env.filters["md_url"] = lambda url: _Raw(md_url(url))
    return env


def _md_finalize(value: object) -> str:
    if isinstance(value, _Raw):
        return value
    if isinstance(value, RichText):
        return rich_html(value, md_escape)  # Markdown keeps inline HTML: <sup>, <em>, <a>
    return md_escape(value)


class _Raw(str):
    """Already safe for Markdown (a percent-encoded URL); finalize leaves it alone."""


_ENVS: dict[str, jinja2.Environment] = {}
TEMPLATE_NAMES = ("cv-link.html", "cv-link.md", "publications.html", "publications.md")


def prepare() -> None:
    """Load the templates now (the build calls this while the engine runs)."""
    for name in TEMPLATE_NAMES:
        _template(name)


def _template(name: str) -> jinja2.Template:
    kind = "md" if name.endswith(".md") else "html"
    if kind not in _ENVS:
        _ENVS[kind] = _md_env() if kind == "md" else _html_env()
    return _ENVS[kind].get_template(name)


def _render(name: str, **context) -> str:
    text = _template(name).render(**context)
    return text.strip("\n") + "\n"


# --- the snippets ------------------------------------------------------------


def link_html(text: str, href: str) -> str:
    return _render("cv-link.html", text=text, href=href)


def link_md(text: str, href: str) -> str:
    return _render("cv-link.md", text=text, href=href)


def publications_html(pubs: PublicationList) -> str:
    return _render("publications.html", pubs=pubs)


def publications_md(pubs: PublicationList) -> str:
    return _render("publications.md", pubs=pubs)


@dataclass
class Snippets:
    """What the homepage embeds, rendered once per build."""

    text: str  # the link's text
    publications_html: str
    publications_md: str

    def link(self, kind: str, href: str) -> str:
        return (link_md if kind == "md" else link_html)(self.text, href)

    def publications(self, kind: str) -> str:
        return self.publications_md if kind == "md" else self.publications_html


def publication_lists(pubs: PublicationList | None) -> tuple[str, str]:
    """The publications snippets (HTML, Markdown): they do not depend on the PDF, so a
    build makes them while the engine runs (1,000 publications take ~0.2 s)."""
    pubs = pubs or PublicationList([], [], "")
    return publications_html(pubs), publications_md(pubs)


def snippets(text: str, pubs: PublicationList | None, lists: tuple[str, str] | None = None) -> Snippets:
    """`lists`: publication_lists(pubs), if made already."""
    return Snippets(text, *(lists or publication_lists(pubs)))


def output_files(pdf_path: Path, info: PdfInfo, updated: str, s: Snippets) -> dict[Path, bytes]:
    """cv.json, cv-link.html/.md, publications.html/.md (named after the PDF if not cv.pdf), beside the PDF."""
    out, stem = pdf_path.parent, pdf_path.stem
    pubs = "publications" if stem == "cv" else f"{stem}-publications"  # a variant keeps its own list
    return {
        out / f"{stem}.json": manifest(info, updated, s.text),
        out / f"{stem}-link.html": s.link("html", info.name).encode("utf-8"),
        out / f"{stem}-link.md": s.link("md", info.name).encode("utf-8"),
        out / f"{pubs}.html": s.publications("html").encode("utf-8"),
        out / f"{pubs}.md": s.publications("md").encode("utf-8"),
    }


def relative_url(target: Path, page: Path) -> str:
    """The URL of `target` relative to the page that links to it (POSIX, percent-encoded)."""
    rel = os.path.relpath(target.resolve(), page.resolve().parent)
    return urllib.parse.quote(PurePosixPath(*Path(rel).parts).as_posix())
