"""The CV as JSON Resume (schema v1.2.1): what every build writes to output/resume.json.

Sections map by role (mapping.py; the table is in docs/export.md). Names and
titles are plain text: inline markup is dropped, links written 'label (url)'. What has
no JSON Resume field is kept as an extra property (the schema allows them):
`talks`, `teaching`, `otherSections`, and per entry `location`, `links`, ...
Fields that JSON Resume themes and al-folio render as Markdown (summary, highlights) are
Markdown: the markup kept, literal text escaped ("Xia\\*"); the others are plain text.
No clock: `meta.lastModified` is the build's source date (reproducible.py).
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..model.cv import CV
from ..typeset import render
from .mapping import Record, iso, markdown, md_escape, plain, records, role, shown

if TYPE_CHECKING:  # the build imports bibliography only once it reads the .bib
    from ..bib.publications import Publication, PublicationList
    from ..publish.reproducible import SourceDate

SCHEMA_URL = "https://raw.githubusercontent.com/jsonresume/resume-schema/v1.2.1/schema.json"
PROFILES = (  # person field, network, URL
    ("github", "GitHub", "https://github.com/{}"),
    ("scholar", "Google Scholar", "https://scholar.google.com/citations?user={}"),
    ("orcid", "ORCID", "https://orcid.org/{}"),
    ("linkedin", "LinkedIn", "https://www.linkedin.com/in/{}"),
    ("x", "X", "https://x.com/{}"),
)


def resume(cv: CV, lists: dict[int, PublicationList], when: SourceDate) -> dict[str, Any]:
    """The JSON Resume document of the CV as it is printed (its sections, titles, order, filters)."""
    doc: dict[str, Any] = {"$schema": SCHEMA_URL, "basics": basics(cv)}
    placed: list[dict[str, str]] = []
    seen_keys: set[str] = set()
    for view in render.section_views(cv.sections, lists, cv.design):
        section, title = view.section, str(view.title)
        kind = role(section, title)
        if kind == "summary":
            if "summary" not in doc["basics"]:
                doc["basics"]["summary"] = markdown(section.text)
            else:
                kind = "other"
                _add(doc, "otherSections", [{"title": title, "text": markdown(section.text)}])
        elif kind == "publications":
            pubs = [p for g in view.publications.groups for p in g.publications if p.key not in seen_keys]
            seen_keys.update(p.key for p in pubs)
            _add(doc, "publications", [publication(p) for p in pubs])
        elif kind == "other":
            _add(
                doc, "otherSections", [{"title": title, "entries": [generic(r) for r in records(section, view.blocks)]}]
            )
        else:
            _add(doc, kind, [ENTRY[kind](r) for r in records(section, view.blocks)])
        placed.append({"title": title, "as": "basics.summary" if kind == "summary" else kind})
    stamp = _dt.datetime.fromtimestamp(when.epoch, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    doc["meta"] = {"lastModified": stamp, "generator": f"cv_builder {__version__}", "sections": placed}
    return doc


def dumps(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _add(doc: dict[str, Any], key: str, items: list) -> None:
    doc.setdefault(key, []).extend(items)


def _clean(obj: dict[str, Any]) -> dict[str, Any]:
    """Without empty values (JSON Resume leaves unknown fields out)."""
    return {k: v for k, v in obj.items() if v not in (None, "", [], {})}


def basics(cv: CV) -> dict[str, Any]:
    p = cv.person
    label = ", ".join(x for x in (p.position or "", plain(p.affiliation)) if x)
    profiles = [
        {"network": network, "username": getattr(p, name).lstrip("@"), "url": url.format(getattr(p, name).lstrip("@"))}
        for name, network, url in PROFILES
        if getattr(p, name)
    ]
    profiles += [{"network": link.label, "url": str(link.url)} for link in p.links]
    return _clean(
        {
            "name": p.name,
            "label": label,
            "email": p.email,
            "phone": p.phone,
            "url": p.homepage,
            "location": {"address": p.location} if p.location else None,
            "profiles": profiles,
        }
    )


def _span(r: Record, single: str = "both") -> dict[str, Any]:
    """startDate/endDate. A single date is both (a point in time), or only the end for
    education (when the degree was received). An open end (present, or unknown) is left out."""
    if r.start or r.end:
        return {"startDate": iso(r.start), "endDate": iso(r.end)}
    if single == "end":
        return {"endDate": iso(r.date)}
    return {"startDate": iso(r.date), "endDate": iso(r.date)}


def _url(r: Record) -> dict[str, Any]:
    """The first link as `url`; the others (label and URL) as `links`."""
    links = [{"label": label, "url": url} for label, url in r.links]
    return {"url": links[0]["url"] if links else None, "links": links[1:]}


def _md(details: list[str]) -> list[str]:
    return [markdown(d) for d in details]


def _words(text: str) -> list[str]:
    return [w.strip() for w in plain(text).split(",") if w.strip()]


def work(r: Record) -> dict[str, Any]:
    name, position = _who(r)
    return _clean(
        {
            "name": name,
            "position": position,
            "location": r.location,
            **_span(r),
            "summary": markdown(r.subtitle),
            "highlights": _md(r.details),
            **_url(r),
        }
    )


def volunteer(r: Record) -> dict[str, Any]:
    organization, position = _who(r)
    return _clean(
        {
            "organization": organization,
            "position": position,
            "location": r.location,
            **_span(r),
            "summary": markdown(r.subtitle),
            "highlights": _md(r.details),
            **_url(r),
        }
    )


def _who(r: Record) -> tuple[str, str]:
    """(organisation, position): an entry's organisation and title; for a pair or item, its
    text is the organisation when a subheading or key names the position ("Reviewer": "ACL")."""
    if r.organization:
        return plain(r.organization), plain(r.title)
    if r.group or r.key:
        return plain(r.title), plain(r.key or r.group)
    return "", plain(r.title)


def education(r: Record) -> dict[str, Any]:
    return _clean(
        {
            "institution": plain(r.organization),
            "studyType": plain(r.title),
            "area": plain(r.subtitle),
            "location": r.location,
            **_span(r, "end"),
            "highlights": _md(r.details),
            **_url(r),
        }
    )


def awards(r: Record) -> dict[str, Any]:
    title = f"{r.key}: {plain(r.title)}" if r.key else plain(r.title)
    summary = "; ".join(x for x in [markdown(r.subtitle)] + _md(r.details) if x)
    return _clean(
        {
            "title": title,
            "date": iso(r.date or r.end or r.start),
            "awarder": plain(r.organization),
            "summary": summary,
            "location": r.location,
            **_url(r),
        }
    )


def skills(r: Record) -> dict[str, Any]:
    if r.kind == "pairs":
        return _clean({"name": r.key or r.group, "keywords": _words(r.title)})
    return _clean({"name": plain(r.title), "level": plain(r.subtitle), "keywords": [plain(d) for d in r.details]})


def languages(r: Record) -> dict[str, Any]:
    if r.kind == "pairs":
        return _clean({"language": r.key or r.group, "fluency": plain(r.title)})
    return _clean({"language": plain(r.title), "fluency": plain(r.subtitle)})


def interests(r: Record) -> dict[str, Any]:
    if r.kind == "pairs":
        return _clean({"name": r.key or r.group, "keywords": _words(r.title)})
    return _clean({"name": plain(r.title), "keywords": [plain(d) for d in r.details]})


def projects(r: Record) -> dict[str, Any]:
    return _clean(
        {
            "name": plain(r.title),
            "entity": plain(r.organization),
            "description": plain(r.subtitle),
            **_span(r),
            "highlights": _md(r.details),
            "location": r.location,
            **_url(r),
        }
    )


def certificates(r: Record) -> dict[str, Any]:
    return _clean(
        {"name": plain(r.title), "issuer": plain(r.organization), "date": iso(r.date or r.end or r.start), **_url(r)}
    )


def references(r: Record) -> dict[str, Any]:
    text = "; ".join(x for x in [plain(r.subtitle)] + [plain(d) for d in r.details] if x)
    if r.kind == "pairs":
        return _clean({"name": r.key or r.group, "reference": plain(r.title)})
    return _clean({"name": plain(r.title), "reference": text})


def generic(r: Record) -> dict[str, Any]:
    """Talks, teaching and sections without a JSON Resume kind: every field, by its own name."""
    dates = {"startDate": shown(r.start), "endDate": shown(r.end)} if r.start or r.end else {"date": shown(r.date)}
    return _clean(
        {
            "label": r.key,
            "group": r.group,
            "name": plain(r.title),
            "organization": plain(r.organization),
            "summary": markdown(r.subtitle),
            "location": r.location,
            **dates,
            "highlights": _md(r.details),
            **_url(r),
        }
    )


ENTRY = {
    "work": work,
    "volunteer": volunteer,
    "education": education,
    "awards": awards,
    "skills": skills,
    "languages": languages,
    "interests": interests,
    "projects": projects,
    "certificates": certificates,
    "references": references,
    "talks": generic,
    "teaching": generic,
}


def publication(p: Publication) -> dict[str, Any]:
    """A paper (its text is the .bib's, not inline markup): its venue as publisher, the paper link
    as url, the authors as printed (with their marks) in summary and `authors`, every other link
    in `links`."""
    authors = [a.text + "".join(a.marks) for a in p.authors if not a.ellipsis] + (["et al."] if p.et_al else [])
    paper = next((lk.url for lk in p.links if lk.kind == "url"), None)
    date = f"{p.year:04d}" + (f"-{p.month:02d}" if p.month else "") if p.year else None
    return _clean(
        {
            "name": p.title,
            "publisher": p.venue,
            "releaseDate": date,
            "url": paper,
            "summary": md_escape(", ".join(authors)),
            "authors": authors,
            "notes": list(p.notes),
            "links": [{"label": lk.label, "url": lk.url} for lk in p.links if lk.url != paper],
        }
    )
