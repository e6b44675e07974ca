"""RenderCV (2.x, and 1.x where it differs) into cv_builder's parts.

RenderCV keeps the CV under `cv:` (person fields, `social_networks`, `custom_connections`,
and `sections:` mapping a title to a list of one entry type) and the look under `design:`;
`locale:` and `settings:` (1.x: `locale_catalog:`, `rendercv_settings:`) have no equivalent.
"""

from __future__ import annotations

import re

from ..model.load import Map, Node, Seq
from .detect import RENDERCV
from .intake import BibRecord, Imported, bullet, date, empty, entry, get, profile, text, web_url

_PERSON = {
    "name": "name",
    "headline": "position",
    "label": "position",
    "location": "location",
    "email": "email",
    "phone": "phone",
    "website": "homepage",
}
# Entry types, told apart by their keys (RenderCV does the same; 1.x made area and position optional).
_TYPES = (
    ("publication", {"title", "authors"}),
    ("education", {"institution"}),
    ("experience", {"company"}),
    ("normal", {"name"}),
    ("one_line", {"label", "details"}),
    ("bullet", {"bullet"}),
    ("numbered", {"number"}),
    ("reversed_numbered", {"reversed_number"}),
)
_DATED_KEYS = {"date", "start_date", "end_date", "location", "summary", "highlights", "url"}
_THEMES = {
    "classic": "classic",
    "moderncv": "compact",
    "sb2nov": "classic",
    "engineeringresumes": "classic",
    "engineeringclassic": "classic",
    "harvard": "classic",
    "ember": "modern",
    "ink": "modern",
    "opal": "modern",
}
# RenderCV's footer (name, page numbers) and top note (last updated): 2.x, then 1.x names.
_FOOTER = {
    "show_footer": ("name", "page_numbers"),
    "show_top_note": ("last_updated",),
    "show_page_numbering": ("name", "page_numbers"),
    "show_last_updated_date": ("last_updated",),
}
_PAGE_SIZES = {"a4": "a4", "us-letter": "letter", "letterpaper": "letter", "a4paper": "a4"}
_DATE_STYLES = {
    "MONTH_ABBREVIATION YEAR": "Mon YYYY",
    "MONTH_NAME YEAR": "Month YYYY",
    "YEAR": "YYYY",
    "MONTH_IN_TWO_DIGITS/YEAR": "MM/YYYY",
    "YEAR-MONTH_IN_TWO_DIGITS": "YYYY-MM",
    "YEAR.MONTH_IN_TWO_DIGITS": "YYYY.MM",
}


def convert(tree: Map, file: str) -> Imported:
    imp = Imported(RENDERCV, file)
    cv = tree.items["cv"]
    _person(imp, cv)
    sections = cv.items.get("sections")
    if isinstance(sections, Map):
        for title, node in sections.items.items():
            _section(imp, sections.keys[title], title, node)
    design = tree.items.get("design")
    if isinstance(design, Map):
        _design(imp, design)
    for key in ("locale", "locale_catalog", "settings", "rendercv_settings"):
        node = tree.items.get(key)
        if isinstance(node, Map) and get(node, "date_template") in _DATE_STYLES:  # 1.x: the date style
            imp.design.setdefault("date_format", _DATE_STYLES[get(node, "date_template") or ""])
            node = Map(
                node.file,
                node.line,
                node.column,
                {k: v for k, v in node.items.items() if k != "date_template"},
                node.keys,
            )
        if node is not None and not empty(node):
            imp.leave(tree.keys[key], key, "RenderCV's locale and settings have no equivalent in cv_builder", node)
    return imp


def _person(imp: Imported, cv: Map) -> None:
    for key, node in cv.items.items():
        path = f"cv.{key}"
        if key in _PERSON:
            value = text(node)
            if value is None:
                continue
            if key == "phone":
                value = re.sub(r"^tel:", "", value)  # 1.x wrote tel:+1-...
            if key == "website":
                value = web_url(value) or value
            imp.person[_PERSON[key]] = value
        elif key == "social_networks" and isinstance(node, Seq):
            for i, item in enumerate(node.items):
                if isinstance(item, Map):
                    profile(
                        imp,
                        item,
                        f"{path}[{i}]",
                        text(item.items.get("network")),
                        text(item.items.get("username")),
                        None,
                    )
        elif key == "custom_connections" and isinstance(node, Seq):
            for i, item in enumerate(node.items):
                label = text(item.items.get("placeholder")) if isinstance(item, Map) else None
                url = web_url(text(item.items.get("url"))) if isinstance(item, Map) else None
                if label and url:
                    imp.person.setdefault("links", []).append({"label": label, "url": url})
                    if isinstance(item, Map) and text(item.items.get("fontawesome_icon")):
                        imp.note(
                            item,
                            f"{path}[{i}]",
                            f"the link {label!r} is shown without its icon (cv_builder's themes choose their own)",
                        )
                else:
                    imp.leave(
                        item, f"{path}[{i}]", "a connection without a link has no place in cv_builder's header", item
                    )
        elif key == "sections" or empty(node):
            continue
        else:
            imp.leave(cv.keys[key], path, f"cv.{key} has no equivalent in cv_builder", node)


def _title(key: str) -> str:
    """RenderCV's heading for a section key: snake_case becomes Title Case, anything else is kept."""
    if key == key.lower():
        return " ".join(w[:1].upper() + w[1:] for w in key.replace("_", " ").split())
    return key


def _kind(node: Node) -> str:
    if not isinstance(node, Map):
        return "text"
    for name, required in _TYPES:
        if required <= set(node.items):
            return name
    return "unknown"


def _section(imp: Imported, at: Node, key: str, node: Node) -> None:
    title, path = _title(key), f"cv.sections.{key}"
    if not isinstance(node, Seq) or not node.items:
        imp.leave(at, path, "a section without a list of entries", node)
        return
    kinds = [_kind(n) for n in node.items]
    kind = kinds[0]
    section: dict = {"title": title}
    entries: list = []
    keys: list[str] = []
    for i, (n, k) in enumerate(zip(node.items, kinds, strict=True)):
        here = f"{path}[{i}]"
        if k != kind:
            imp.leave(
                n,
                here,
                f"a {k.replace('_', ' ')} entry in a section of {kind.replace('_', ' ')} "
                "entries (RenderCV does not allow mixing them either)",
                n,
            )
            continue
        if kind == "text":
            value = text(n)
            if value:
                entries.append(value)
        elif kind == "publication":
            keys.append(_publication(imp, n, here))
        elif kind in ("education", "experience", "normal"):
            entries.append(_dated(imp, n, here, kind))
        elif kind == "one_line":
            entries.append(entry(key=text(n.items["label"]), value=text(n.items["details"])))
            _extra(imp, n, here, {"label", "details"})
        elif kind in ("bullet", "numbered", "reversed_numbered"):
            which = {"bullet": "bullet", "numbered": "number", "reversed_numbered": "reversed_number"}[kind]
            if text(n.items[which]):
                entries.append(text(n.items[which]))
            _extra(imp, n, here, {which})
        else:
            imp.leave(n, here, "an entry of no RenderCV type cv_builder knows", n)
    if kind == "publication":
        section.update(kind="publications", sort="bib", filter={"keys": keys})
    elif kind == "text":
        if len(entries) == 1:
            section.update(kind="text", text=entries[0])
        else:
            section.update(kind="items", entries=entries)
    elif kind == "one_line":
        section.update(kind="pairs", entries=entries)
    elif kind in ("bullet", "numbered", "reversed_numbered"):
        section.update(kind="items", entries=entries)
        if kind != "bullet":
            order = "counting down" if kind == "reversed_numbered" else "counting up"
            imp.note(
                at,
                path,
                f"RenderCV numbers these entries ({order}); cv_builder lists them as items "
                "in the same order, without numbers",
            )
    else:
        section.update(kind="entries", entries=entries)
    if section.get("entries") == [] or (kind == "publication" and not section["filter"]["keys"]):
        return
    imp.sections.append(section)


def _extra(imp: Imported, node: Map, path: str, used: set[str]) -> None:
    """Keys of an entry that nothing above read: reported, never dropped silently."""
    for key, value in node.items.items():
        if key not in used and not empty(value):
            imp.leave(node.keys[key], f"{path}.{key}", f"{key!r} has no equivalent in cv_builder", value)


def _dated(imp: Imported, n: Map, path: str, kind: str) -> dict:
    if kind == "education":
        degree, area = get(n, "degree"), get(n, "area")
        title = f"{degree} in {area}" if degree and area else degree or area
        organization, used = get(n, "institution"), {"degree", "area", "institution", "grade"}
        if not title:  # a school with neither degree nor area: the school is the entry's title
            title, organization = organization, None
    elif kind == "experience":
        title, organization, used = get(n, "position"), get(n, "company"), {"position", "company"}
    else:
        title, organization, used = get(n, "name"), None, {"name"}
    start, end = (
        date(imp, n.items.get("start_date"), f"{path}.start_date"),
        date(imp, n.items.get("end_date"), f"{path}.end_date"),
    )
    single = date(imp, n.items.get("date"), f"{path}.date")
    if single and (start or end):
        imp.leave(
            n.keys["date"],
            f"{path}.date",
            "RenderCV shows start_date/end_date when both are given; the single date was not used",
            n.items["date"],
        )
        single = None
    if end and not start and not single:
        single, end = (None, end) if end == "present" else (end, None)
    highlights = n.items.get("highlights")
    lines = [text(h) for h in highlights.items] if isinstance(highlights, Seq) else []
    details = [bullet(line, nested=True) for line in lines if line]
    if kind == "education" and get(n, "grade"):
        details.append(f"Grade: {get(n, 'grade')}")
    url = web_url(get(n, "url"))
    _extra(imp, n, path, used | _DATED_KEYS)
    return entry(
        title=title,
        organization=organization,
        subtitle=get(n, "summary"),
        location=get(n, "location"),
        start=start,
        end=end,
        date=single,
        details=details,
        links=[{"label": "link", "url": url}] if url else [],
    )


_ELLIPSIS = re.compile(r"^(\.[\s.]*|…|et al\.?|others)$", re.IGNORECASE)
_EQUAL_NOTE = re.compile(r"first author|equal(ly)? contribut|contributed equally", re.IGNORECASE)
_CORRESPONDING_NOTE = re.compile(r"corresponding", re.IGNORECASE)


def parse_author(raw: str) -> tuple[str, bool, str, str]:
    """(name, is the CV's owner, marks, a note left over) from '*Jane Doe*', '**Jane Doe***',
    'Jane Doe†', '***Doe, J.*** (first author)'. Notes about first or corresponding authorship
    become the * and † marks; '...' is BibTeX's 'others'."""
    raw = raw.strip()
    owner = re.fullmatch(r"(\*{1,3})(.+?)\1(.*)", raw)
    name, rest = (owner.group(2).strip(), owner.group(3)) if owner else (raw, "")
    if not owner:
        m = re.fullmatch(r"(.+?)((?:\s*[*†‡]+)?(?:\s*\([^()]*\))*)", raw)
        name, rest = (m.group(1).strip(), m.group(2)) if m else (raw, "")
    if _ELLIPSIS.match(name):
        return "others", False, "", ""
    marks = "".join(re.findall(r"[*†‡]", re.sub(r"\([^()]*\)", "", rest)))
    notes = []
    for note in re.findall(r"\(([^()]*)\)", rest):
        if _EQUAL_NOTE.search(note):
            marks += "*"
        elif _CORRESPONDING_NOTE.search(note):
            marks += "†"
        else:
            notes.append(note)
    return name, owner is not None, marks, "; ".join(notes)


def _publication(imp: Imported, n: Map, path: str) -> str:
    """The publication's BibTeX key, once it is added to imp.publications."""
    authors, equal, corresponding = [], [], []
    node = n.items.get("authors")
    for i, a in enumerate(node.items if isinstance(node, Seq) else []):
        raw = text(a)
        if not raw:
            continue
        name, owner, marks, note = parse_author(raw)
        if note:
            imp.leave(
                a, f"{path}.authors[{i}]", f"the note ({note}) after {name} has no place in BibTeX's author list", a
            )
        authors.append(name)
        if owner and name not in imp.owner:
            imp.owner.append(name)
        if "*" in marks:
            equal.append(str(len(authors)))
        if "†" in marks or "‡" in marks:
            corresponding.append(str(len(authors)))
    # BibTeX's 'others' (et al.) ends a list; authors left out mid-list stay an ellipsis, as written.
    authors = [a if a != "others" or i == len(authors) - 1 else "…" for i, a in enumerate(authors)]
    fields: dict[str, str] = {"title": text(n.items.get("title")) or ""}
    venue = text(n.items.get("journal"))
    when = date(imp, n.items.get("date"), f"{path}.date")
    if when and when != "present":
        fields["year"] = when[:4]
        if len(when) >= 7 and when[4] == "-":
            fields["month"] = str(int(when[5:7]))
    for key in ("doi", "url") + _BIB_FIELDS:  # the last are not RenderCV's, but BibTeX has a place for them
        if text(n.items.get(key)):
            fields[key] = text(n.items[key]) or ""
    if equal:
        fields["equal_contribution"] = ",".join(equal)
    if corresponding:
        fields["corresponding"] = ",".join(corresponding)
    record = BibRecord(venue_type(venue), fields, authors)
    if venue:
        fields[{"inproceedings": "booktitle", "misc": "howpublished"}.get(record.type, "journal")] = venue
    _extra(imp, n, path, {"title", "authors", "journal", "date", "doi", "url", *_BIB_FIELDS})
    return imp.add(record)


_BIB_FIELDS = ("volume", "number", "pages", "publisher", "note", "eprint", "abstract")
_CONFERENCE = re.compile(
    r"conference|proceedings|workshop|symposium|\b(NeurIPS|NIPS|ICML|ICLR|CVPR|ICCV|ECCV|"
    r"ACL|EMNLP|NAACL|COLING|AAAI|IJCAI|KDD|SIGIR|SIGGRAPH|CHI|WWW|ICRA|IROS|UAI|"
    r"AISTATS|COLT|MICCAI|INTERSPEECH|ICASSP)\b",
    re.IGNORECASE,
)


def venue_type(venue: str | None) -> str:
    """The BibTeX type a venue's name suggests: a preprint server, a conference, else a journal."""
    if not venue:
        return "misc"
    if re.search(r"arxiv|rxiv|preprint", venue, re.IGNORECASE):
        return "misc"
    return "inproceedings" if _CONFERENCE.search(venue) else "article"


def _design(imp: Imported, design: Map) -> None:
    for key, node in design.items.items():
        path = f"design.{key}"
        if key == "theme":
            theme = (text(node) or "").lower()
            if theme in _THEMES:
                imp.design["theme"] = _THEMES[theme]
                if theme != _THEMES[theme]:
                    imp.note(
                        node,
                        path,
                        f"RenderCV's {theme} theme has no twin here; the closest, {_THEMES[theme]}, was chosen",
                    )
            else:
                imp.leave(node, path, f"no theme like RenderCV's {theme!r}; the default (classic) is used", node)
        elif key == "page" and isinstance(node, Map):
            _page(imp, node, path)
        elif key == "colors" and isinstance(node, Map):
            _colors(imp, node, path)
        elif key == "templates" and isinstance(node, Map):
            _templates(imp, node, path)
        elif key in ("page_size",):  # 1.x
            _size(imp, node, path)
        elif key == "color":  # 1.x
            _color(imp, node, path)
        elif key == "margins" and isinstance(node, Map) and isinstance(node.items.get("page"), Map):  # 1.x
            _margins(imp, node.items["page"], f"{path}.page", {k: k for k in ("top", "bottom", "left", "right")})
        elif not empty(node):
            imp.leave(design.keys[key], path, "this design setting has no equivalent in cv_builder", node)


def _page(imp: Imported, page: Map, path: str) -> None:
    sides = {f"{s}_margin": s for s in ("top", "bottom", "left", "right")}
    for key, node in page.items.items():
        if key == "size":
            _size(imp, node, f"{path}.size")
        elif key in _FOOTER and isinstance(node.value, bool):
            footer = imp.design.setdefault("footer", {})
            footer.update(dict.fromkeys(_FOOTER[key], node.value))
        elif key not in sides and not empty(node):
            imp.leave(page.keys[key], f"{path}.{key}", "this page setting has no equivalent in cv_builder", node)
    _margins(imp, page, path, sides)


def _margins(imp: Imported, node: Map, path: str, sides: dict[str, str]) -> None:
    for key, side in sides.items():
        value = text(node.items.get(key))
        if value is None:
            continue
        if re.fullmatch(r"\d+(\.\d+)?(cm|mm|in|pt|em)", value):
            imp.design.setdefault("margins", {})[side] = value
        else:
            imp.leave(
                node.items[key],
                f"{path}.{key}",
                f"the margin {value!r} is not a length in cm, mm, in, pt or em",
                node.items[key],
            )


def _size(imp: Imported, node: Node, path: str) -> None:
    size = (text(node) or "").lower()
    if size in _PAGE_SIZES:
        imp.design["paper"] = _PAGE_SIZES[size]
    else:
        imp.leave(node, path, f"cv_builder prints on A4 or US letter, not {size!r}", node)


def _colors(imp: Imported, colors: Map, path: str) -> None:
    """cv_builder has one accent colour: RenderCV's section-title colour (else the name's) becomes it."""
    for key in ("section_titles", "name"):
        if key in colors.items and _color(imp, colors.items[key], f"{path}.{key}", report=False):
            break
    others = {k: v for k, v in colors.items.items() if k not in ("section_titles", "name") and not empty(v)}
    for key, node in others.items():
        imp.leave(
            colors.keys[key],
            f"{path}.{key}",
            "cv_builder has one accent colour (from section_titles or name); this one has no equivalent",
            node,
        )


def _color(imp: Imported, node: Node, path: str, report: bool = True) -> bool:
    value = text(node) or ""
    m = re.fullmatch(r"rgb\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)", value)
    if m and all(int(c) <= 255 for c in m.groups()):
        imp.design["accent_color"] = "#" + "".join(f"{int(c):02X}" for c in m.groups())
        return True
    if re.fullmatch(r"#[0-9A-Fa-f]{6}", value):
        imp.design["accent_color"] = value.upper()
        return True
    if report or value:
        imp.leave(node, path, f"the colour {value!r} is not rgb(R, G, B) or #RRGGBB", node)
    return False


def _templates(imp: Imported, templates: Map, path: str) -> None:
    for key, node in templates.items.items():
        style = text(node) if key == "single_date" else None
        if style in _DATE_STYLES:
            imp.design["date_format"] = _DATE_STYLES[style]
        elif not empty(node):
            imp.leave(
                templates.keys[key],
                f"{path}.{key}",
                "RenderCV's text templates have no equivalent in cv_builder (its themes lay entries out)",
                node,
            )
