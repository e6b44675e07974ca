"""Rich text decoded from BibTeX fields: plain text runs, formatting and whitelisted math.

A `RichText` *is* its plain Unicode text (a `str`: sorting, matching, PDF
metadata and every string operation see "O(n²)", "W±W∓", "H₂O"), and carries
the structure the outputs typeset: `nodes`.  Nothing here is LaTeX or HTML:
the escaping points (latex.py for the PDF, homepage.py for HTML and Markdown)
turn the nodes into safe output, looking every math command up in the
whitelist below; a node naming anything else is printed as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .mathtable import FUNCTIONS, SYMBOLS, plain_script

__all__ = [
    "RichText",
    "Name",
    "located",
    "Span",
    "Link",
    "Math",
    "Sym",
    "MText",
    "Script",
    "Func",
    "Group",
    "plain",
    "math_plain",
    "STYLES",
]

_SPACES = re.compile(r"  +")

# Formatting a Span may carry: italic, bold, small caps, monospace, superscript, subscript.
STYLES = ("i", "b", "sc", "tt", "sup", "sub")


@dataclass(frozen=True)
class Span:
    """Text in one style (one of STYLES)."""

    style: str
    children: tuple


@dataclass(frozen=True)
class Link:
    """A link: where it points and its text (the URL itself for \\url)."""

    url: str
    children: tuple


@dataclass(frozen=True)
class Math:
    """A formula: math nodes (Sym, MText, Script, Func, Group)."""

    nodes: tuple


@dataclass(frozen=True)
class Sym:
    """One math atom: a safe ASCII character (letter, digit, operator) or a SYMBOLS name."""

    name: str


@dataclass(frozen=True)
class MText:
    """Text inside a formula (\\text{...}, \\mbox{...}, a character no symbol stands for)."""

    text: str


@dataclass(frozen=True)
class Script:
    """A superscript (kind "^") or subscript ("_")."""

    kind: str
    body: tuple


@dataclass(frozen=True)
class Func:
    """A FUNCTIONS command (\\sqrt, \\frac, \\mathbb...) with its arguments."""

    name: str
    args: tuple


@dataclass(frozen=True)
class Group:
    """A braced math group: `{}` (DBLP's `{}^{th}`) or `{ab}`."""

    body: tuple


Node = str | Span | Link | Math


class RichText(str):
    """Plain text (the string itself) with its structure (`nodes`) for typesetting."""

    nodes: tuple = ()
    where = ""  # "FILE:LINE KEY.FIELD": where warnings about this text point

    @classmethod
    def of(cls, nodes: tuple, where: str = "") -> RichText:
        value = cls(plain(nodes))
        value.nodes = nodes
        value.where = where
        return value


class Name(str):
    """A person's name as printed: its parts never break across lines."""

    where = ""


def located(text: str, where: str) -> str:
    """`text` that names `where` in the warnings about it (a .bib title's file, line, entry, field)."""
    if not text:
        return text
    if isinstance(text, RichText):
        if not text.where:
            text.where = where
        return text
    return RichText.of((str(text),), where)


def plain(nodes: tuple) -> str:
    """The text of rich nodes as a reader would type it (what copy and paste gives)."""
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, (Span, Link)):
            out.append(plain(node.children))
        elif isinstance(node, Math):
            out.append(math_plain(node.nodes))
    return "".join(out)


def math_plain(nodes: tuple) -> str:
    """A formula as Unicode text: "√s = 13", "W±", "𝔸³", "O(n²)", "ℓ₁", "5th"."""
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Sym):
            text = SYMBOLS[node.name][1] if node.name in SYMBOLS else node.name
            if len(text) > 1 and text.isalpha() and out and out[-1][-1:].isalnum():
                text = " " + text  # an operator name after a letter: "a mod b", not "amod b"
            out.append(text)
        elif isinstance(node, MText):
            out.append(node.text)
        elif isinstance(node, Group):
            out.append(math_plain(node.body))
        elif isinstance(node, Script):
            out.append(plain_script(node.kind, math_plain(node.body)))
        elif isinstance(node, Func) and node.name in FUNCTIONS and len(node.args) == FUNCTIONS[node.name].arity:
            out.append(FUNCTIONS[node.name].plain(*(math_plain(a) for a in node.args)))
    return _SPACES.sub(" ", "".join(out))  # TeX ignores spaces in math: "\\text{if } x" has one
