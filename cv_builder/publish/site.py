"""--site FILE: fill the homepage's marked regions, leaving every other byte as it was.

    <!-- cv:start -->…<!-- cv:end -->                     the CV link (inline)
    <!-- publications:start -->…<!-- publications:end -->  the publication list (own lines)

Each pair is optional, but a page needs at least one, and a start without its
end, an end before its start or a repeated marker is an error at its line and
column. Replacing a region is idempotent: a second build writes the same bytes.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError, Problem
from .homepage import Snippets

REGIONS = ("cv", "publications")
_MARKER = re.compile(r"<!--\s*(cv|publications):(start|end)\s*-->")


def kind_of(path: Path) -> str:
    return "md" if path.suffix.lower() in (".md", ".markdown") else "html"


def _where(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def regions(text: str, shown: str) -> dict[str, tuple[int, int]]:
    """{region: (end of the start marker, start of the end marker)}; InputError if malformed."""
    found: dict[tuple[str, str], list[re.Match]] = {}
    for m in _MARKER.finditer(text):
        found.setdefault((m.group(1), m.group(2)), []).append(m)
    problems: list[Problem] = []

    def problem(m: re.Match | None, message: str, hint: str = "") -> None:
        line, col = _where(text, m.start()) if m else (0, 0)
        problems.append(Problem(message, shown, line, col, "", hint))

    spans = {}
    for name in REGIONS:
        starts, ends = found.get((name, "start"), []), found.get((name, "end"), [])
        for extra in starts[1:] + ends[1:]:
            problem(
                extra,
                f"{extra.group(0)} appears more than once",
                f"keep one <!-- {name}:start --> … <!-- {name}:end --> pair",
            )
        if starts and not ends:
            problem(starts[0], f"<!-- {name}:start --> has no matching <!-- {name}:end -->")
        elif ends and not starts:
            problem(ends[0], f"<!-- {name}:end --> has no matching <!-- {name}:start --> before it")
        elif starts and ends:
            if ends[0].start() < starts[0].end():
                problem(ends[0], f"<!-- {name}:end --> comes before <!-- {name}:start -->")
            else:
                spans[name] = (starts[0].end(), ends[0].start())
    if len(spans) == 2 and not problems:
        (a0, a1), (b0, b1) = spans["cv"], spans["publications"]
        if a0 < b1 and b0 < a1:
            inner = "cv" if b0 < a0 else "publications"
            problem(next(iter(found[(inner, "start")])), "the cv and publications regions overlap")
    if not found and not problems:
        problem(
            None,
            "no <!-- cv:start --> … <!-- cv:end --> or <!-- publications:start --> … "
            "<!-- publications:end --> markers found",
            "put the markers where the CV link and the publication list belong",
        )
    if problems:
        raise InputError(problems)
    return spans


def read(path: Path, shown: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(f"cannot read the site page: {exc.strerror}", shown)]) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _where(data[: exc.start].decode("utf-8", "replace"), exc.start)
        raise InputError([Problem("the site page is not UTF-8 text", shown, line, col)]) from None


def check(path: Path, shown: str) -> None:
    """Fail early (before TeX runs) on a page the build could not update."""
    regions(read(path, shown), shown)


def update(path: Path, shown: str, snippets: Snippets, pdf_href: str) -> bytes:
    """The page's new bytes: each marked region replaced, everything else untouched."""
    text = read(path, shown)
    spans = regions(text, shown)
    kind = kind_of(path)
    newline = "\r\n" if "\r\n" in text else "\n"
    content = {
        "cv": snippets.link(kind, pdf_href).strip("\n"),  # inline: the link sits in a sentence
        "publications": "\n" + snippets.publications(kind).strip("\n") + "\n",
    }
    out, pos = [], 0
    for name, (begin, end) in sorted(spans.items(), key=lambda item: item[1]):
        out += [text[pos:begin], content[name].replace("\n", newline)]
        pos = end
    out.append(text[pos:])
    return "".join(out).encode("utf-8")
