"""Bibliography stage: `BibEntry`s into display-ready `Publication`s.

Everything here is plain Unicode text; the `latex` stage escapes it later.
`make_publications` turns every entry into a Publication once (names,
owner, marks, venue, links); `organise` then filters, sorts, groups and
numbers them for one CV section, without touching the shared objects.
"""

from __future__ import annotations

import re
import unicodedata
from copy import copy as shallow_copy
from dataclasses import dataclass, field
from functools import lru_cache

from ..errors import Report, warn_at
from .reader import BibEntry, crossref_parents, status_of
from .richtext import Name, located

# --------------------------------------------------------------------------
# Data


@dataclass
class Author:
    """One author of a publication, with the marks and highlight the CV shows."""

    given: str
    family: str
    von: str = ""
    jr: str = ""
    text: str = ""  # display form per options, e.g. "Heming Xia", "H. Xia", "Xia, Heming"
    owner: bool = False  # this is the CV owner -> highlighted by the template
    marks: list[str] = field(default_factory=list)  # symbols after the name, e.g. ["*"]
    corporate: bool = False
    ellipsis: bool = False  # a "…" standing for omitted authors when truncating


@dataclass
class Link:
    """A link shown after a publication, e.g. [code]."""

    label: str
    url: str
    kind: str  # the field it came from: url, code, slides, jiqizhixin, ...


@dataclass
class Publication:
    """A publication as the CV lists it: formatted authors, venue line, links and marks."""

    key: str
    entry_type: str
    category: str  # journal|conference|workshop|preprint|thesis|book|other
    title: str
    authors: list[Author]
    et_al: bool
    venue: str  # without the year: the template adds it unless venue_includes_year
    year: int | None
    month: int | None
    links: list[Link]
    notes: list[str]  # badges: Oral, Outstanding Paper, ...
    selected: bool
    keywords: list[str]
    abbr: str
    annotation: str
    number: str = ""  # "[3]" or "[J2]"; set by organise()
    file: str = ""
    line: int = 0
    status: str = ""  # "in press", "submitted", ...: not out yet (sorted as the newest)
    edited: bool = False  # the names are its editors (an edited volume without authors)

    @property
    def venue_includes_year(self) -> bool:
        """True when the venue text already shows the year ("ICLR 2025")."""
        return self.year is not None and str(self.year) in self.venue

    @property
    def venue_line(self) -> str:
        """Venue, year and status as printed, one rule for every template: a comma before
        the year ("Band 2, 2019", "Physical Review D 103, 024040, 2021"), but a space after
        a one-word venue ("ICLR 2025"); the year is not repeated; "Nature, in press"."""
        venue = self.venue
        if self.edited:
            venue = f"Edited volume, {venue}" if venue else "Edited volume"
        year = "" if self.year is None or self.venue_includes_year else str(self.year)
        if year:
            venue = f"{venue}{' ' if _is_acronym(venue) else ', '}{year}" if venue else year
        if self.status:
            venue = f"{venue}, {self.status}" if venue else self.status
        return venue


def _is_acronym(venue: str) -> bool:
    """ "ICLR", "NeurIPS": one word with two capitals, which reads best as "ICLR 2025"."""
    return " " not in venue and sum(c.isupper() for c in venue) >= 2


@dataclass
class Group:
    """Publications under one subheading (a year, a category), or all of them."""

    title: str  # "" when not grouped
    publications: list[Publication]


@dataclass
class PublicationList:
    """A publications section, organised: groups, the marks' legend, the counts line."""

    groups: list[Group]
    legend: list[tuple[str, str]]  # (symbol, text) for marks that appear in this list
    counts: str  # "17 papers, 8 as first or co-first author", or ""


@dataclass
class MarkSpec:
    """How a mark such as equal contribution is shown: its symbol and legend text."""

    symbol: str
    text: str


@dataclass
class LinkSpec:
    """A BibTeX field shown as a link, and its label."""

    field: str
    label: str


EQUAL_CONTRIBUTION = "equal_contribution"
CORRESPONDING = "corresponding"


def default_marks() -> dict[str, MarkSpec]:
    return {
        EQUAL_CONTRIBUTION: MarkSpec("*", "equal contribution"),
        CORRESPONDING: MarkSpec("†", "corresponding author"),
    }


def default_links() -> list[LinkSpec]:
    # al-folio's fields and buttons: `html` is the paper's HTML version, `supp` its supplement.
    return [
        LinkSpec(f, label)
        for f, label in (
            ("url", "paper"),
            ("pdf", "pdf"),
            ("arxiv", "arXiv"),
            ("html", "HTML"),
            ("supp", "supplement"),
            ("code", "code"),
            ("slides", "slides"),
            ("video", "video"),
            ("poster", "poster"),
            ("blog", "blog"),
            ("website", "website"),
            ("project", "project"),
        )
    ]


# al-folio links these fields, when not URLs, under its site's /assets/pdf/.
FILE_LINK_FIELDS = frozenset({"pdf", "supp", "poster", "slides"})


@dataclass
class BibOptions:
    """Global options, from cv.yaml's `publications:` block."""

    owner: list[str] = field(default_factory=list)  # name variants of the CV owner
    author_format: str = "full"  # full | initials
    author_order: str = "given-family"  # given-family | family-given
    max_authors: int | None = None
    marks: dict[str, MarkSpec] = field(default_factory=default_marks)  # bib field -> mark
    links: list[LinkSpec] = field(default_factory=default_links)
    venue_style: str = "short"  # short | full
    pdf_base_url: str = ""  # where relative pdf/supp/poster/slides files are (al-folio: SITE/assets/pdf/)


@dataclass
class SectionOptions:
    """One publications section of the CV."""

    filter: dict = field(default_factory=dict)  # selected, categories, keywords, years, keys
    sort: str = "newest"  # newest | bib
    group: str = "none"  # none | year | category
    numbering: str = "none"  # none | plain | category
    number_order: str = "down"  # up | down (down: the newest has the highest number)
    counts: bool = False


CATEGORIES = ("journal", "conference", "workshop", "preprint", "thesis", "book", "other")
CATEGORY_TITLES = {
    "journal": "Journal Articles",
    "conference": "Conference Papers",
    "workshop": "Workshop Papers",
    "preprint": "Preprints",
    "thesis": "Theses",
    "book": "Books",
    "other": "Other",
}
CATEGORY_PREFIX = {
    "journal": "J",
    "conference": "C",
    "workshop": "W",
    "preprint": "P",
    "thesis": "T",
    "book": "B",
    "other": "O",
}
# What users write in a `category`/`pubtype` field.
_CATEGORY_ALIASES = {
    "article": "journal",
    "journals": "journal",
    "inproceedings": "conference",
    "conferences": "conference",
    "proceedings": "conference",
    "workshops": "workshop",
    "preprints": "preprint",
    "arxiv": "preprint",
    "theses": "thesis",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "books": "book",
    "incollection": "book",
    "chapter": "book",
    "misc": "other",
}
NOTE_MAX = 40  # longer `note`s are prose, not badges
# al-folio's author marks (its bib.liquid strips * † ^ ¶ from a family name before matching);
# `^` prints as ‡, since a raised caret reads as TeX syntax.
NAME_MARKS = "*†‡§¶^"
_CARET_SHOWN = "‡"
_NAME_MARK_RE = re.compile("[" + re.escape(NAME_MARKS) + "]")


# --------------------------------------------------------------------------
# Names
#
# Ours, not bibtexparser's split_multiple_persons_names / parse_single_name_into_parts,
# although they split the tests' names alike: this stage runs on every build with
# publications, also when the parsed .bib comes from the cache, and importing bibtexparser
# would add ~25 ms to such a build; its splitter loops per character (4x slower on 1,000
# entries); and its name parts keep braces and al-folio's marks (`{van Gogh}`, `Xia*`).


def split_authors(field_text: str) -> list[str]:
    """Split a name list on " and " at brace depth 0 (case-insensitive); linear time."""
    if "{" not in field_text:
        return [n.strip() for n in _AND.split(field_text) if n.strip()]
    names: list[str] = []
    depth, start = 0, 0
    for match in _AND_OR_BRACE.finditer(field_text):
        token = match.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            names.append(field_text[start : match.start()])
            start = match.end()
    names.append(field_text[start:])
    return [n.strip() for n in names if n.strip()]


_AND_OR_BRACE = re.compile(r"[{}]|\s+and\s+", re.IGNORECASE)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def parse_name(text: str) -> Author:
    """One BibTeX name: "First von Last", "von Last, First" or "von Last, Jr, First"."""
    author = _new_author(text)
    author.text = display_name(author)
    return author


def _new_author(text: str) -> Author:
    given, family, von, jr, marks, corporate = _name_parts(text)
    return Author(given, family, von, jr, text=family if corporate else "", marks=list(marks), corporate=corporate)


@lru_cache(maxsize=16384)  # co-authors repeat across a CV's entries
def _name_parts(text: str) -> tuple[str, str, str, str, tuple[str, ...], bool]:
    text, marks = _take_marks(text.replace("\u00a0", " ").strip())
    if _is_single_group(text):
        return "", " ".join(text[1:-1].split()), "", "", tuple(marks), True
    parts = [p for p in _split_depth0(text, ",") if p.strip()] or [""]  # "Yuan*, Zhihang," has a stray comma
    if len(parts) == 1:
        given, von, family = _first_von_last(_words(parts[0]))
        jr: list[str] = []
    else:
        von, family = _von_last(_words(parts[0]))
        jr = _words(parts[1]) if len(parts) >= 3 else []
        given = _words(", ".join(parts[2:] if len(parts) >= 3 else parts[1:]))
    return _join(given), _join(family), _join(von), _join(jr), tuple(marks), False


def _take_marks(text: str) -> tuple[str, list[str]]:
    """al-folio writes `Xia*, Heming`: symbols at brace depth 0 are marks, not name."""
    if not _NAME_MARK_RE.search(text):
        return text, []
    kept, marks, depth = [], [], 0
    for i, char in enumerate(text):
        depth += (char == "{") - (char == "}")
        if depth == 0 and char in NAME_MARKS:
            if char == "^" and text[i + 1 : i + 2] and text[i + 1] in NAME_MARKS.replace("^", ""):
                continue  # Xia$^*$ decodes to Xia^*: TeX's superscript, not a mark
            if char not in marks:
                marks.append(char)
            continue
        kept.append(char)
    return "".join(kept).strip(), marks


def _is_single_group(text: str) -> bool:
    if not (text.startswith("{") and text.endswith("}")):
        return False
    depth = 0
    for i, char in enumerate(text):
        depth += (char == "{") - (char == "}")
        if depth == 0:
            return i == len(text) - 1
    return False


def _split_depth0(text: str, separator: str) -> list[str]:
    if "{" not in text:
        return [p.strip() for p in text.split(separator)]
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _words(text: str) -> list[str]:
    """Words split on spaces outside braces."""
    if "{" not in text:
        return text.split()
    words: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        depth += (char == "{") - (char == "}")
        if char.isspace() and depth == 0:
            if current:
                words.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        words.append("".join(current))
    return words


def _is_lower(word: str) -> bool:
    """BibTeX's test for von words: the first letter outside braces is lower-case;
    a word starting with a brace group is protected (caseless -> not von)."""
    if word.startswith("{"):
        return False
    depth = 0
    for char in word:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0 and char.isalpha():
            return char.islower()
    return False


def _first_von_last(words: list[str]) -> tuple[list[str], list[str], list[str]]:
    if len(words) <= 1:
        return [], [], words
    lower = [i for i, w in enumerate(words[:-1]) if _is_lower(w)]
    if not lower:
        return words[:-1], [], words[-1:]
    return words[: lower[0]], words[lower[0] : lower[-1] + 1], words[lower[-1] + 1 :]


def _von_last(words: list[str]) -> tuple[list[str], list[str]]:
    lower = [i for i, w in enumerate(words[:-1]) if _is_lower(w)]
    if not lower:
        return [], words
    return words[: lower[-1] + 1], words[lower[-1] + 1 :]


def _join(words: list[str]) -> str:
    return " ".join(words).replace("{", "").replace("}", "").strip()


# ---- display


def display_name(author: Author, fmt: str = "full", order: str = "given-family") -> str:
    if author.corporate or author.ellipsis:
        return author.text
    given = initials(author.given) if fmt == "initials" else author.given
    family = " ".join(p for p in (author.von, author.family) if p)
    if order == "family-given":
        return Name(", ".join(p for p in (family, author.jr, given) if p))
    text = " ".join(p for p in (given, family) if p)
    return Name(f"{text}, {author.jr}" if author.jr else text)  # Name: never broken across lines


def initials(given: str) -> str:
    """ "Heming" -> "H.", "Jean-Paul" -> "J.-P.", "Jeff Z." -> "J. Z.", "SQ" -> "S. Q."."""
    words = []
    for word in given.split():
        units = _word_units(word)
        if not units:
            continue
        hyphenated = "-" in word.strip("-.")
        joined = "-".join if hyphenated and len(units) > 1 else " ".join
        words.append(joined(_initial(text) for text, _ in units))
    return " ".join(words)


def _initial(unit: str) -> str:
    first = unit[0]
    if first.upper() == first.lower():  # no case (CJK, digits): keep the whole unit
        return unit
    return first.upper() + "."


_UNIT_SEPARATORS = re.compile(r"[-.‐–]+")


def _word_units(word: str) -> list[tuple[str, bool]]:
    """Parts of one given-name word as (text, is_initial): "Si-Qing" ->
    [("Si", False), ("Qing", False)], "S.-Q." / "SQ" -> [("S", True), ("Q", True)]."""
    units: list[tuple[str, bool]] = []
    for part in _UNIT_SEPARATORS.split(word):
        part = part.strip("'’")
        if not part:
            continue
        if len(part) == 2 and part.isalpha() and part.isupper():
            units.extend((c, True) for c in part)  # "SQ": run-together initials
        else:
            units.append((part, len(part) == 1))
    return units


# ---- owner matching


_FOLD_EXTRA = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i", "ȷ": "j"}
)


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Case- and accent-insensitive key: "Zoë Müller" and "ZOE MULLER" fold alike."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold().translate(_FOLD_EXTRA)


@lru_cache(maxsize=16384)
def _key(text: str) -> str:
    """fold() without spaces, dots and hyphens: "Le Cun" = "LeCun"."""
    return "".join(c for c in fold(text) if c.isalnum())


@lru_cache(maxsize=16384)
def _given_units(given: str) -> tuple[tuple[str, bool, bool], ...]:
    """(key, is_initial, required) per unit of a given name. Required: part of the first
    name ("Si" and "Qing" of "Si-Qing", only "M" of run-together "MA"); the rest are
    middle names or initials, which one side may leave out."""
    units: list[tuple[str, bool, bool]] = []
    for n, word in enumerate(given.split()):
        parts = [(_key(t), initial) for t, initial in _word_units(word) if _key(t)]
        whole = not all(initial for _, initial in parts)  # a written-out (maybe hyphenated) first name
        units.extend((k, initial, n == 0 and (whole or i == 0)) for i, (k, initial) in enumerate(parts))
    return tuple(units)


def name_matches(author: Author, variant: Author) -> bool:
    """Same person?  Family names must agree; given names must agree where both sides
    have them (an initial agrees with a name it starts), and middle names or initials
    only one side writes are ignored: "Sean M. R. Crowell" is "Sean Crowell", "Hao Xia"
    is never "Heming Xia"."""
    if author.ellipsis or variant.ellipsis:
        return False
    if author.corporate or variant.corporate:
        return author.corporate == variant.corporate and _key(author.family) == _key(variant.family)
    if _key(author.von + author.family) != _key(variant.von + variant.family):
        return False
    mine, theirs = _given_units(author.given), _given_units(variant.given)
    if not theirs:  # a variant without a given name ("Xia") accepts any
        return True
    if not mine:
        return False
    if "".join(t for t, _, _ in mine) == "".join(t for t, _, _ in theirs):
        return True  # "He-Ming" = "Heming"
    if _given_agree(mine, theirs):
        return True
    # "W. Jake Thompson" goes by his middle name: "Jake Thompson" is him, "J. Thompson" is not
    return any(
        len(a) > len(b) and a[0][1] and not b[0][1] and _given_agree(a[1:], b)
        for a, b in ((mine, theirs), (theirs, mine))
    )


def _given_agree(mine: tuple, theirs: tuple) -> bool:
    for (a, a_initial, _), (b, b_initial, _) in zip(mine, theirs, strict=False):
        if a[0] != b[0] or (not a_initial and not b_initial and a != b):
            return False
    longer = mine if len(mine) > len(theirs) else theirs
    return not any(required for _, _, required in longer[min(len(mine), len(theirs)) :])


# --------------------------------------------------------------------------
# Entries -> publications


def make_publications(entries: list[BibEntry], options: BibOptions, report: Report) -> list[Publication]:
    """One Publication per listable entry, in .bib order. Not listed: an entry without
    a title (the bibtex stage warned), and a volume that other entries cross-reference,
    which is only their container unless the owner edited it."""
    context = _Context(options, report)
    parents = crossref_parents(entries)
    publications = [
        context.publication(entry)
        for entry in entries
        if entry.fields.get("title", "").strip()
        and (
            entry.key.casefold() not in parents
            or entry.fields.get("author", "").strip()
            or context.edited_by_owner(entry)
        )
    ]
    context.flush_warnings()
    return publications


class _Context:
    """Options prepared once, and warnings collected across all entries."""

    def __init__(self, options: BibOptions, report: Report):
        self.options = options
        self.report = report
        self.owners = [parse_name(n) for n in options.owner if n and n.strip()]
        self.owner_families = {_key(o.von + o.family) for o in self.owners}
        # Zotero's one-field names ({Joachim Schöpfel}) are the owner when they are exactly an owner name.
        self.owner_whole = {_key(n) for n in options.owner if n and not n.strip().startswith("{")} | {
            _key(f"{o.given} {o.von} {o.family}") for o in self.owners if o.given and not o.corporate
        }
        self.symbol_of = {name: spec.symbol for name, spec in options.marks.items()}
        self.not_linked: dict[str, list[BibEntry]] = {}  # field -> entries with a non-URL value
        self.without_owner: list[str] = []
        self.others_without_owner: list[str] = []  # "... and others" lists that may hide the owner

    # ---- one entry

    def publication(self, entry: BibEntry) -> Publication:
        f = entry.fields
        authors, et_al = self.authors(entry)
        return Publication(
            key=entry.key,
            entry_type=entry.type,
            category=category_of(entry, self.report),
            title=located(f.get("title", ""), f"{entry.file}:{entry.line} entry '{entry.key}', field 'title'"),
            authors=authors,
            et_al=et_al,
            venue=venue_of(entry, self.options.venue_style),
            year=_int(f.get("year")),
            month=_int(f.get("month")),
            links=self.links(entry),
            notes=self.notes(entry),
            selected=_truthy(f.get("selected", "")),
            keywords=_list(f.get("keywords", "")),
            abbr=f.get("abbr", ""),
            annotation=f.get("annotation", "") or f.get("annote", ""),
            file=entry.file,
            line=entry.line,
            status=status_of(f.get("pubstate", "")) or status_of(f.get("year", "")),
            edited=not f.get("author", "").strip() and bool(f.get("editor", "").strip()),
        )

    def edited_by_owner(self, entry: BibEntry) -> bool:
        editors = [_new_author(n) for n in split_authors(entry.fields.get("editor", ""))]
        return self.mark_owner(editors) is not None

    def authors(self, entry: BibEntry) -> tuple[list[Author], bool]:
        names = split_authors(entry.fields.get("author") or entry.fields.get("editor", ""))
        et_al = bool(names) and names[-1].casefold() == "others"
        authors = [_new_author(n) for n in (names[:-1] if et_al else names)]
        self.add_marks(entry, authors)
        owner_at = self.mark_owner(authors)
        if self.owners and owner_at is None and authors:  # no authors at all: the bibtex stage warned
            (self.others_without_owner if et_al else self.without_owner).append(entry.key)
        for author in authors:
            author.text = display_name(author, self.options.author_format, self.options.author_order)
        return truncate(authors, et_al, self.options.max_authors, owner_at)

    def add_marks(self, entry: BibEntry, authors: list[Author]) -> None:
        # al-folio's `Xia*` uses the author-list symbols; map them to the configured ones.
        name_symbol = {
            "*": self.symbol_of.get(EQUAL_CONTRIBUTION, "*"),
            "†": self.symbol_of.get(CORRESPONDING, "†"),
            "^": _CARET_SHOWN,
        }
        for author in authors:
            author.marks = [name_symbol.get(m, m) for m in author.marks]
        for name, symbol in self.symbol_of.items():
            for position in self.positions(entry, name, len(authors)):
                if symbol not in authors[position - 1].marks:
                    authors[position - 1].marks.append(symbol)

    def positions(self, entry: BibEntry, name: str, count: int) -> list[int]:
        """1-based positions from "1,2", "1 and 3", "1-3"; bad ones are warned about."""
        value = entry.fields.get(name, "").strip().strip("{}")
        if not value:
            return []
        result: list[int] = []
        for part in re.split(r"[,;\s]+|\band\b", value):
            rng = re.fullmatch(r"(\d+)\s*[-–]+\s*(\d+)", part)
            if rng:
                result.extend(range(int(rng.group(1)), int(rng.group(2)) + 1))
            elif part.isdigit():
                result.append(int(part))
            elif part:
                self.report.warn(
                    f"{entry.key}: {name} = {{{value}}} does not list author positions like {{1,2}}; no {name} marks",
                    entry.file,
                    entry.line,
                )
                return []
        bad = [p for p in result if not 1 <= p <= count]
        if bad:
            self.report.warn(
                f"{entry.key}: {name} names author position {bad[0]}, but there are {count} "
                f"authors; that position is ignored",
                entry.file,
                entry.line,
            )
        return [p for p in result if 1 <= p <= count]

    def mark_owner(self, authors: list[Author]) -> int | None:
        first = None
        for i, author in enumerate(authors):
            if _key(author.von + author.family) not in self.owner_families and not author.corporate:
                continue  # cheap reject before the full comparison
            if any(name_matches(author, owner) for owner in self.owners) or (
                author.corporate and _key(author.family) in self.owner_whole
            ):
                author.owner = True
                first = i if first is None else first
        return first

    def links(self, entry: BibEntry) -> list[Link]:
        links: list[Link] = []
        seen: set[str] = set()
        for spec in self.options.links:
            url = self.link_url(entry, spec.field)
            if url and url not in seen:  # html often repeats url; show it once
                seen.add(url)
                links.append(Link(spec.label, url, spec.field))
        return links

    def link_url(self, entry: BibEntry, name: str) -> str:
        f = entry.fields
        value = f.get(name, "").strip()
        if name == "url" and not value:
            return paper_fallback(f)
        if name == "doi" and value:
            return doi_url(value)
        if name in ("eprint", "arxiv") and value:
            return arxiv_url(value)
        if not value:
            return ""
        if _HTTP.match(value):
            return value
        base = self.options.pdf_base_url
        if name in FILE_LINK_FIELDS and base and not _SCHEME.match(value):
            return base.rstrip("/") + "/" + value.lstrip("/")  # al-folio's assets/pdf/paper.pdf
        self.not_linked.setdefault(name, []).append(entry)
        return ""

    def notes(self, entry: BibEntry) -> list[str]:
        f = entry.fields
        notes = []
        award = f.get("award_name", "").strip() or f.get("award", "").strip()
        if award:
            notes.append(award)
        note = f.get("note", "").strip()
        if note and len(note) <= NOTE_MAX and note not in notes:
            notes.append(note)
        elif note:
            self.report.warn(
                f"{entry.key}: note is longer than {NOTE_MAX} characters; not shown as a badge "
                f"(use annotation for prose)",
                entry.file,
                entry.line,
            )
        return notes

    # ---- summary warnings: one per kind, not per entry

    def flush_warnings(self) -> None:
        for name, entries in self.not_linked.items():
            first = entries[0]
            more = f" and {len(entries) - 1} more entries" if len(entries) > 1 else ""
            if name in FILE_LINK_FIELDS:
                why = (
                    "a file name, and publications.pdf_base_url is not set, so it is not linked "
                    "(al-folio keeps these files in its site's assets/pdf/: set pdf_base_url to that "
                    "folder's URL, e.g. https://you.github.io/assets/pdf/)"
                )
            else:
                why = "not a http(s) URL, so it is not linked (local files are not part of the CV)"
            self.report.warn(
                f"{name} = {{{first.fields[name]}}} in entry '{first.key}'{more} is {why}", first.file, first.line
            )
        owner = "; ".join(self.options.owner)
        where = getattr(self.options.owner[0], "where", "") if self.options.owner else ""
        if self.without_owner:
            n = len(self.without_owner)
            warn_at(
                self.report,
                where,
                f"the CV owner ({owner}) is not among the authors of {n} "
                f"entr{'y' if n == 1 else 'ies'}: {', '.join(self.without_owner)} (add the "
                f"spelling used there to publications.owner, or remove the entries that are "
                f"not yours)",
                "publications.owner",
            )
        if self.others_without_owner:
            n = len(self.others_without_owner)
            warn_at(
                self.report,
                where,
                f"{n} entr{'y' if n == 1 else 'ies'} list{'s' if n == 1 else ''} authors "
                f"up to 'and others' without the CV owner ({owner}): "
                f"{', '.join(self.others_without_owner)} (Google Scholar cuts long author lists; "
                f"write the author list out up to your name so it is shown and bold)",
                "publications.owner",
            )


def truncate(authors: list[Author], et_al: bool, limit: int | None, owner_at: int | None) -> tuple[list[Author], bool]:
    """At most `limit` names, then "et al."; an owner beyond the limit stays
    visible: first limit-1 names, "…", the owner, and "et al." if more follow."""
    if not limit or limit <= 0 or len(authors) <= limit:
        return authors, et_al
    if owner_at is None or owner_at < limit:
        return authors[:limit], True
    ellipsis = Author(given="", family="", text="…", ellipsis=True)
    shown = authors[: limit - 1] + [ellipsis, authors[owner_at]]
    return shown, et_al or owner_at < len(authors) - 1


_HTTP = re.compile(r"https?://", re.IGNORECASE)
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # file:, javascript:, ...: never resolved


def paper_fallback(fields: dict[str, str]) -> str:
    if fields.get("doi", "").strip():
        return doi_url(fields["doi"])
    eprint = fields.get("eprint", "").strip()
    prefix = fields.get("archiveprefix", "arXiv").strip().lower()
    if eprint and prefix in ("arxiv", ""):
        return arxiv_url(eprint)
    return ""


def doi_url(doi: str) -> str:
    doi = doi.strip()
    if _HTTP.match(doi):
        return doi
    doi = re.sub(r"^(doi:\s*|(dx\.)?doi\.org/)", "", doi, flags=re.IGNORECASE)
    return "https://doi.org/" + doi


def arxiv_url(eprint: str) -> str:
    eprint = eprint.strip()
    if _HTTP.match(eprint):
        return eprint
    return "https://arxiv.org/abs/" + re.sub(r"^arxiv:\s*", "", eprint, flags=re.IGNORECASE)


# ---- category and venue


def category_of(entry: BibEntry, report: Report | None = None) -> str:
    f = entry.fields
    override = (f.get("category") or f.get("pubtype") or "").strip().lower()
    if override:
        override = _CATEGORY_ALIASES.get(override, override)
        if override in CATEGORIES:
            return override
        if report is not None:
            report.warn(
                f"{entry.key}: category '{override}' is not one of {', '.join(CATEGORIES)}; "
                f"guessed from the entry type",
                entry.file,
                entry.line,
            )
    journal, booktitle = f.get("journal", ""), f.get("booktitle", "")
    kind = entry.type
    if _is_preprint_venue(journal) or (f.get("eprint") and not journal and not booktitle):
        return "preprint"
    if kind == "article":
        return "journal"
    if kind in ("inproceedings", "conference", "proceedings"):
        return "workshop" if "workshop" in booktitle.lower() else "conference"
    if kind in ("phdthesis", "mastersthesis", "thesis"):
        return "thesis"
    if kind in ("book", "incollection", "inbook", "collection", "mvbook"):
        return "book"
    if kind in ("misc", "unpublished", "online", "techreport", "report") and _mentions_arxiv(f):
        return "preprint"
    return "other"


def _is_preprint_venue(text: str) -> bool:
    low = text.lower()
    return "arxiv" in low or "rxiv" in low or low.strip() == "corr" or "preprint" in low


def _mentions_arxiv(f: dict[str, str]) -> bool:
    return any("arxiv" in f.get(k, "").lower() for k in ("howpublished", "journal", "note", "url", "archiveprefix"))


def venue_of(entry: BibEntry, style: str = "short") -> str:
    f = entry.fields
    if style == "short":
        short = f.get("venue_short", "").strip() or f.get("abbr", "").strip()
        if short:
            return tidy(short)
        return _container(entry)
    return _full_venue(entry)


_DOUBLE_COMMA = re.compile(r"\s*,(?:\s*,)+")


def tidy(text: str) -> str:
    """A field as part of a line: no trailing separator ("Courier Corporation,"),
    no doubled commas; the venue line adds its own punctuation."""
    if "," in text:
        text = _DOUBLE_COMMA.sub(",", text)
    return text.strip().rstrip(",;:").rstrip()


def _container(entry: BibEntry) -> str:
    f = entry.fields
    for name in ("journal", "booktitle", "journaltitle", "howpublished", "publisher", "institution", "organization"):
        value = tidy(f.get(name, ""))
        if value:
            return value
    if entry.type in ("phdthesis", "mastersthesis", "thesis"):
        kind = {"phdthesis": "PhD thesis", "mastersthesis": "Master's thesis"}.get(entry.type, "Thesis")
        school = tidy(f.get("school", ""))
        return f"{kind}, {school}" if school else kind
    if f.get("eprint", "").strip() and category_of(entry) == "preprint":
        return "arXiv preprint arXiv:" + re.sub(r"^arxiv:\s*", "", f["eprint"].strip(), flags=re.I)
    return ""


def _full_venue(entry: BibEntry) -> str:
    """ "Physical Review D 103(2), 024040"; "Proceedings of ..., pp. 1–10"."""
    f = entry.fields
    venue = _container(entry)
    volume, number, pages = (tidy(f.get(k, "")) for k in ("volume", "number", "pages"))
    pages = re.sub(r"\s*[-–]+\s*", "–", pages)
    if f.get("journal", "").strip() and not _is_preprint_venue(f["journal"]):
        if volume:
            venue += f" {volume}" + (f"({number})" if number else "")
        return venue + (f", {pages}" if pages else "")
    if pages and venue:
        venue += f", pp. {pages}" if "–" in pages else f", p. {pages}"
    return venue


# ---- small conversions


def _int(value: str | None) -> int | None:
    """ "2025" -> 2025; "2025a" -> 2025; "in press" -> None."""
    if not value:
        return None
    if value.isdigit() and len(value) <= 4:
        return int(value)
    match = _LEADING_NUMBER.match(value)
    return int(match.group(1)) if match else None


_LEADING_NUMBER = re.compile(r"\s*(\d{1,4})(?!\d)")


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("true", "yes", "1", "on")


def _list(value: str) -> list[str]:
    return [k.strip() for k in re.split(r"[,;]", value) if k.strip()]


# --------------------------------------------------------------------------
# One section: filter, sort, group, number


def organise(pubs: list[Publication], section: SectionOptions, options: BibOptions) -> PublicationList:
    chosen = [p for p in pubs if _passes(p, section.filter or {}, options)]
    if section.sort == "newest":
        # Not out yet (in press, submitted) first, then by date, then undated; sorted() is
        # stable: ties keep their .bib order.
        chosen = sorted(chosen, key=lambda p: (not p.status, -(p.year or 0), -(p.month or 0)))
    groups = _group(chosen, section.group)
    groups = _number(groups, section.numbering, section.number_order)
    shown = [p for g in groups for p in g.publications]
    return PublicationList(groups, _legend(shown, options), _counts(shown, options) if section.counts else "")


def _passes(pub: Publication, flt: dict, options: BibOptions | None = None) -> bool:
    if flt.get("selected") is not None and pub.selected != bool(flt["selected"]):
        return False
    if (
        flt.get("first_author") is not None
        and options is not None
        and first_or_cofirst(pub, options) != bool(flt["first_author"])
    ):
        return False
    if flt.get("categories") and pub.category not in flt["categories"]:
        return False
    if flt.get("keywords"):
        wanted = {fold(k) for k in flt["keywords"]}
        if not wanted & {fold(k) for k in pub.keywords}:
            return False
    if flt.get("keys") and pub.key not in flt["keys"]:
        return False
    years = flt.get("years")
    if years:
        low, high = (list(years) + [None, None])[:2]
        if pub.year is None or (low is not None and pub.year < low) or (high is not None and pub.year > high):
            return False
    return True


def _group(pubs: list[Publication], how: str) -> list[Group]:
    if how == "year":
        statuses = list(dict.fromkeys(p.status for p in pubs if p.status))
        pending = [Group(st[:1].upper() + st[1:], [p for p in pubs if p.status == st]) for st in statuses]
        years = sorted({p.year for p in pubs if p.year is not None and not p.status}, reverse=True)
        groups = [Group(str(y), [p for p in pubs if p.year == y and not p.status]) for y in years]
        undated = [p for p in pubs if p.year is None and not p.status]
        return pending + groups + ([Group("Undated", undated)] if undated else [])
    if how == "category":
        by_category: dict[str, list[Publication]] = {c: [] for c in CATEGORIES}
        for p in pubs:
            by_category.get(p.category, by_category["other"]).append(p)
        return [Group(CATEGORY_TITLES[c], items) for c, items in by_category.items() if items]
    return [Group("", list(pubs))]


def _number(groups: list[Group], numbering: str, order: str) -> list[Group]:
    """Copies of the publications with `number` set (the same Publication may be
    shown in several sections with different numbers)."""
    if numbering not in ("plain", "category"):
        return groups
    shown = [p for g in groups for p in g.publications]

    def family(p: Publication) -> str:
        return p.category if numbering == "category" else ""

    totals: dict[str, int] = {}
    for p in shown:
        totals[family(p)] = totals.get(family(p), 0) + 1
    seen: dict[str, int] = {}
    result = []
    for g in groups:
        numbered = []
        for p in g.publications:
            fam = family(p)
            seen[fam] = seen.get(fam, 0) + 1
            n = seen[fam] if order == "up" else totals[fam] - seen[fam] + 1
            prefix = CATEGORY_PREFIX.get(fam, "O") if numbering == "category" else ""
            copy = shallow_copy(p)
            copy.number = f"[{prefix}{n}]"
            numbered.append(copy)
        result.append(Group(g.title, numbered))
    return result


def _legend(pubs: list[Publication], options: BibOptions) -> list[tuple[str, str]]:
    used = {m for p in pubs for a in p.authors for m in a.marks}
    legend, listed = [], set()
    for spec in options.marks.values():
        if spec.symbol in used and spec.symbol not in listed:
            legend.append((spec.symbol, spec.text))
            listed.add(spec.symbol)
    return legend


def _counts(pubs: list[Publication], options: BibOptions) -> str:
    n = len(pubs)
    text = f"{n} paper" + ("" if n == 1 else "s")
    if not options.owner:
        return text
    first = sum(1 for p in pubs if first_or_cofirst(p, options))
    return f"{text}, {first} as first or co-first author" if first else text


def first_or_cofirst(pub: Publication, options: BibOptions) -> bool:
    """An owner is the first author, or shares first authorship (equal-contribution mark)."""
    equal = options.marks.get(EQUAL_CONTRIBUTION)
    return bool(pub.authors) and (
        pub.authors[0].owner or any(a.owner and equal is not None and equal.symbol in a.marks for a in pub.authors)
    )
