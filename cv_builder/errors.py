"""Problems found in user input, and the exceptions that carry them.

Every stage reports what is wrong with the user's files as `Problem`s, so the
CLI can print all of them at once, each pointing at FILE:LINE:COL.
"""
from __future__ import annotations

import re

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


class Record:
    """A plain record: equality and repr over `_fields`. Not a dataclass: the CLI imports
    the modules that use it before it starts the engine, and dataclasses imports inspect
    (12 ms of every build, no-op ones included)."""

    _fields: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(getattr(self, f) == getattr(other, f) for f in self._fields)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{f}={getattr(self, f)!r}' for f in self._fields)})"


class Problem(Record):
    """One thing wrong with the input, located in its source file."""

    _fields = ("message", "file", "line", "column", "path", "hint")

    def __init__(self, message: str, file: str = "", line: int = 0, column: int = 0, path: str = "",
                 hint: str = ""):
        self.message = message
        self.file = file
        self.line = line  # 1-based; 0 when unknown
        self.column = column  # 1-based; 0 when unknown
        self.path = path  # field path, e.g. sections[2].entries[0].start
        self.hint = hint

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


class Warning_(Record):
    """Something the build worked around; printed, never fatal."""

    _fields = ("message", "file", "line", "column", "path")

    def __init__(self, message: str, file: str = "", line: int = 0, column: int = 0, path: str = ""):
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.path = path

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


class Report(Record):
    """Warnings collected along the way, shared by all stages of one build."""

    _fields = ("warnings",)

    def __init__(self, warnings: list[Warning_] | None = None):
        self.warnings = [] if warnings is None else warnings

    def warn(self, message: str, file: str = "", line: int = 0, column: int = 0, path: str = "") -> None:
        w = Warning_(message, file, line, column, path)
        if not any(str(x) == str(w) for x in self.warnings):
            self.warnings.append(w)


_WHERE = re.compile(r"^(?P<file>[^\s]*?):(?P<line>\d+)(?::(?P<col>\d+))?(?::)?(?:\s+(?P<path>.*))?$")


def warn_at(report: Report | None, where: str, message: str, path: str = "") -> None:
    """Report `message` located at `where` ("file:line:col path", a value's `where`, or free text);
    `path` names the field when `where` does not."""
    if report is None:
        return
    m = _WHERE.match(where.strip()) if where else None
    if m:
        report.warn(message, file=m["file"], line=int(m["line"]), column=int(m["col"] or 0),
                    path=m["path"] or path)
    elif where:
        report.warn(f"{where}: {message}", path=path)
    else:
        report.warn(message, path=path)
