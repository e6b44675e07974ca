"""--al-folio SITE: publish the CV into an al-folio checkout, with the PDF, in one step.

The site gets assets/pdf/NAME (the PDF), _data/resume.json (the CV page's data,
JSON Resume) and `cv_pdf:` in the front matter of the page with `layout: cv`.
`plan()` reads and checks everything before TeX runs (a malformed site is a
located error and nothing is written); `files()` gives the bytes the build
publishes together with output/.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, Problem, Report, UsageError
from ..model.load import Map, Scalar, parse_yaml, read_text

PDF_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.pdf$")
PAGE_SUFFIXES = (".md", ".markdown", ".html", ".liquid")
FENCE = re.compile(r"^---[ \t]*$")
LAYOUT_CV = re.compile(r"^layout:[ \t]*['\"]?cv['\"]?[ \t]*(#.*)?$")
# A top-level key's line in the front matter: key, value, and a trailing comment kept as it is.
KEY_LINE = r"^{key}:(?P<space>[ \t]*)(?P<value>[^#\r\n]*?)(?P<rest>[ \t]+#[^\r\n]*)?$"
# Older al-folio layouts link `cv_pdf` as a file name under assets/pdf/; newer ones as a path.
NAME_ONLY = re.compile(r"cv_pdf\s*\|\s*prepend:\s*['\"]/?assets/pdf/")


@dataclass
class Plan:
    """What the build writes into the site, checked and ready (the page's new text included)."""

    root: Path
    pdf: Path  # SITE/assets/pdf/NAME
    resume: Path  # SITE/_data/resume.json
    page: Path  # the CV page
    page_text: bytes


def shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def plan(site: Path, pdf_name: str, bib: Path, report: Report) -> Plan:
    """Check the site and work out the CV page's new front matter; raise a located InputError
    (or UsageError) for anything that would stop the site from showing the CV."""
    if not PDF_NAME.match(pdf_name):
        raise UsageError(
            f"--al-folio-pdf {pdf_name!r}: give a file name ending in .pdf, without folders (it goes to assets/pdf/)"
        )
    config = site / "_config.yml"
    if not site.is_dir() or not config.is_file():
        raise InputError(
            [
                Problem(
                    f"not an al-folio site: there is no {shown(config)}",
                    shown(site),
                    hint="give the folder of your al-folio checkout (where _config.yml is)",
                )
            ]
        )
    check_bibliography(config, bib, report)
    page = cv_page(site)
    check_front_matter(page)
    layout = _layout_text(site)
    text = read_text(page, shown(page))
    value = pdf_name if NAME_ONLY.search(layout) else f"/assets/pdf/{pdf_name}"
    new = set_key(text, "cv_pdf", value)
    if "cv_format" in layout:  # al-folio >= 0.14 renders _data/cv.yml first unless told otherwise
        new = set_key(new, "cv_format", "jsonresume")
    elif layout and "site.data.resume" not in layout:
        report.warn(
            "this site's CV layout does not read _data/resume.json, so the CV page will not show "
            "the CV's entries (the PDF link is set); al-folio's current _layouts/cv.liquid does",
            shown(site / "_layouts" / "cv.liquid"),
        )
    return Plan(site, site / "assets" / "pdf" / pdf_name, site / "_data" / "resume.json", page, new.encode("utf-8"))


def files(p: Plan, pdf: bytes, resume: bytes) -> dict[Path, bytes]:
    return {p.pdf: pdf, p.resume: resume, p.page: p.page_text}


def cv_page(site: Path) -> Path:
    """The page whose front matter says `layout: cv` (al-folio's is _pages/cv.md)."""
    found = []
    for folder in (site / "_pages", site):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix in PAGE_SUFFIXES and path.is_file() and _is_cv_page(path):
                found.append(path)
    if not found:
        raise InputError(
            [
                Problem(
                    "no CV page: no page in _pages/ has `layout: cv` in its front matter",
                    shown(site / "_pages"),
                    hint="al-folio's CV page is _pages/cv.md; add `layout: cv` to yours",
                )
            ]
        )
    if len(found) > 1:
        raise InputError(
            [
                Problem(
                    f"{len(found)} pages have `layout: cv`: " + ", ".join(shown(p) for p in found),
                    shown(found[1]),
                    2,
                    hint="keep `layout: cv` on one page, the one the PDF is linked from",
                )
            ]
        )
    return found[0]


def _is_cv_page(path: Path) -> bool:
    text = read_text(path, shown(path))
    lines = _front_matter_lines(text)
    if lines is None and text.startswith("---") and any(LAYOUT_CV.match(x) for x in text.splitlines()):
        raise InputError(
            [
                Problem(
                    "the front matter opened on line 1 is never closed with `---`",
                    shown(path),
                    1,
                    1,
                    hint="end the front matter with a line holding only ---",
                )
            ]
        )
    return lines is not None and any(LAYOUT_CV.match(line) for line in lines)


def _front_matter_lines(text: str) -> list[str] | None:
    """The lines between the opening and closing `---`, or None without (closed) front matter."""
    lines = text.splitlines()
    if not lines or not FENCE.match(lines[0]):
        return None
    for i in range(1, len(lines)):
        if FENCE.match(lines[i]):
            return lines[1:i]
    return None


def set_key(text: str, key: str, value: str) -> str:
    """`text` with the front matter's top-level `key:` set to `value`; every other byte as it was
    (a comment after the old value too). A missing key goes last in the front matter."""
    lines = text.splitlines(keepends=True)
    end = next(i for i in range(1, len(lines)) if FENCE.match(lines[i].rstrip("\r\n")))
    pattern = re.compile(KEY_LINE.format(key=re.escape(key)))
    for i in range(1, end):
        body = lines[i].rstrip("\r\n")
        m = pattern.match(body)
        if m:
            space = m.group("space") or " "
            lines[i] = f"{key}:{space}{value}{m.group('rest') or ''}" + lines[i][len(body) :]
            return "".join(lines)
    newline = "\r\n" if lines[0].endswith("\r\n") else "\n"
    lines.insert(end, f"{key}: {value}{newline}")
    return "".join(lines)


def check_front_matter(page: Path) -> None:
    """The page's front matter is YAML mapping (a located error if not), as Jekyll needs."""
    text = read_text(page, shown(page))
    lines = _front_matter_lines(text) or []
    tree = parse_yaml("\n" + "\n".join(lines) + "\n", shown(page))  # line numbers as in the file
    pdf = tree.items.get("cv_pdf")
    if pdf is not None and not isinstance(pdf, Scalar):
        raise InputError(
            [
                Problem(
                    "cv_pdf: must be a file name or path, not a list or mapping",
                    shown(page),
                    pdf.line,
                    pdf.column,
                    "cv_pdf",
                )
            ]
        )


def _layout_text(site: Path) -> str:
    for name in ("cv.liquid", "cv.html"):
        path = site / "_layouts" / name
        if path.is_file():
            return read_text(path, shown(path))
    return ""  # the theme's layout (a gem): today's al-folio


def check_bibliography(config: Path, bib: Path, report: Report) -> None:
    """Warn, naming both files, when jekyll-scholar reads another .bib than the CV."""
    tree = parse_yaml(read_text(config, shown(config)), shown(config))
    scholar = tree.items.get("scholar")
    if scholar is not None and not isinstance(scholar, Map):
        raise InputError(
            [
                Problem(
                    "scholar: must be a mapping (source:, bibliography:, ...)",
                    shown(config),
                    scholar.line,
                    scholar.column,
                    "scholar",
                )
            ]
        )
    items = scholar.items if isinstance(scholar, Map) else {}
    source, name = items.get("source"), items.get("bibliography")
    folder = source.raw if isinstance(source, Scalar) and source.raw else "./_bibliography"  # jekyll-scholar's defaults
    file = name.raw if isinstance(name, Scalar) and name.raw else "references.bib"
    theirs = config.parent / folder.strip("/") / file
    if theirs.is_file() and bib.is_file() and os.path.samefile(theirs, bib):
        return
    where = name if isinstance(name, Scalar) else (scholar if scholar is not None else tree)
    same = theirs.is_file() and bib.is_file() and theirs.read_bytes() == bib.read_bytes()
    state = (
        "the same text today, but two files"
        if same
        else "they differ"
        if theirs.is_file()
        else f"{shown(theirs)} does not exist"
    )
    report.warn(
        f"the site's publications come from {shown(theirs)} (scholar: source + bibliography), "
        f"the CV's from {shown(bib)}: {state}; "
        "point one at the other (e.g. a symlink) so the site and the CV list the same papers",
        shown(config),
        where.line,
        where.column,
    )
