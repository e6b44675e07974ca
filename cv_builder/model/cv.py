"""Model stage: typed, validated CV objects built from the located YAML tree.

The dataclasses below are the schema. One generic walker (`Validator`)
reads their type hints, so validation, error messages and the JSON Schema
(`schema.py`) all come from the same definitions.
"""

from __future__ import annotations

import calendar
import dataclasses
import difflib
import re
import typing
from dataclasses import dataclass, field
from types import UnionType
from typing import Any, Literal, Union

from ..errors import InputError, Problem, shorten
from .load import Map, Node, Scalar, Seq


def _close(word: str, choices: list[str], n: int = 1, cutoff: float = 0.6) -> list[str]:
    return difflib.get_close_matches(word, choices, n, cutoff)


# --- value types -------------------------------------------------------------


class Str(str):
    """Text from the user's data; `where` says where it came from, for warnings."""

    where = ""


def located(cls, text: str, where: str):
    value = cls(text)
    value.where = where
    return value


class Text(Str):
    """Text with safe inline markup: **bold**, *italic*, `code`, [label](url)."""

    details: tuple = ()  # a bullet's sub-bullets (see Detail)


class Url(Str):
    """An http(s) or mailto URL."""


class Email(Str):
    """An e-mail address."""


class Length(Str):
    """A TeX length such as 2cm, 0.75in, 18mm or 12pt."""


class Color(Str):
    """A colour as #RRGGBB."""


class DateFormat(Str):
    """A date pattern with YYYY, MM, M, DD, D, Month, Mon, e.g. 'D Month YYYY' or 'YYYY年M月D日'."""

    TOKENS = re.compile(r"YYYY|Month|Mon|MM|DD|M|D")

    def render(self, day) -> str:
        month = MONTHS[day.month - 1]
        values = {
            "YYYY": f"{day.year}",
            "Month": month,
            "Mon": month[:3],
            "MM": f"{day.month:02d}",
            "DD": f"{day.day:02d}",
            "M": f"{day.month}",
            "D": f"{day.day}",
        }
        return self.TOKENS.sub(lambda m: values[m.group(0)], str(self))


MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_SEASON_RE = re.compile(r"^(Spring|Summer|Fall|Autumn|Winter) (\d{4})$")


@dataclass(frozen=True)
class Date:
    """YYYY, YYYY-MM, YYYY-MM-DD, a term such as 'Spring 2025', or present."""

    year: int = 0
    month: int = 0
    day: int = 0
    season: str = ""
    present: bool = False

    @classmethod
    def parse(cls, text: str) -> Date:
        text = text.strip()
        if text.lower() == "present":
            return cls(present=True)
        m = _SEASON_RE.match(text)
        if m:
            return cls(year=int(m.group(2)), season=m.group(1))
        m = _DATE_RE.match(text)
        if not m:
            raise ValueError("expected YYYY, YYYY-MM, YYYY-MM-DD, 'Spring 2025' or present")
        year, month, day = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
        if m.group(2) and not 1 <= month <= 12:
            raise ValueError(f"month {m.group(2)} is not 01-12")
        if m.group(3):
            if not 1 <= day <= calendar.monthrange(year, month)[1]:
                raise ValueError(f"day {m.group(3)} does not exist in {year}-{m.group(2)}")
        return cls(year=year, month=month, day=day)

    def sort_key(self) -> tuple:
        if self.present:
            return (9999, 99, 99)
        season_month = {"Spring": 2, "Summer": 6, "Fall": 9, "Autumn": 9, "Winter": 12}.get(self.season, 0)
        return (self.year, self.month or season_month, self.day)

    def format(self, fmt: str = "YYYY.MM") -> str:
        if self.present:
            return "present"
        if self.season:
            return f"{self.season} {self.year}"
        if not self.month or fmt == "YYYY":
            return str(self.year)
        mon = MONTHS[self.month - 1]
        return {
            "YYYY.MM": f"{self.year}.{self.month:02d}",
            "YYYY-MM": f"{self.year}-{self.month:02d}",
            "MM/YYYY": f"{self.month:02d}/{self.year}",
            "Mon YYYY": f"{mon[:3]} {self.year}" if mon != "May" else f"May {self.year}",
            "Month YYYY": f"{mon} {self.year}",
        }[fmt]


# --- the schema --------------------------------------------------------------


def doc(text: str, default: Any = dataclasses.MISSING, factory: Any = dataclasses.MISSING) -> Any:
    """A dataclass field with a description (used in errors and the JSON Schema)."""
    if factory is not dataclasses.MISSING:
        return field(default_factory=factory, metadata={"doc": text})
    return field(default=default, metadata={"doc": text})


@dataclass
class Link:
    """A link: text and where it points."""

    label: str = doc("text shown for the link")
    url: Url = doc("where it points (http, https or mailto)")


@dataclass
class Person:
    """Who the CV is about: name, position, contacts."""

    name: str = doc("full name as it heads the CV")
    position: str | None = doc("current position, e.g. Ph.D. Student", None)
    affiliation: Text | None = doc("group, department, institution", None)
    email: Email | None = doc("e-mail address", None)
    phone: str | None = doc("phone number", None)
    location: str | None = doc("city, country", None)
    homepage: Url | None = doc("personal homepage URL", None)
    github: str | None = doc("GitHub user name", None)
    scholar: str | None = doc("Google Scholar user id (the user= part of the profile URL)", None)
    orcid: str | None = doc("ORCID iD, e.g. 0000-0002-1825-0097", None)
    linkedin: str | None = doc("LinkedIn profile name (linkedin.com/in/NAME)", None)
    x: str | None = doc("X (Twitter) handle without @", None)
    links: list[Link] = doc("further links shown in the header", factory=list)


@dataclass
class Mark:
    """A mark on author names (e.g. * for equal contribution): symbol and legend."""

    symbol: str = doc("printed after the author's name, e.g. * or †")
    legend: str = doc("one-line explanation printed under the list when the mark is used")


@dataclass
class Publications:
    """How publications are read from the .bib and shown."""

    bib: str = doc("BibTeX file, relative to cv.yaml", "publications.bib")
    owner: list[str] = doc(
        "your name as it appears in author lists; variants are matched ignoring case, accents and initials",
        factory=list,
    )
    author_format: Literal["full", "initials"] = doc("Heming Xia or H. Xia", "full")
    author_order: Literal["given-family", "family-given"] = doc("name order", "given-family")
    max_authors: int | None = doc("shorten longer author lists with et al. (your name stays visible)", None)
    venue_style: Literal["short", "full"] = doc("venue_short/abbr, or the full booktitle/journal", "short")
    marks: dict[str, Mark] = doc(
        "marks by BibTeX field: equal_contribution, corresponding or your own field holding 1-based author positions",
        factory=dict,
    )
    links: dict[str, str | None] = doc(
        "BibTeX field -> link label, e.g. jiqizhixin: 机器之心; null hides a link", factory=dict
    )
    link_order: list[str] = doc("BibTeX fields in the order their links are printed", factory=list)
    pdf_base_url: Url | None = doc(
        "where pdf = {paper.pdf} and other file names in the .bib are "
        "published, e.g. https://you.github.io/assets/pdf/ (al-folio)",
        None,
    )


@dataclass
class Margins:
    """Page margins, per side."""

    top: Length | None = doc("top margin (default: margin)", None)
    bottom: Length | None = doc("bottom margin (default: margin)", None)
    left: Length | None = doc("left margin (default: margin)", None)
    right: Length | None = doc("right margin (default: margin)", None)


@dataclass
class Footer:
    """What the page footer shows."""

    name: bool = doc("your name on the left", True)
    page_numbers: bool = doc("'Page X of Y' in the middle", True)
    last_updated: bool = doc("'Last updated <date>' on the right", True)


@dataclass
class Design:
    """The look: theme, paper, font size, colour, margins, dates, sections, footer, PDF metadata."""

    theme: str = doc("theme (see `python -m cv_builder themes`)", "classic")
    paper: Literal["a4", "letter"] = doc("paper size", "a4")
    font_size: Literal["10pt", "11pt", "12pt"] = doc("base font size", "10pt")
    accent_color: Color = doc("accent colour as #RRGGBB", Color("#1F3F6E"))
    margin: Length = doc("page margin, all sides", Length("1.8cm"))
    margins: Margins | None = doc("per-side margins overriding margin", None)
    date_format: Literal["YYYY.MM", "Mon YYYY", "Month YYYY", "YYYY", "MM/YYYY", "YYYY-MM"] = doc(
        "how dates are printed", "YYYY.MM"
    )
    section_order: list[str] = doc(
        "section ids or titles printed first, in this order; the others follow in file order", factory=list
    )
    section_titles: dict[str, str] = doc("section id or title -> the heading printed instead", factory=dict)
    footer: bool | Footer = doc("true/false for the whole footer, or which parts to show", True)
    pdf_title: str | None = doc("PDF title metadata (default: NAME – Curriculum Vitae)", None)
    pdf_author: str | None = doc("PDF author metadata (default: person.name)", None)
    pdf_subject: str | None = doc("PDF subject metadata", None)
    pdf_keywords: list[str] = doc("PDF keywords metadata", factory=list)
    given: frozenset = field(default=frozenset(), metadata={"internal": True})  # keys set in the YAML

    @property
    def parts(self) -> Footer:
        """The footer as its three switches."""
        if isinstance(self.footer, Footer):
            return self.footer
        return Footer(self.footer, self.footer, self.footer)


@dataclass
class Homepage:
    """What the homepage snippets show (link label, date format, publications section)."""

    label: str = doc("text of the homepage's CV link", "CV")
    date_format: DateFormat = doc("the link's 'updated' date: YYYY, MM, M, DD, D, Month, Mon", DateFormat("YYYY-MM-DD"))
    section: str | None = doc("title of the publications section listed on the homepage (default: the first)", None)


@dataclass
class Detail:
    """A bullet point with sub-bullets."""

    text: Text = doc("the bullet's text")
    details: list[Text] = doc("its sub-bullets", factory=list)


@dataclass
class DatedEntry:
    """An entry with dates: a position, degree, talk, award, ..."""

    title: Text = doc("what: degree, role, ...")
    organization: Text | None = doc("where: institution, company", None)
    subtitle: Text | None = doc("a second line: group, advisor, ...", None)
    location: str | None = doc("city, country", None)
    start: Date | None = doc("start date", None)
    end: Date | None = doc("end date or present", None)
    date: Date | None = doc("a single date (instead of start/end)", None)
    details: list[Text | Detail] = doc(
        "bullet points; a bullet with sub-bullets is {text: ..., details: [...]}", factory=list
    )
    links: list[Link] = doc("links printed after the entry", factory=list)
    tags: list[str] = doc("tags for variants", factory=list)


@dataclass
class Item:
    """One line of text, with an optional date and links."""

    text: Text = doc("the line's text")
    date: Date | None = doc("date printed on the right", None)
    links: list[Link] = doc("links printed after the text", factory=list)
    tags: list[str] = doc("tags for variants", factory=list)


@dataclass
class Pair:
    """A label and its value."""

    key: str = doc("the label on the left, e.g. a year")
    value: Text = doc("the text on the right")
    tags: list[str] = doc("tags for variants", factory=list)


@dataclass
class PublicationFilter:
    """Which publications a section lists."""

    selected: bool | None = doc("only entries with selected = {true}", None)
    categories: list[Literal["journal", "conference", "workshop", "preprint", "thesis", "book", "other"]] = doc(
        "only these categories", factory=list
    )
    keywords: list[str] = doc("only entries with one of these keywords", factory=list)
    years: list[int | None] = doc("[from, to], either may be null", factory=list)
    keys: list[str] = doc("only these BibTeX keys", factory=list)
    first_author: bool | None = doc("only papers where an owner is first or co-first author", None)


ENTRY_KINDS = {"entries": DatedEntry, "items": Item, "pairs": Pair}


@dataclass
class Group:
    """Entries under a subheading within a section."""

    title: str = doc("subheading inside the section")
    entries: list = doc("the group's entries, of the section's kind", factory=list)


@dataclass
class Section:
    """One section of the CV."""

    title: str = doc("section heading")
    id: str | None = doc(
        "a short name for design.section_order, section_titles and variants (default: the title)", None
    )
    kind: Literal["entries", "items", "pairs", "text", "publications"] = doc(
        "entries: dated entries; items: one-line items; pairs: key/value lines; "
        "text: a paragraph; publications: the list from the .bib",
        "entries",
    )
    entries: list = doc("the section's entries, of its kind", factory=list)
    groups: list[Group] = doc("entries under subheadings", factory=list)
    text: Text | None = doc("the paragraph of a text section", None)
    hidden: bool = doc("keep in the data but leave out of the CV", False)
    tags: list[str] = doc("tags for variants", factory=list)
    filter: PublicationFilter | None = doc("publications: which entries", None)
    sort: Literal["newest", "bib"] = doc("publications: newest first or .bib order", "newest")
    group: Literal["none", "year", "category"] = doc("publications: grouping", "none")
    numbering: Literal["none", "plain", "category"] = doc("publications: [1] or [C1] numbers", "none")
    number_order: Literal["up", "down"] = doc("publications: count up or down", "down")
    counts: bool = doc("publications: print 'N papers, M as first or co-first author'", False)


@dataclass
class Variant:
    """Another version of the CV: its sections, tags, publication filter and design."""

    description: str = doc("one line describing the variant", "")
    sections: list[str] = doc("only these sections (ids or titles); lists a hidden one to show it", factory=list)
    include_tags: list[str] = doc(
        "sections and entries that carry tags must carry one of these; untagged ones stay", factory=list
    )
    exclude_tags: list[str] = doc("leave out sections and entries carrying any of these", factory=list)
    publications: PublicationFilter | None = doc(
        "a filter applied to every publications section (its keys replace the section's)", None
    )
    design: Design | None = doc("design options that replace the file's for this variant", None)


@dataclass
class CV:
    """The whole CV."""

    person: Person = doc("who the CV is about")
    sections: list[Section] = doc("the CV's sections, in order", factory=list)
    publications: Publications = doc("how the .bib is read and shown", factory=Publications)
    design: Design = doc("page and typography options", factory=Design)
    homepage: Homepage = doc("the link and publication list written for the homepage", factory=Homepage)
    variants: dict[str, Variant] = doc("named selections built with --variant NAME", factory=dict)
    file: str = field(default="", metadata={"internal": True})
    variants_at: tuple = field(default=("", 0, 0), metadata={"internal": True})  # where `variants:` is


PUBLICATION_OPTIONS = ("filter", "sort", "group", "numbering", "number_order", "counts")


# --- the validator -----------------------------------------------------------

_URL_RE = re.compile(r"^(https?://[^\s/?#]+[^\s]*|https?://\S.*|mailto:[^@\s]+@[^@\s]+)$", re.I)
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LENGTH_RE = re.compile(r"^\d+(\.\d+)?(cm|mm|in|pt|em)$")
_COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
_DATE_FORMAT_RE = re.compile(r"^(?=.*YYYY).{4,40}$")


def _fields(cls) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if not f.metadata.get("internal")]


_HINTS: dict = {}


# `Optional[X]` has origin Union, `X | None` has origin types.UnionType: both are unions here.
UNIONS = (Union, UnionType)


def hints(cls) -> dict:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def describe(tp) -> str:
    """What a type expects, in words."""
    origin = typing.get_origin(tp)
    if origin in UNIONS:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return " or ".join(describe(a) for a in args)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin is list:
        return "a list"
    if origin is dict or tp is dict:
        return "a mapping"
    if dataclasses.is_dataclass(tp) and tp is not Date:
        return "a mapping"
    return {
        str: "text",
        Text: "text",
        Url: "a URL (https://...)",
        Email: "an e-mail address",
        Date: "a date (YYYY, YYYY-MM, YYYY-MM-DD, 'Spring 2025' or present)",
        int: "a whole number",
        bool: "true or false",
        Length: "a length like 2cm or 0.75in",
        Color: "a colour like #1F3F6E",
        DateFormat: "a date pattern with YYYY, e.g. D Month YYYY",
        list: "a list",
    }.get(tp, str(tp))


class Validator:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def error(self, node: Node, path: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(message, node.file or self.file, node.line, node.column, path, hint))

    def value(self, tp, node: Node, path: str):
        origin = typing.get_origin(tp)
        if origin in UNIONS:
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if (
                type(None) in typing.get_args(tp)
                and isinstance(node, Scalar)
                and node.value is None
                and not node.quoted
            ):
                return None
            # bool | Record: a mapping picks the record, anything else the first type
            records = [a for a in args if dataclasses.is_dataclass(a) and a is not Date]
            if isinstance(node, Map) and records:
                return self.value(records[0], node, path)
            return self.value(args[0], node, path)
        if origin is list or tp is list:
            (item,) = typing.get_args(tp) or (Any,)
            if not isinstance(node, Seq):
                self.error(
                    node,
                    path,
                    f"expected a list, got {_show(node)}",
                    "write each item on its own line starting with '- '",
                )
                return []
            return [self.value(item, n, f"{path}[{i}]") for i, n in enumerate(node.items)]
        if origin is dict:
            _, item = typing.get_args(tp)
            if not isinstance(node, Map):
                self.error(node, path, f"expected a mapping, got {_show(node)}")
                return {}
            return {k: self.value(item, v, f"{path}.{k}") for k, v in node.items.items()}
        if origin is Literal:
            choices = typing.get_args(tp)
            text = self.scalar(node, path)
            if text is None:
                return choices[0]
            if text not in choices:
                close = _close(text, [str(c) for c in choices], 1)
                self.error(
                    node,
                    path,
                    f"{shorten(text)!r} is not {describe(tp)}",
                    f"did you mean {close[0]!r}?" if close else "",
                )
                return choices[0]
            return text
        if dataclasses.is_dataclass(tp) and tp is not Date:
            return self.record(tp, node, path)
        if tp is Any:
            return node
        return self.leaf(tp, node, path)

    def scalar(self, node: Node, path: str) -> str | None:
        if not isinstance(node, Scalar):
            self.error(node, path, f"expected a single value, got {_show(node)}")
            return None
        return node.raw

    def leaf(self, tp, node: Node, path: str):
        if not isinstance(node, Scalar):
            self.error(node, path, f"expected {describe(tp)}, got {_show(node)}")
            return tp() if tp in (str, Text, int, bool) else None
        if node.value is None and not node.quoted:
            self.error(node, path, f"is empty; expected {describe(tp)}")
            return tp() if tp in (str, Text, int, bool) else None
        if tp is bool:
            if not isinstance(node.value, bool):
                self.error(node, path, f"{shorten(node.raw)!r} is not true or false")
                return False
            return node.value
        if tp is int:
            if not isinstance(node.value, int) or isinstance(node.value, bool):
                self.error(node, path, f"{shorten(node.raw)!r} is not a whole number")
                return 0
            return node.value
        text = node.raw
        if tp is Date:
            try:
                return Date.parse(text)
            except ValueError as exc:
                self.error(node, path, f"invalid date {shorten(text)!r}: {exc}")
                return None
        if not text.strip():
            self.error(node, path, f"is empty; expected {describe(tp)}")
            return tp(text)
        checks = {
            Url: (_URL_RE, "start it with https://"),
            Email: (_EMAIL_RE, "write it as name@host.org"),
            Length: (_LENGTH_RE, "use cm, mm, in or pt"),
            Color: (_COLOR_RE, "write it as #RRGGBB"),
            DateFormat: (
                _DATE_FORMAT_RE,
                "include YYYY; also MM, M, DD, D, Month, Mon, e.g. YYYY-MM-DD or D Month YYYY",
            ),
        }
        if tp in checks:
            regex, hint = checks[tp]
            if not regex.match(text.strip()):
                self.error(node, path, f"{shorten(text)!r} is not {describe(tp)}", hint)
            return located(tp, text.strip(), self.where(node, path))
        return located(Str if tp is str else tp, text, self.where(node, path))

    def where(self, node: Node, path: str) -> str:
        return f"{node.file}:{node.line}:{node.column}: {path}"

    def record(self, cls, node: Node, path: str, skip: tuple = ()):
        if not isinstance(node, Map):
            self.error(
                node,
                path or "(top level)",
                f"expected a mapping with keys {', '.join(f.name for f in _fields(cls))}; got {_show(node)}",
            )
            return None
        known = {f.name: f for f in _fields(cls)}
        types = hints(cls)
        values: dict[str, Any] = {}
        for key, child in node.items.items():
            here = f"{path}.{key}" if path else key
            if key in skip:
                continue
            if key not in known:
                close = _close(key, list(known), 1, 0.6)
                hint = f"did you mean {close[0]!r}?" if close else "allowed keys: " + ", ".join(known)
                self.error(node.keys[key], here, f"unknown key {shorten(key)!r}", hint)
                continue
            values[key] = self.value(types[key], child, here)
        for name, f in known.items():
            if (
                name not in values
                and name not in skip
                and f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING
            ):
                here = f"{path}.{name}" if path else name
                self.error(node, here, f"missing required key {name!r} ({f.metadata.get('doc', '')})")
                values[name] = None
        try:
            obj = cls(**{k: v for k, v in values.items()})
        except TypeError:
            return None
        if "given" in {f.name for f in dataclasses.fields(cls)}:
            obj.given = frozenset(values)
        return obj


def _show(node: Node) -> str:
    if isinstance(node, Map):
        return "a mapping"
    if isinstance(node, Seq):
        return "a list"
    assert isinstance(node, Scalar)  # the only other kind of Node
    return repr(shorten(node.raw))


def build(tree: Map, file: str) -> CV:
    """Validate the whole tree; raise InputError with every problem at once."""
    v = Validator(file)
    sections = tree.items.get("sections")
    cv = v.record(CV, tree, "", skip=("sections",))
    result_sections = []
    if sections is not None:
        if not isinstance(sections, Seq):
            v.error(sections, "sections", f"expected a list of sections, got {_show(sections)}")
        else:
            for i, node in enumerate(sections.items):
                section = _section(v, node, f"sections[{i}]")
                if section is not None:
                    result_sections.append(section)
    if cv is not None:
        cv.sections = result_sections
        cv.file = file
        key = tree.keys.get("variants")
        cv.variants_at = (key.file or file, key.line, key.column) if key else (file, 0, 0)
        _check_cv(v, cv, tree)
    if v.problems:
        raise InputError(v.problems)
    return cv


def _section(v: Validator, node: Node, path: str) -> Section | None:
    section = v.record(Section, node, path, skip=("entries", "groups"))
    if section is None or not isinstance(node, Map):  # record() reported a node that is not a mapping
        return None
    kind_cls = ENTRY_KINDS.get(section.kind)
    entries_node = node.items.get("entries")
    groups_node = node.items.get("groups")
    if section.kind in ("text", "publications"):
        for key, n in (("entries", entries_node), ("groups", groups_node)):
            if n is not None:
                v.error(
                    node.keys[key],
                    f"{path}.{key}",
                    f"a {section.kind} section has no {key}",
                    "use kind: entries, items or pairs for a list",
                )
        if section.kind == "text" and not section.text:
            v.error(node, f"{path}.text", "a text section needs text")
    else:
        if section.text is not None:
            v.error(
                node.keys["text"],
                f"{path}.text",
                f"a {section.kind} section has no text",
                "use kind: text for a paragraph",
            )
        if entries_node is not None:
            section.entries = _entries(v, kind_cls, entries_node, f"{path}.entries")
        if groups_node is not None:
            if not isinstance(groups_node, Seq):
                v.error(groups_node, f"{path}.groups", f"expected a list, got {_show(groups_node)}")
            else:
                for i, g in enumerate(groups_node.items):
                    gpath = f"{path}.groups[{i}]"
                    group = v.record(Group, g, gpath, skip=("entries",))
                    if group is not None:
                        if "entries" in g.items:
                            group.entries = _entries(v, kind_cls, g.items["entries"], f"{gpath}.entries")
                        section.groups.append(group)
        if entries_node is None and groups_node is None:
            v.error(
                node,
                f"{path}.entries",
                f"section {section.title!r} has no entries",
                "add entries: or groups:, or mark it hidden: true",
            )
    if section.kind != "publications":
        for key in PUBLICATION_OPTIONS:
            if key in node.items:
                v.error(node.keys[key], f"{path}.{key}", f"{key!r} only applies to kind: publications")
    return section


def _entries(v: Validator, cls, node: Node, path: str) -> list:
    if not isinstance(node, Seq):
        v.error(node, path, f"expected a list of entries, got {_show(node)}", "start each entry with '- '")
        return []
    out = []
    for i, n in enumerate(node.items):
        here = f"{path}[{i}]"
        if cls is Item and isinstance(n, Scalar) and n.value is not None:
            out.append(Item(text=located(Text, n.raw, v.where(n, here))))  # a plain string is a one-line item
            continue
        entry = v.record(cls, n, here)
        if entry is None:
            continue
        if cls is DatedEntry:
            _check_dates(v, entry, n, here)
            entry.details = [_bullet(d) for d in entry.details]
        out.append(entry)
    return out


def _bullet(detail):
    """A bullet as Text; one with sub-bullets carries them as its `details`."""
    if isinstance(detail, Detail):
        text = located(Text, detail.text or "", getattr(detail.text, "where", ""))
        text.details = tuple(detail.details)
        return text
    return detail


def _check_dates(v: Validator, e: DatedEntry, node: Map, path: str) -> None:
    if e.date and (e.start or e.end):
        v.error(node.keys["date"], f"{path}.date", "use either date or start/end, not both")
    if e.start and e.start.present:
        v.error(node.items["start"], f"{path}.start", "a start date cannot be 'present'")
    if e.start and e.end and not e.end.present and e.end.sort_key() < e.start.sort_key():
        v.error(
            node.items["end"],
            f"{path}.end",
            f"ends ({node.items['end'].raw}) before it starts ({node.items['start'].raw})",
        )


def _check_cv(v: Validator, cv: CV, tree: Map) -> None:
    pubs = tree.items.get("publications")
    if cv.publications is not None and isinstance(pubs, Map):
        if cv.publications.max_authors is not None and cv.publications.max_authors < 1:
            v.error(pubs.items["max_authors"], "publications.max_authors", "must be at least 1")
    home = tree.items.get("homepage")
    if cv.homepage is not None and cv.homepage.section is not None and isinstance(home, Map):
        titles = [str(s.title) for s in cv.sections if s.kind == "publications"]
        if cv.homepage.section not in titles:
            close = _close(cv.homepage.section, titles, 1)
            v.error(
                home.items["section"],
                "homepage.section",
                f"no publications section is titled {shorten(cv.homepage.section)!r}",
                f"did you mean {close[0]!r}?"
                if close
                else "publications sections: " + (", ".join(map(repr, titles)) or "none"),
            )
    names = [n for s in cv.sections for n in (s.id, s.title) if n]  # a missing title is reported already
    design = tree.items.get("design")
    if cv.design is not None and isinstance(design, Map):
        _check_refs(v, design, "design", names)
    variants = tree.items.get("variants")
    if isinstance(variants, Map):
        for name, node in variants.items.items():
            if not isinstance(node, Map):
                continue
            here = f"variants.{name}"
            _check_ref_list(v, node.items.get("sections"), f"{here}.sections", names)
            if isinstance(node.items.get("design"), Map):
                _check_refs(v, node.items["design"], f"{here}.design", names)


def find_section(sections: list, ref: str) -> int | None:
    """Index of the section whose id or title is `ref` (ignoring case), else None."""
    want = ref.strip().casefold()
    for i, s in enumerate(sections):
        if want in {(s.id or "").casefold(), (s.title or "").casefold()}:
            return i
    return None


def _check_refs(v: Validator, design: Map, path: str, names: list[str]) -> None:
    _check_ref_list(v, design.items.get("section_order"), f"{path}.section_order", names)
    titles = design.items.get("section_titles")
    if isinstance(titles, Map):
        for key, node in titles.keys.items():
            _check_ref(v, node, key, f"{path}.section_titles.{key}", names)


def _check_ref_list(v: Validator, node: Node | None, path: str, names: list[str]) -> None:
    if isinstance(node, Seq):
        for i, item in enumerate(node.items):
            if isinstance(item, Scalar) and item.value is not None:
                _check_ref(v, item, item.raw, f"{path}[{i}]", names)


def _check_ref(v: Validator, node: Node, ref: str, path: str, names: list[str]) -> None:
    folded = {n.casefold(): n for n in names}
    if ref.strip().casefold() in folded:
        return
    close = _close(ref.casefold(), list(folded), 1, 0.6)
    hint = f"did you mean {folded[close[0]]!r}?" if close else "sections: " + ", ".join(names)
    v.error(node, path, f"no section with id or title {shorten(ref)!r}", hint)
