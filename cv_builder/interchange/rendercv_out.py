"""The CV as a RenderCV 2.x input file (`cv:` + `design:`), for `export --format rendercv`.

RenderCV reads Markdown (**bold**, *italic*, [label](url)), which is what
cv_builder's inline markup already is, so text is passed as written. Every
section becomes a list of one RenderCV entry type, chosen by the section's
kind and role (mapping.py; the table is in docs/export.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from .. import __version__
from ..model.cv import CV, Design
from ..typeset import render
from .mapping import Record, iso, records, role, shown

if TYPE_CHECKING:
    from ..bib.publications import Publication, PublicationList

NETWORKS = (
    ("github", "GitHub"),
    ("scholar", "Google Scholar"),
    ("orcid", "ORCID"),
    ("linkedin", "LinkedIn"),
    ("x", "X"),
)


def document(cv: CV, lists: dict[int, PublicationList]) -> dict[str, Any]:
    """{cv, design} as RenderCV 2.x reads them."""
    return {"cv": header(cv) | {"sections": sections(cv, lists)}, "design": design(cv.design)}


def dumps(doc: dict[str, Any], source: str = "") -> bytes:
    head = (
        f"# RenderCV 2.x input written by cv_builder {__version__}"
        + (f" from {source}" if source else "")
        + "; render it with: rendercv render FILE\n"
    )
    return (head + yaml.safe_dump(_builtin(doc), allow_unicode=True, sort_keys=False, width=10_000)).encode("utf-8")


def _builtin(obj: Any) -> Any:
    """Plain str, list and dict (the model's located strings are str subclasses yaml cannot dump)."""
    if isinstance(obj, dict):
        return {str(k): _builtin(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_builtin(v) for v in obj]
    return str(obj) if isinstance(obj, str) else obj


def _clean(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v not in (None, "", [], {})}


def header(cv: CV) -> dict[str, Any]:
    p = cv.person
    headline = ", ".join(str(x) for x in (p.position, p.affiliation) if x)
    networks = [
        {"network": network, "username": getattr(p, name).lstrip("@")} for name, network in NETWORKS if getattr(p, name)
    ]
    custom = [{"fontawesome_icon": "link", "placeholder": link.label, "url": str(link.url)} for link in p.links]
    return _clean(
        {
            "name": p.name,
            "headline": headline,
            "location": p.location,
            "email": p.email,
            "phone": p.phone,
            "website": p.homepage,
            "social_networks": networks,
            "custom_connections": custom,
        }
    )


def sections(cv: CV, lists: dict[int, PublicationList]) -> dict[str, list]:
    """Printed title -> entries; a subheading becomes its own section, 'Title – Subheading'."""
    out: dict[str, list] = {}

    def put(title: str, entries: list) -> None:
        name, n = title, 2
        while name in out:  # RenderCV's sections are keyed by title
            name, n = f"{title} ({n})", n + 1
        if entries:
            out[name] = entries

    for view in render.section_views(cv.sections, lists, cv.design):
        section, title = view.section, str(view.title)
        if section.kind == "text":
            put(title, [str(section.text)])
        elif section.kind == "publications":
            put(title, [publication(p) for g in view.publications.groups for p in g.publications])
        else:
            kind = role(section, title)
            for block in view.blocks:
                put(
                    f"{title} – {block.title}" if block.title else title,
                    entries(section.kind, kind, records(section, [block])),
                )
    return out


def entries(kind: str, role_name: str, recs: list[Record]) -> list:
    """One entry type for the whole list, as RenderCV requires."""
    if kind == "pairs":
        return [{"label": r.key or shown(r.date) or "", "details": r.title} for r in recs]
    if kind == "items" and not any(r.date or r.links for r in recs):
        return [{"bullet": r.title} for r in recs]
    if kind == "entries" and recs and all(r.organization for r in recs):
        if role_name == "education":
            return [
                _clean(
                    {
                        "institution": r.organization,
                        "area": r.subtitle or r.title,
                        "degree": r.title if r.subtitle else None,
                        **_common(r),
                    }
                )
                for r in recs
            ]
        if role_name in ("work", "volunteer"):
            return [
                _clean({"company": r.organization, "position": r.title, "summary": r.subtitle, **_common(r)})
                for r in recs
            ]
    return [
        _clean({"name": r.title, "summary": ", ".join(x for x in (r.organization, r.subtitle) if x), **_common(r)})
        for r in recs
    ]


def _common(r: Record) -> dict[str, Any]:
    """Dates, location, and the details as highlights with the links as the last one."""
    if r.start or r.end:
        dates = {"start_date": iso(r.start), "end_date": "present" if r.end and r.end.present else iso(r.end)}
        if not r.start:
            dates = {"date": shown(r.end)}
    else:
        dates = {"date": shown(r.date)}
    links = " | ".join(f"[{label}]({url})" for label, url in r.links)
    return {"location": r.location, **dates, "highlights": list(r.details) + ([links] if links else [])}


def publication(p: Publication) -> dict[str, Any]:
    authors = [(f"**{a.text}**" if a.owner else a.text) + "".join(a.marks) for a in p.authors if not a.ellipsis]
    if p.et_al:
        authors.append("et al.")
    paper = next((lk.url for lk in p.links if lk.kind == "url"), None)
    doi = paper[len("https://doi.org/") :] if paper and paper.startswith("https://doi.org/") else None
    date = f"{p.year:04d}" + (f"-{p.month:02d}" if p.month else "") if p.year else None
    return _clean(
        {
            "title": p.title,
            "authors": authors,
            "doi": doi,
            "url": None if doi else paper,
            "journal": p.venue,
            "date": date,
        }
    )


def design(d: Design) -> dict[str, Any]:
    """The settings with a RenderCV equivalent: page size, margins, accent colour."""
    margins = {side: getattr(d.margins, side, None) or d.margin for side in ("top", "bottom", "left", "right")}
    page = {"size": "a4" if d.paper == "a4" else "us-letter"} | {f"{k}_margin": str(v) for k, v in margins.items()}
    accent = str(d.accent_color)
    return {
        "theme": "classic",
        "page": page,
        "colors": {
            "name": accent,
            "headline": accent,
            "connections": accent,
            "section_titles": accent,
            "links": accent,
        },
    }
