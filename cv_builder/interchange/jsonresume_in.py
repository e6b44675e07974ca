"""JSON Resume (schema 1.x, as JSON or YAML) into cv_builder's parts.

`basics` is the person (its `summary` becomes a Summary section, `profiles` the contacts); every
other top-level list becomes a section, in the file's order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..model.load import Map, Node, Seq
from .detect import JSONRESUME
from .intake import BibRecord, Imported, bullet, date, empty, entry, get, host, profile, text, web_url
from .rendercv_in import venue_type

_TITLES = {
    "work": "Experience",
    "volunteer": "Volunteering",
    "education": "Education",
    "awards": "Awards",
    "certificates": "Certificates",
    "publications": "Publications",
    "skills": "Skills",
    "languages": "Languages",
    "interests": "Interests",
    "references": "References",
    "projects": "Projects",
}


def convert(tree: Map, file: str) -> Imported:
    imp = Imported(JSONRESUME, file)
    basics = tree.items.get("basics")
    if isinstance(basics, Map):
        _basics(imp, basics)
    for key, node in tree.items.items():
        if key in ("basics", "$schema"):
            continue
        if key in _TITLES and isinstance(node, Seq):
            if node.items:
                _section(imp, key, node)
        else:
            imp.leave(tree.keys[key], key, f"{key!r} has no equivalent in cv_builder", node)
    return imp


def _used(imp: Imported, n: Node, path: str, used: set[str]) -> None:
    """Fields nothing read: reported, never dropped silently."""
    if not isinstance(n, Map):
        return
    for key, value in n.items.items():
        if key not in used and not empty(value):
            imp.leave(n.keys[key], f"{path}.{key}", f"{key!r} has no equivalent in cv_builder", value)


def _basics(imp: Imported, b: Map) -> None:
    for key, name in (("name", "name"), ("label", "position"), ("email", "email"), ("phone", "phone")):
        if get(b, key):
            imp.person[name] = get(b, key)
    if web_url(get(b, "url")):
        imp.person["homepage"] = web_url(get(b, "url"))
    loc = b.items.get("location")
    if isinstance(loc, Map):
        parts = [text(loc.items.get(k)) for k in ("address", "city", "region", "postalCode", "countryCode")]
        if any(parts):
            imp.person["location"] = ", ".join(p for p in parts if p)
        _used(imp, loc, "basics.location", {"address", "city", "region", "postalCode", "countryCode"})
    profiles = b.items.get("profiles")
    for i, p in enumerate(profiles.items if isinstance(profiles, Seq) else []):
        if isinstance(p, Map):
            profile(
                imp,
                p,
                f"basics.profiles[{i}]",
                text(p.items.get("network")),
                text(p.items.get("username")),
                text(p.items.get("url")),
            )
    if get(b, "summary"):
        imp.sections.append({"title": "Summary", "kind": "text", "text": get(b, "summary")})
    _used(imp, b, "basics", {"name", "label", "email", "phone", "url", "location", "profiles", "summary"})


def _words(node: Node | None) -> list[str]:
    return [t for t in (text(n) for n in node.items) if t] if isinstance(node, Seq) else []


def _section(imp: Imported, key: str, node: Seq) -> None:
    section: dict = {"title": _TITLES[key]}
    entries: list = []
    keys: list[str] = []
    for i, n in enumerate(node.items):
        path = f"{key}[{i}]"
        if not isinstance(n, Map):
            imp.leave(n, path, "expected an object", n)
            continue
        made = _ENTRY[key](imp, n, path)
        if key == "publications":
            keys.append(made)
        elif made:
            entries.append(made)
    if key == "publications":
        section.update(kind="publications", sort="bib", filter={"keys": keys})
    elif key in ("skills", "interests", "languages") and all(isinstance(e, dict) and "key" in e for e in entries):
        section.update(kind="pairs", entries=entries)
    elif key in ("skills", "interests", "languages", "references"):
        section.update(
            kind="items",
            entries=[
                e["text"] if isinstance(e, dict) and "text" in e else f"**{e['key']}:** {e['value']}" for e in entries
            ],
        )
    else:
        section.update(kind="entries", entries=entries)
    if entries or keys:
        imp.sections.append(section)


def _dated(
    imp: Imported,
    n: Map,
    path: str,
    title: str | None,
    organization: str | None,
    summary_keys: tuple[str, ...],
    used: set[str],
    more: list | None = None,
) -> dict:
    lines = [line for line in (get(n, k) for k in summary_keys) if line]
    details: list = [bullet(line, nested=False) for line in lines[1:]]
    details += [bullet(h, nested=False) for h in _words(n.items.get("highlights"))] + list(more or [])
    start = date(imp, n.items.get("startDate"), f"{path}.startDate")
    end = date(imp, n.items.get("endDate"), f"{path}.endDate")
    single = date(imp, n.items.get("date"), f"{path}.date")
    if start and end == start:
        single, start, end = start, None, None  # a one-day project
    if not title:  # e.g. a job without a position: the employer heads the entry
        title, organization = organization, None
    if not title:
        imp.leave(n, path, "an entry with nothing to head it (no name, title or position)", n)
        return {}
    url = web_url(get(n, "url"))
    _used(imp, n, path, used | set(summary_keys) | {"highlights", "startDate", "endDate", "date", "url", "location"})
    return entry(
        title=title,
        organization=organization,
        subtitle=lines[0] if lines else None,
        location=get(n, "location"),
        start=start,
        end=end,
        date=single,
        details=details,
        links=[{"label": host(url), "url": url}] if url else [],
    )


def _work(imp: Imported, n: Map, path: str) -> dict:
    return _dated(
        imp,
        n,
        path,
        get(n, "position"),
        get(n, "name") or get(n, "company"),
        ("description", "summary"),
        {"position", "name", "company"},
    )


def _volunteer(imp: Imported, n: Map, path: str) -> dict:
    return _dated(imp, n, path, get(n, "position"), get(n, "organization"), ("summary",), {"position", "organization"})


def _education(imp: Imported, n: Map, path: str) -> dict:
    degree, area = get(n, "studyType"), get(n, "area")
    more: list = [f"Score: {get(n, 'score')}"] if get(n, "score") else []
    courses = _words(n.items.get("courses"))
    if courses:
        more.append({"text": "Courses", "details": courses})
    return _dated(
        imp,
        n,
        path,
        f"{degree} in {area}" if degree and area else degree or area,
        get(n, "institution"),
        (),
        {"studyType", "area", "institution", "score", "courses"},
        more,
    )


def _award(imp: Imported, n: Map, path: str) -> dict:
    return _dated(imp, n, path, get(n, "title"), get(n, "awarder"), ("summary",), {"title", "awarder"})


def _certificate(imp: Imported, n: Map, path: str) -> dict:
    return _dated(imp, n, path, get(n, "name"), get(n, "issuer"), (), {"name", "issuer"})


def _project(imp: Imported, n: Map, path: str) -> dict:
    more: list = []
    for key, label in (("roles", "Roles"), ("keywords", "Keywords")):
        if _words(n.items.get(key)):
            more.append(f"{label}: {', '.join(_words(n.items[key]))}")
    if get(n, "type"):
        more.append(f"Type: {get(n, 'type')}")
    return _dated(
        imp,
        n,
        path,
        get(n, "name"),
        get(n, "entity"),
        ("description",),
        {"name", "entity", "roles", "keywords", "type"},
        more,
    )


def _pair(imp: Imported, n: Map, path: str, name_key: str, value_keys: tuple[str, ...]) -> dict:
    """A key/value line: 'Web Development: HTML, CSS, Javascript (Master)'."""
    name = text(n.items.get(name_key))
    words = _words(n.items.get("keywords"))
    level = next((text(n.items.get(k)) for k in value_keys if text(n.items.get(k))), None)
    value = ", ".join(words) + (f" ({level})" if words and level else level or "")
    _used(imp, n, path, {name_key, "keywords", *value_keys})
    if name and value:
        return {"key": name, "value": value}
    return {"text": name or value} if (name or value) else {}


def _skill(imp: Imported, n: Map, path: str) -> dict:
    return _pair(imp, n, path, "name", ("level",))


def _language(imp: Imported, n: Map, path: str) -> dict:
    return _pair(imp, n, path, "language", ("fluency",))


def _interest(imp: Imported, n: Map, path: str) -> dict:
    return _pair(imp, n, path, "name", ())


def _reference(imp: Imported, n: Map, path: str) -> dict:
    name, words = text(n.items.get("name")), text(n.items.get("reference"))
    _used(imp, n, path, {"name", "reference"})
    line = f"“{words}” — {name}" if words and name else words or name
    return {"text": line} if line else {}


def _publication(imp: Imported, n: Map, path: str) -> str:
    publisher = get(n, "publisher")
    kind = venue_type(publisher)
    fields: dict[str, str] = {"title": get(n, "name") or ""}
    if publisher:
        fields[{"inproceedings": "booktitle", "article": "publisher"}.get(kind, "howpublished")] = publisher
    if kind == "article":
        kind = "misc"  # a publisher is not a journal: cv_builder shows it as the venue of a misc entry
    when = date(imp, n.items.get("releaseDate"), f"{path}.releaseDate")
    if when and when != "present":
        fields["year"] = when[:4]
        if len(when) >= 7:
            fields["month"] = str(int(when[5:7]))
    if web_url(get(n, "url")):
        fields["url"] = web_url(get(n, "url")) or ""
    if get(n, "summary"):
        fields["abstract"] = get(n, "summary") or ""
        imp.note(
            n.items["summary"],
            f"{path}.summary",
            "kept as the abstract in publications.bib; the CV does not print abstracts",
        )
    name = imp.person.get("name")
    authors = [name] if name else []
    if name:
        imp.note(
            n,
            path,
            f"JSON Resume lists no authors; {name} (basics.name) was written as the only author "
            "- add the co-authors in publications.bib",
        )
        if name not in imp.owner:
            imp.owner.append(name)
    _used(imp, n, path, {"name", "publisher", "releaseDate", "url", "summary"})
    return imp.add(BibRecord(kind, fields, authors))


_ENTRY: dict[str, Callable[[Imported, Map, str], Any]] = {
    "work": _work,
    "volunteer": _volunteer,
    "education": _education,
    "awards": _award,
    "certificates": _certificate,
    "projects": _project,
    "skills": _skill,
    "languages": _language,
    "interests": _interest,
    "references": _reference,
    "publications": _publication,
}
