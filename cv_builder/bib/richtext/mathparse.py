"""A .bib formula (the LaTeX between `$...$`) -> math nodes.

Every command is looked up in the whitelist (mathtable); an unknown one is
reported and dropped, its braced argument kept as a group, so
`$\\input{x}$` is the letter x and `$\\mathscr{L}$` (when not listed) an L.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from . import Func, Group, MText, Script, Sym
from .mathtable import BY_TEXT, FUNCTIONS, IGNORED, SYMBOLS, TEXT_ARGUMENT

_TOKEN = re.compile(r"\\([A-Za-z]+)\*?|\\(.)|(\s+)|(.)", re.DOTALL)
MAX_DEPTH = 40  # nested groups and scripts; deeper input is not a title


class TooDeep(Exception):
    """A formula nested deeper than MAX_DEPTH."""


def parse_math(src: str, decode_text: Callable[[str], str], unknown: list[str]) -> tuple:
    """Math nodes for `src`; names of commands not in the whitelist are appended to `unknown`."""
    tokens = [
        (
            m.group(1)
            and "\\" + m.group(1)
            or m.group(2) is not None
            and "\\" + m.group(2)
            or m.group(3)
            and " "
            or m.group(4),
            m.start(),
            m.end(),
        )
        for m in _TOKEN.finditer(src)
    ]
    return _Parser(src, tokens, decode_text, unknown).sequence(0, 0, False)[0]


class _Parser:
    def __init__(self, src: str, tokens: list, decode_text: Callable[[str], str], unknown: list[str]):
        self.src, self.tokens, self.decode_text, self.unknown = src, tokens, decode_text, unknown

    def sequence(self, i: int, depth: int, closing: bool) -> tuple[tuple, int]:
        """Nodes from token i up to the matching `}` (closing) or the end."""
        if depth > MAX_DEPTH:
            raise TooDeep()
        nodes: list = []
        scripts: set[str] = set()  # scripts already on the current base (x^a^b is a TeX error)
        n = len(self.tokens)
        while i < n:
            tok = self.tokens[i][0]
            if tok == "}":
                if closing:
                    return tuple(nodes), i + 1
                i += 1
                continue
            if tok in ("^", "_"):
                if tok in scripts:
                    nodes.append(Group(()))
                    scripts = set()
                body, i = self.atom(i + 1, depth + 1)
                nodes.append(Script(tok, body))
                scripts.add(tok)
                continue
            if tok == "'" and "^" in scripts:  # x^2' would be a double superscript: ' is ^{\prime}
                nodes.append(Group(()))
            before = len(nodes)
            i = self.one(i, depth, nodes)
            if len(nodes) != before:
                scripts = set()
        return tuple(nodes), i

    def one(self, i: int, depth: int, nodes: list) -> int:
        """Append the node(s) token i starts; return the index after them."""
        tok = self.tokens[i][0]
        if tok == "{":
            body, i = self.sequence(i + 1, depth + 1, True)
            nodes.append(Group(body))
            return i
        if tok in SYMBOLS:
            nodes.append(Sym(tok))
        elif tok in FUNCTIONS:
            args = []
            i += 1
            for _ in range(FUNCTIONS[tok].arity):
                body, i = self.atom(i, depth + 1)
                args.append(body)
            nodes.append(Func(tok, tuple(args)))
            return i
        elif tok in TEXT_ARGUMENT:
            text, i = self.text_argument(i + 1)
            if text:
                nodes.append(MText(text))
            return i
        elif tok in BY_TEXT:
            nodes.append(Sym(BY_TEXT[tok]))
        elif tok == "~":
            nodes.append(Sym(" "))
        elif tok.startswith("\\") and len(tok) > 1:
            if tok not in IGNORED and tok != "\\\\":
                self.unknown.append(tok[1:])
            while i + 1 < len(self.tokens) and self.tokens[i + 1][0] == " ":
                i += 1  # {\rm GeV}: the space ends the command's name, it is not a space
        elif tok not in ("$", "^", "_"):
            nodes.append(MText(tok))  # & # % " and characters no symbol stands for
        return i + 1

    def atom(self, i: int, depth: int) -> tuple[tuple, int]:
        """The argument at token i (spaces skipped): a group's contents, or one symbol."""
        n = len(self.tokens)
        while i < n and self.tokens[i][0] == " ":
            i += 1
        if i >= n:
            return (), i
        if self.tokens[i][0] == "{":
            return self.sequence(i + 1, depth, True)
        nodes: list = []
        i = self.one(i, depth, nodes)
        return tuple(nodes), i

    def text_argument(self, i: int) -> tuple[str, int]:
        """The decoded text of a braced argument at token i (\\mbox{th})."""
        n = len(self.tokens)
        while i < n and self.tokens[i][0] == " ":
            i += 1
        if i >= n or self.tokens[i][0] != "{":
            return "", i
        level, j = 0, i
        while j < n:
            tok = self.tokens[j][0]
            level += tok == "{"
            level -= tok == "}"
            if level == 0:
                break
            j += 1
        start = self.tokens[i][2]
        end = self.tokens[j][1] if j < n else len(self.src)
        return self.decode_text(self.src[start:end]), j + 1
