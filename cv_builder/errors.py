"""Problems found in user input, and the exceptions that carry them.

Every stage reports what is wrong with the user's files as `Problem`s, so the
CLI can print all of them at once, each pointing at FILE:LINE:COL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Exit codes, documented in the README.
EXIT_OK = 0
EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_ENGINE = 3
EXIT_PAGES = 4


def shorten(value: object, limit: int = 60) -> str:
    """A value as the user would recognise it, cut to a readable length."""
    text = value if isinstance(value, str) else repr(value)
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Problem:
    """One thing wrong with the input, located in its source file."""

    message: str
    file: str = ""
    line: int = 0  # 1-based; 0 when unknown
    column: int = 0  # 1-based; 0 when unknown
    path: str = ""  # field path, e.g. sections[2].entries[0].start
    hint: str = ""

    def location(self) -> str:
        loc = self.file or "<input>"
        if self.line:
            loc += f":{self.line}"
            if self.column:
                loc += f":{self.column}"
        return loc

    def __str__(self) -> str:
        text = f"{self.location()}: "
        if self.path:
            text += f"{self.path}: "
        text += self.message
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


@dataclass
class Warning_:
    """Something the build worked around; printed, never fatal."""

    message: str
    file: str = ""
    line: int = 0
    column: int = 0
    path: str = ""

    def __str__(self) -> str:
        if not (self.file or self.path):
            return self.message  # about the whole build, not one place in the input
        return str(Problem(self.message, self.file, self.line, self.column, self.path))


class CVError(Exception):
    """Base class for errors the CLI prints without a traceback."""

    exit_code = EXIT_INPUT


class InputError(CVError):
    """The user's data is wrong; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class EngineError(CVError):
    """TeX could not be found or failed."""

    exit_code = EXIT_ENGINE
    tex_line = 0  # the generated .tex line TeX stopped at, when known


class PageLimitError(CVError):
    """The PDF is longer than --max-pages allows."""

    exit_code = EXIT_PAGES


class UsageError(CVError):
    exit_code = EXIT_USAGE


@dataclass
class Report:
    """Warnings collected along the way, shared by all stages of one build."""

    warnings: list[Warning_] = field(default_factory=list)

    def warn(self, message: str, file: str = "", line: int = 0, column: int = 0, path: str = "") -> None:
        w = Warning_(message, file, line, column, path)
        if not any(str(x) == str(w) for x in self.warnings):
            self.warnings.append(w)


# A value's location as the stages write it: "FILE:LINE:COL: path" (model), "FILE:LINE entry 'k',
# field 'f'" (the .bib reader), "FILE:LINE" (a template line). The file may hold spaces and colons
# (a Windows drive): the first ":LINE" that the rest of the text fits is taken.
_WHERE = re.compile(r"^(?P<file>.*?):(?P<line>\d+)(?::(?P<col>\d+))?(?::)?(?:\s+(?P<path>.*))?$")


def parse_where(where: str) -> tuple[str, int, int, str] | None:
    """(file, line, column, path) of a location written as above (column 0 and path "" when
    absent); None for free text."""
    m = _WHERE.match(where.strip())
    if not m:
        return None
    return m["file"], int(m["line"]), int(m["col"] or 0), m["path"] or ""


def warn_at(report: Report | None, where: str, message: str, path: str = "") -> None:
    """Report `message` located at `where` (a value's `where`, see parse_where, or free text);
    `path` names the field when `where` does not."""
    if report is None:
        return
    at = parse_where(where) if where else None
    if at:
        file, line, column, named = at
        report.warn(message, file=file, line=line, column=column, path=named or path)
    elif where:
        report.warn(f"{where}: {message}", path=path)
    else:
        report.warn(message, path=path)


def decode_utf8(data: bytes, display: str, what: str = "the file") -> str:
    """A file's bytes as text: a UTF-8 BOM is accepted, an invalid byte is a located error."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        problem = Problem(
            f"invalid UTF-8 at byte offset {exc.start} (byte 0x{data[exc.start]:02x})",
            display,
            line,
            col,
            hint=f"save {what} as UTF-8",
        )
        raise InputError([problem]) from None
