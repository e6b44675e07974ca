"""What a cv_builder section is in other formats, and its entries in one common shape.

cv_builder's sections carry the user's own titles; JSON Resume and RenderCV know
fixed kinds (work, education, ...). `role()` decides by the section's id and
printed title (docs/export.md has the table); `records()` turns the entries of
every kind (dated entries, items, key/value pairs) into `Record`s, which the
writers (jsonresume_out, rendercv_out) map field by field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..model.cv import Date, DatedEntry, Item, Pair, Section
from ..typeset import latex

# (role, words): the first role with a word in the section's id or title wins, so
# "Teaching Experience" is teaching and "Research Interests" (not a text section) interests.
ROLE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("education", ("education", "degree", "qualification")),
    ("teaching", ("teaching", "courses taught", "tutoring")),
    ("talks", ("talk", "presentation", "seminar", "keynote")),
    ("volunteer", ("service", "volunteer", "reviewing", "outreach", "professional activit")),
    ("awards", ("award", "honor", "honour", "prize", "fellowship", "scholarship", "grant", "distinction")),
    ("skills", ("skill", "programming", "technical", "tools", "competenc")),
    ("languages", ("language",)),
    ("projects", ("project", "software")),
    ("interests", ("interest", "hobbies")),
    ("certificates", ("certificat", "licens")),
    ("references", ("reference", "referee")),
    ("work", ("experience", "employment", "work", "position", "appointment", "career", "internship", "research")),
)


def role(section: Section, title: str) -> str:
    """publications, summary (a text section), one of ROLE_WORDS' roles, or other."""
    if section.kind == "publications":
        return "publications"
    if section.kind == "text":
        return "summary"
    names = " ".join(n.casefold() for n in (section.id or "", section.title, title))
    for name, words in ROLE_WORDS:
        if any(word in names for word in words):
            return name
    return "other"


@dataclass
class Record:
    """One entry of any kind, its text fields as written (with inline markup)."""

    title: str = ""  # an entry's title, an item's text, a pair's value
    organization: str = ""
    subtitle: str = ""
    location: str = ""
    start: Date | None = None
    end: Date | None = None
    date: Date | None = None
    details: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, url)
    key: str = ""  # a pair's key that is not a date
    group: str = ""  # the subheading the entry is under
    kind: str = "entries"  # entries | items | pairs


def records(section: Section, blocks: list) -> list[Record]:
    """The entries of a section's blocks (render.Block: a subheading and its entries), in order."""
    out = []
    for block in blocks:
        for entry in block.entries:
            out.append(record(entry, block.title))
    return out


def record(entry: object, group: str = "") -> Record:
    if isinstance(entry, DatedEntry):
        return Record(
            str(entry.title),
            str(entry.organization or ""),
            str(entry.subtitle or ""),
            str(entry.location or ""),
            entry.start,
            entry.end,
            entry.date,
            [str(d) for d in entry.details],
            [(lk.label, str(lk.url)) for lk in entry.links],
            group=group,
        )
    if isinstance(entry, Item):
        return Record(
            str(entry.text),
            date=entry.date,
            links=[(lk.label, str(lk.url)) for lk in entry.links],
            group=group,
            kind="items",
        )
    if isinstance(entry, Pair):
        when = as_date(entry.key)
        return Record(str(entry.value), date=when, key="" if when else str(entry.key), group=group, kind="pairs")
    raise TypeError(f"not a CV entry: {entry!r}")


def as_date(text: str) -> Date | None:
    """A pair's key as a date ("2025"), or None when it is a label ("Python")."""
    try:
        return Date.parse(str(text))
    except ValueError:
        return None


def iso(day: Date | None) -> str | None:
    """YYYY, YYYY-MM or YYYY-MM-DD (a term such as 'Spring 2025' keeps its year); None for present."""
    if day is None or day.present:
        return None
    text = f"{day.year:04d}"
    if day.month:
        text += f"-{day.month:02d}"
        if day.day:
            text += f"-{day.day:02d}"
    return text


def shown(day: Date | None) -> str | None:
    """A date as written: 2025-01, Spring 2025, present."""
    if day is None:
        return None
    if day.present:
        return "present"
    if day.season:
        return f"{day.season} {day.year}"
    return iso(day)


def plain(text: str | None) -> str:
    """Inline markup as plain text: **bold** and *italic* lose their stars, `code` its
    backticks, [label](url) becomes 'label (url)' (the URL alone when it is the label)."""
    if not text:
        return ""
    return _plain(latex.inline_nodes(str(text))).strip()


def _plain(nodes: list) -> str:
    out = []
    for node in nodes:
        if node[0] in ("text", "code"):
            out.append(node[1])
        elif node[0] in ("b", "i"):
            out.append(_plain(node[1]))
        else:
            label, url = _plain(node[2]), node[1]
            bare = url.split("://", 1)[-1].removeprefix("mailto:").rstrip("/")
            out.append(url if label.rstrip("/") in (url.rstrip("/"), bare) else f"{label} ({url})")
    return "".join(out)


# What starts inline Markdown in CommonMark and kramdown (al-folio's `markdownify`).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<])")


def md_escape(text: str) -> str:
    """Text that Markdown prints as typed ("Xia*" stays "Xia*")."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def markdown(text: str | None) -> str:
    """Inline markup as Markdown, for the fields JSON Resume themes and al-folio render as
    Markdown (summary, highlights): the same emphasis and links, literal text escaped."""
    if not text:
        return ""
    return _markdown(latex.inline_nodes(str(text))).strip()


def _markdown(nodes: list) -> str:
    out = []
    for node in nodes:
        if node[0] == "text":
            out.append(md_escape(node[1]))
        elif node[0] == "code":
            out.append(f"`{node[1]}`" if "`" not in node[1] else md_escape(node[1]))
        elif node[0] == "b":
            out.append(f"**{_markdown(node[1])}**")
        elif node[0] == "i":
            out.append(f"*{_markdown(node[1])}*")
        else:
            url = node[1].replace("(", "%28").replace(")", "%29").replace(" ", "%20")
            out.append(f"[{_markdown(node[2])}]({url})")
    return "".join(out)
