"""Imported publications as BibTeX text, every value escaped so that it reads back as written."""

from __future__ import annotations

import re

from .intake import BibRecord

# Characters BibTeX or LaTeX would read as syntax, as LaTeX that prints them.
_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIAL = re.compile(r"[\\{}&%$#_~^]")
# Fields read as data, not text: written as they are (a DOI or URL keeps its _ and %).
_VERBATIM = {"doi", "url", "year", "month", "equal_contribution", "corresponding"}
_ORDER = (
    "author",
    "title",
    "journal",
    "booktitle",
    "howpublished",
    "publisher",
    "year",
    "month",
    "doi",
    "url",
    "abstract",
    "equal_contribution",
    "corresponding",
)


def escape(value: str) -> str:
    return _SPECIAL.sub(lambda m: _ESCAPES[m.group(0)], value)


def _verbatim(value: str) -> str:
    """A URL or DOI inside braces: only braces and a bare % (a comment to BibTeX) need care."""
    return value.replace("{", "%7B").replace("}", "%7D")


def _author(name: str) -> str:
    """A name as one BibTeX author; a name that holds ' and ' is braced so it is not split."""
    text = escape(name)
    return f"{{{text}}}" if re.search(r"\sand\s", name, re.IGNORECASE) else text


def entry_text(record: BibRecord) -> str:
    fields = dict(record.fields)
    if record.authors:
        fields["author"] = " and ".join(_author(a) for a in record.authors)
    names = sorted(fields, key=lambda k: (_ORDER.index(k) if k in _ORDER else len(_ORDER), k))
    lines = []
    for name in names:
        value = fields[name]
        if name == "author":
            shown = value
        elif name in _VERBATIM:
            shown = _verbatim(value)
        elif name == "title":
            shown = "{" + escape(value) + "}"  # double braces: BibTeX styles keep its capitals
        else:
            shown = escape(value)
        lines.append(f"  {name} = {{{shown}}},")
    return f"@{record.type}{{{record.key},\n" + "\n".join(lines) + "\n}\n"


def bib_text(records: list[BibRecord], source: str) -> str:
    head = f"% Imported from {source} by `python -m cv_builder import`.\n"
    return head + "".join("\n" + entry_text(r) for r in records)
