"""Load stage for .bib files: BibTeX text into plain-Unicode `BibEntry`s.

bibtexparser v2 splits the file into blocks (entries, @string, @preamble,
comments); its splitter recovers from broken entries and says where they
are, and it marks duplicate keys and fields.  The rest is ours, in one pass
over the blocks: `@string` macros and `#` concatenation, month names, dates,
crossref inheritance and LaTeX decoding.  bibtexparser's own middlewares are
not used for these: its string interpolation replaces only a value that is
a macro's name alone (no `#` concatenation, no word about an undefined
macro; ours also bounds the expansion, see MAX_VALUE), its month middleware
keeps "Jan." or "Spring" as they are without a word, and its LaTeX decoding
(pylatexenc) drops unknown commands silently where we warn.

Output is data, never LaTeX: the `latex` stage escapes every field later.
Name-list fields (author, editor) keep their braces, because braces decide
how names split (`{OpenAI Team}`, `{Barnes and Noble}`); the bibliography
stage removes them after splitting.
"""

from __future__ import annotations

import codecs
import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, cast

from ..errors import InputError, Problem, Report, decode_utf8
from . import richtext
from .richtext import mathparse
from .richtext.mathtable import FUNCTIONS

if TYPE_CHECKING:
    from bibtexparser import model


@dataclass
class BibEntry:
    """One BibTeX entry, decoded to Unicode, with where it starts in the file."""

    key: str
    type: str  # lower-case entry type: article, inproceedings, misc, ...
    fields: dict[str, str]  # lower-case field names -> decoded Unicode text, braces removed
    #                         (except in author/editor, where braces group names)
    file: str
    line: int  # 1-based line of the @type{ in the file


NAME_FIELDS = frozenset({"author", "editor"})
# Kept verbatim (no LaTeX decoding, `~` stays a tilde).  Any other field whose
# value looks like a URL is treated the same way, e.g. custom `jiqizhixin`.
VERBATIM_FIELDS = frozenset(
    {
        "url",
        "doi",
        "eprint",
        "code",
        "pdf",
        "slides",
        "video",
        "poster",
        "html",
        "website",
        "project",
        "supp",
        "blog",
        "arxiv",
        "file",
        "preview",
        "isbn",
        "issn",
        "pmid",
        "pmcid",
        "altmetric",
        "dimensions",
        "google_scholar_id",
    }
)
# Fields a crossref child never inherits from its parent.
NOT_INHERITED = frozenset({"crossref", "xref", "ids", "entryset", "key", "label"})
CONTAINER_TYPES = frozenset(
    {"proceedings", "mvproceedings", "book", "mvbook", "collection", "mvcollection", "reference"}
)

MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
# BibTeX predefines these macros; keys are matched case-insensitively.
PREDEFINED_MACROS = {m[:3]: m.capitalize() for m in MONTHS}

_URL_RE = re.compile(r"^(?:https?|ftp)://\S*$", re.IGNORECASE)
_NEEDS_DECODING = re.compile(r"[\\{}~$]|--")
_SPACES = re.compile(r"[ \t\r\n]+")


# --------------------------------------------------------------------------
# Reading the file


def load_bib(path: str | Path, report: Report, display_name: str | None = None, strict: bool = False) -> list[BibEntry]:
    """Read and parse a .bib file; raises InputError with every problem found.
    strict: an imperfect entry (no year, a duplicated key, ...) is an error, not a warning."""
    path = Path(path)
    display = display_name or str(path)
    return parse_bib(_read_text(path, display), display, report, strict)


def _read_text(path: Path, display: str) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            [
                Problem(
                    f"BibTeX file not found: {display} (this path is set by `publications.bib` in cv.yaml)",
                    display,
                    hint="fix `publications.bib` in cv.yaml; a relative path is read from the folder of cv.yaml",
                )
            ]
        ) from None
    except OSError as exc:
        raise InputError([Problem(f"cannot read BibTeX file {display}: {exc.strerror}", display)]) from None
    return decode_utf8(data, display, "the .bib file")


# --------------------------------------------------------------------------
# Parsing


def parse_bib(text: str, file: str, report: Report, strict: bool = False) -> list[BibEntry]:
    """Parse BibTeX text; raises InputError with every problem found.

    An imperfect entry is a warning `FILE:LINE: key: what is wrong; what was done`
    and is listed as well as it can be; with strict it is an error instead."""
    if not text.strip():
        return []
    # Imported here, not at the top: bibtexparser costs ~25 ms to import (logging ~9 ms of it),
    # which a build that reads the parsed .bib from the cache (cache.parsed_bib) never pays.
    import logging

    import bibtexparser

    log = logging.getLogger("bibtexparser")
    level = log.level
    log.setLevel(logging.CRITICAL)  # it logs each broken block; we report them as Problems
    try:
        blocks = bibtexparser.parse_string(text, parse_stack=[]).blocks
    finally:
        log.setLevel(level)
    kinds = bibtexparser.model
    state = _ParseState(file, report, kinds, strict)
    for block in blocks:  # @string first: entries may use macros defined later
        if type(block) is kinds.Entry:  # the common case; ABC isinstance() is slow
            continue
        if isinstance(block, kinds.String):
            state.define_string(block)
        elif isinstance(block, kinds.DuplicateBlockKeyBlock) and isinstance(block.ignore_error_block, kinds.String):
            state.define_string(block.ignore_error_block)
    previous = None
    for block in blocks:
        state.handle_block(block, previous)
        previous = block
    entries = _resolve_crossrefs(state.entries, state)
    state.check_required(entries)
    state.flush_warnings()
    if state.problems:
        raise InputError(sorted(state.problems, key=lambda p: p.line))
    return entries


class _ParseState:
    """What one file's blocks add up to: macros, entries, problems."""

    def __init__(self, file: str, report: Report, kinds: ModuleType, strict: bool = False):
        self.file = file
        self.report = report
        self.kinds = kinds  # bibtexparser.model: the classes of the blocks
        self.strict = strict
        self.bad_years: dict[int, str] = {}  # entry line -> a year that is no year
        self.entry_warnings: list[tuple[int, str]] = []  # (line, message): warned in file order
        self.macros: dict[str, str] = dict(PREDEFINED_MACROS)
        self.defined: set[str] = set()  # macros defined by the file itself
        self.broken: set[str] = set()  # keys of entries with a field already reported
        self.entries: list[BibEntry] = []
        self.by_key: dict[str, BibEntry] = {}  # casefolded key -> its first entry
        self.problems: list[Problem] = []
        self.unknown_commands: dict[str, tuple[str, int, int, str]] = {}  # name -> (key, line, count, field)

    def problem(self, message: str, line: int, hint: str = "") -> None:
        self.problems.append(Problem(message, self.file, line, hint=hint))

    def entry_problem(self, key: str, what: str, done: str, line: int, hint: str = "") -> None:
        """An imperfect entry: a warning saying what was done about it, or with strict an error."""
        if self.strict:
            self.problem(f"entry '{key}': {what}", line, hint)
        else:
            self.entry_warnings.append((line, f"{key}: {what}; {done}"))

    # ---- blocks

    def define_string(self, block: model.String) -> None:
        line = _line(block)
        name = block.key.strip()
        if not re.fullmatch(r"[^\s\"#%'(),={}]+", name):
            self.problem(f"@string name {name!r} is not a valid macro name", line)
            return
        if name.lower() in self.defined:
            self.report.warn(f"@string {name} is defined twice; the later definition is used", self.file, line)
        self.defined.add(name.lower())
        value = self.evaluate(block.value, line - 1, f"@string {name}")
        # A failed macro expands to nothing, so its uses do not repeat the error.
        self.macros[name.lower()] = "" if value is None else value

    def handle_block(self, block: model.Block, previous: model.Block | None) -> None:
        kinds = self.kinds
        if type(block) is kinds.Entry or isinstance(block, kinds.Entry):
            self.add_entry(cast("model.Entry", block))
        elif isinstance(block, kinds.Preamble):
            self.report.warn("@preamble is ignored (the CV is typeset without it)", self.file, _line(block))
        elif isinstance(block, kinds.DuplicateFieldKeyBlock):
            entry = block.ignore_error_block
            for name in sorted(block.duplicate_keys):
                self.entry_problem(
                    entry.key.strip(),
                    f"field '{name}' is given twice",
                    "the first one is used",
                    _line(entry),
                    hint="delete one of the two",
                )
            self.add_entry(entry)
        elif isinstance(block, kinds.DuplicateBlockKeyBlock):
            if isinstance(block.ignore_error_block, kinds.Entry):
                self.add_entry(block.ignore_error_block)  # reported as a duplicate there
        elif isinstance(block, kinds.ParsingFailedBlock):
            self.problems.append(_failed_block_problem(block, self.file))
        elif isinstance(block, kinds.ImplicitComment) and isinstance(previous, kinds.Entry):
            self.check_stray_text(block, previous)
        # @string was handled up front; @comment and other comments are ignored.

    def check_stray_text(self, block: model.ImplicitComment, entry: model.Entry) -> None:
        """Fields after an entry's end mean an extra '}' closed it too early."""
        match = _STRAY_FIELD.search(block.comment)
        if not match:
            return
        field_line = _line(block) + block.comment.count("\n", 0, match.start(1))
        end_line = _line(entry) + (entry.raw or "").count("\n")
        self.problem(
            f"entry '{entry.key.strip()}' is closed too early by an extra '}}' on line {end_line}: "
            f"field '{match.group(1)}' on line {field_line} is outside of any entry "
            f"(unbalanced braces)",
            end_line,
            hint="remove the extra '}'",
        )
        self.broken.add(entry.key.strip())  # its missing fields are a consequence

    def add_entry(self, block: model.Entry) -> None:
        line = _line(block)
        key = block.key.strip()
        if not key or _BAD_KEY.search(key):
            what = "has no key" if not key else f"has an invalid key {key!r}"
            self.problem(f"@{block.entry_type} entry {what}", line, hint="write @type{key, field = {value}, ...}")
            return
        fields: dict[str, str] = {}
        for name, raw, line0 in self.split_fields(block, key):
            if name in fields:
                continue  # duplicate field: BibTeX keeps the first
            value = self.evaluate(raw, line0, key, name)
            if value is None:
                self.broken.add(key)  # already reported; do not also say "has no title"
            else:
                fields[name] = self.clean_field(name, value, key, line)
        _normalise_dates(fields, key, line, self)
        for name in NAME_FIELDS & fields.keys():
            self.check_name_commas(fields, name, key, line)
        entry = BibEntry(key, block.entry_type.strip().lower(), fields, self.file, line)
        first = self.by_key.get(key.casefold())
        if first is not None:
            if not self.duplicate(entry, first):
                return
        else:
            self.by_key[key.casefold()] = entry
        self.entries.append(entry)

    def split_fields(self, block: model.Entry, key: str) -> list[tuple[str, str, int]]:
        """(name, raw value, 0-based line) of each field. `title = {A} journal = {B}` (a comma left
        out between two fields, which bibtexparser reads as one value) is read as the two fields
        the person wrote, with a warning (an error with strict)."""
        result = []
        for fld in block.fields:
            name, raw, line0 = fld.key.strip().lower(), fld.value, fld.start_line or 0
            while True:
                pos = _missing_comma_at(raw)
                if pos is None:
                    break
                nxt = _FIELD_START.match(raw, pos)
                assert nxt is not None  # _missing_comma_at found a field there
                self.entry_problem(
                    key,
                    f"missing comma between field '{name}' and field '{nxt.group(1)}'",
                    "read as two fields",
                    line0 + 1 + raw.count("\n", 0, pos),
                    hint="separate fields with commas",
                )
                result.append((name, raw[:pos], line0))
                name, raw, line0 = nxt.group(1).lower(), raw[nxt.end() :], line0 + raw.count("\n", 0, pos)
            result.append((name, raw, line0))
        return result

    def duplicate(self, entry: BibEntry, first: BibEntry) -> bool:
        """A key seen before: an identical entry is merged into the first (False: not added);
        a different one is kept under a new key (True)."""
        same = "" if first.key == entry.key else f" (as '{first.key}'; keys are case-insensitive)"
        what = f"duplicate key: already defined at line {first.line}{same}"
        if entry.type == first.type and entry.fields == first.fields:
            self.entry_problem(
                entry.key,
                what,
                "the entries are identical, so it is listed once",
                entry.line,
                hint="delete the second copy",
            )
            return False
        n = 2
        while f"{entry.key}-{n}".casefold() in self.by_key:
            n += 1
        new_key = f"{entry.key}-{n}"
        self.entry_problem(
            entry.key,
            what,
            f"the entries differ, so both are listed, this one as '{new_key}'",
            entry.line,
            hint="rename one of the two entries",
        )
        entry.key = new_key
        self.by_key[new_key.casefold()] = entry
        return True

    def check_name_commas(self, fields: dict[str, str], name: str, key: str, line: int) -> None:
        """ "Jane Doe, Ulugbek Kamilov, Arthur Leclaire": names separated by commas, not `and`."""
        names = comma_separated_names(fields[name])
        if names is None:
            return
        self.entry_problem(
            key,
            f"the {name} list is separated by commas or semicolons instead of 'and' (too many commas in one name)",
            f"read as {len(names)} names: {'; '.join(names)}",
            line,
            hint=f"separate names with 'and': {name} = {{{' and '.join(names[:2])} and ...}}",
        )
        fields[name] = " and ".join(names)

    # ---- values

    def evaluate(self, raw: str, line0: int, key: str, name: str = "") -> str | None:
        """A field value: `{...}`, `"..."`, numbers and macros joined with `#`.
        line0 is bibtexparser's 0-based line of the `=`; key is "@string x" for macros."""
        undefined: list[tuple[str, int]] = []
        try:
            value = _evaluate(raw, self.macros, undefined)
        except _ValueError as err:
            where = f"entry '{key}', field '{name}'" if name else key
            self.problem(f"{where}: {err.message}", line0 + 1 + raw.count("\n", 0, err.pos), err.hint)
            return None
        for word, pos in undefined:  # BibTeX warns and goes on; the macro's name is the best guess
            line = line0 + 1 + raw.count("\n", 0, pos)
            hint = "define it with @string{" + word + " = {...}} or put the value in braces"
            if name:
                self.entry_problem(
                    key, f"field '{name}' uses the undefined @string macro '{word}'", f"printed as '{word}'", line, hint
                )
            else:
                self.problem(f"{key}: undefined @string macro '{word}'", line, hint)
        return value

    def clean_field(self, name: str, value: str, key: str, line: int) -> str:
        if name in VERBATIM_FIELDS or (value[:1] in "hHfF" and _URL_RE.match(value.strip())):
            return _verbatim(value)
        if "\n" in value or "  " in value or "\t" in value or "\r" in value:
            value = _SPACES.sub(" ", value)
        value = value.strip()
        if not _NEEDS_DECODING.search(value):
            return value  # the fast path: most fields are plain text
        keep_braces = name in NAME_FIELDS
        if "\\" not in value and "$" not in value and not (keep_braces and ("{" in value or "}" in value)):
            return _decode_simple(value)
        text, unknown = decode_latex(value, keep_braces)
        for command in unknown:
            first_key, first_line, count, first_field = self.unknown_commands.get(command, (key, line, 0, name))
            self.unknown_commands[command] = (first_key, first_line, count + 1, first_field)
        if isinstance(text, richtext.RichText):
            text.where = f"{self.file}:{line} entry '{key}', field '{name}'"
        return text

    def flush_warnings(self) -> None:
        for line, message in sorted(self.entry_warnings, key=lambda w: w[0]):  # stable: an entry's in order
            self.report.warn(message, self.file, line)
        # One warning per unknown command, not per use: Report.warn is linear.
        for command, (key, line, count, name) in self.unknown_commands.items():
            more = f" (and {count - 1} more uses)" if count > 1 else ""
            if command == UNPARSEABLE:
                self.report.warn(
                    f"could not read the LaTeX in entry '{key}', field '{name}'{more}; "
                    f"its backslashes and braces were dropped",
                    self.file,
                    line,
                )
            else:
                self.report.warn(
                    f"unknown LaTeX command \\{command} in entry '{key}', field '{name}'{more}; "
                    f"left out, the text of its argument kept",
                    self.file,
                    line,
                )

    def check_required(self, entries: list[BibEntry]) -> None:
        """An entry without a title cannot be listed (the bibliography stage leaves it
        out); one without authors or a year is listed all the same. Each is warned
        about, or with strict an error."""
        parents = crossref_parents(entries)  # containers: their children have the authors
        for entry in entries:
            f = entry.fields
            if entry.key in self.broken:
                continue
            missing = [
                name
                for name, present in (
                    ("title", f.get("title")),
                    (
                        "author (or editor)",
                        f.get("author")
                        or f.get("editor")
                        or ("(a container)" if entry.key.casefold() in parents else ""),
                    ),
                    ("year", f.get("year") or f.get("pubstate")),
                )
                if not (present or "").strip()
            ]
            if not missing:
                continue
            close = [
                f"'{n}' looks like {m}" for m in missing for n in difflib.get_close_matches(m, list(f), n=1, cutoff=0.6)
            ]
            hint = "every publication needs title, author and year"
            bad_year = self.bad_years.get(entry.line)
            if bad_year is not None:
                missing[missing.index("year")] = f"year ({bad_year!r} is not a year)"
                hint += "; write year = {2021}, or {in press}, {submitted}, ..."
            if close:
                hint = "; ".join(close) + " (a typo?); " + hint
            if self.strict:
                self.problem(f"entry '{entry.key}' has no {' and no '.join(missing)}", entry.line, hint=hint)
                continue
            if "title" in missing:
                done = "not listed (a publication needs a title)"
            else:
                done = "listed " + " and ".join(
                    "without authors" if m.startswith("author") else "undated, after the dated entries" for m in missing
                )
            what = "no " + " and no ".join(missing) + (f" ({'; '.join(close)}: a typo?)" if close else "")
            self.entry_warnings.append((entry.line, f"{entry.key}: {what}; {done}"))


def _line(block: model.Block | model.Field) -> int:
    """bibtexparser counts lines from 0."""
    return (block.start_line or 0) + 1


# --------------------------------------------------------------------------
# Field values: macros and concatenation


class _ValueError(Exception):
    def __init__(self, message: str, pos: int, hint: str = ""):
        self.message, self.pos, self.hint = message, pos, hint


_BAD_KEY = re.compile(r"[\s\"#'(),={}%]")
_STRAY_FIELD = re.compile(r"^[ \t]*,?[ \t]*([A-Za-z][\w:-]*)\s*=\s*[{\"\d]", re.MULTILINE)
_MACRO = re.compile(r"[^\s\"#%'(),={}]+")
_FIELD_START = re.compile(r"([A-Za-z][\w:-]*)\s*=")
_QUOTE_OR_BRACE = re.compile(r'(?<!\\)[{}"]')
_BRACE = re.compile(r"(?<!\\)[{}]")


# A field or @string longer than this is an attack, not a publication: ten
# levels of `s1 = s0 # s0 # ...` would otherwise grow to gigabytes.
MAX_VALUE = 1_000_000


def _evaluate(raw: str, macros: dict[str, str], undefined: list[tuple[str, int]] | None = None) -> str:
    """undefined: where to note macros that are not defined (used as their name);
    without it, an undefined macro is an error."""
    if raw[:1] == "{" and raw[-1:] == "}":
        inner = raw[1:-1]
        if "{" not in inner and "}" not in inner:
            return inner  # the usual {value}
    elif raw.isdigit():
        return raw
    parts: list[str] = []
    pos, end, size = 0, len(raw), 0
    while True:
        pos = _skip_space(raw, pos)
        if pos >= end:
            raise _ValueError("value is missing", pos)
        char = raw[pos]
        if char == "{":
            close = _matching_brace(raw, pos)
            parts.append(raw[pos + 1 : close])
            pos = close + 1
        elif char == '"':
            close = _closing_quote(raw, pos)
            parts.append(raw[pos + 1 : close])
            pos = close + 1
        else:
            match = _MACRO.match(raw, pos)
            if not match:
                raise _ValueError(f"unexpected {char!r} in value", pos)
            word = match.group()
            if word.isdigit():
                parts.append(word)
            elif word.lower() in macros:
                parts.append(macros[word.lower()])
            elif undefined is not None:
                undefined.append((word, pos))
                parts.append(word)
            else:
                raise _ValueError(
                    f"undefined @string macro '{word}'",
                    pos,
                    "define it with @string{" + word + " = {...}} or put the value in braces",
                )
            pos = match.end()
        size += len(parts[-1])
        if size > MAX_VALUE:
            raise _ValueError(
                f"the value expands to more than {MAX_VALUE:,} characters (nested @string "
                f"macros joined with #); nothing this long is a publication's field",
                pos,
                "remove the macros that repeat each other",
            )
        pos = _skip_space(raw, pos)
        if pos >= end:
            return "".join(parts)
        if raw[pos] != "#":
            raise _junk_error(raw, pos)
        pos += 1


def _missing_comma_at(raw: str) -> int | None:
    """Where a second `name =` starts right after a complete value (a comma left out), else None."""
    if "=" not in raw:
        return None
    try:
        _evaluate(raw, {}, [])
    except _ValueError as err:
        if _FIELD_START.match(raw, err.pos) and err.message.startswith("missing comma before field"):
            return err.pos
    return None


def _skip_space(raw: str, pos: int) -> int:
    while pos < len(raw) and raw[pos].isspace():
        pos += 1
    return pos


def _junk_error(raw: str, pos: int) -> _ValueError:
    field = _FIELD_START.match(raw, pos)
    if field:
        return _ValueError(f"missing comma before field '{field.group(1)}'", pos, "separate fields with commas")
    return _ValueError(
        f"unexpected text {raw[pos : pos + 20]!r} after the value",
        pos,
        "put the whole value in braces, or join parts with #",
    )


def _matching_brace(raw: str, start: int) -> int:
    depth = 0
    for match in _BRACE.finditer(raw, start):
        depth += 1 if match.group() == "{" else -1
        if depth == 0:
            return match.start()
    raise _ValueError("unbalanced braces: '{' is never closed", start)


def _closing_quote(raw: str, start: int) -> int:
    depth = 0
    for match in _QUOTE_OR_BRACE.finditer(raw, start + 1):
        char = match.group()
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0:
            return match.start()
    raise _ValueError("the '\"' is never closed", start)


def _verbatim(value: str) -> str:
    """Links: strip outer braces and line breaks; un-escape `\\_` and friends
    (a backslash cannot be part of a URL, and it must not reach the output)."""
    if "\n" in value:
        value = _LINE_BREAK.sub("", value)
    value = value.strip()
    while value.startswith("{") and value.endswith("}") and _matching_brace_safe(value) == len(value) - 1:
        value = value[1:-1].strip()
    return _URL_ESCAPE.sub(r"\1", value) if "\\" in value else value


_LINE_BREAK = re.compile(r"\s*\n\s*")
_URL_ESCAPE = re.compile(r"\\([_%&#~$])")


def _matching_brace_safe(value: str) -> int:
    try:
        return _matching_brace(value, 0)
    except _ValueError:
        return -1


# --------------------------------------------------------------------------
# Broken blocks


_BLOCK_HEAD = re.compile(r"@\s*(\w+)\s*[{(]\s*([^,\s{}()=\"#%']*)")


def _failed_block_problem(block: model.ParsingFailedBlock, file: str) -> Problem:
    line = _line(block)
    raw = block.raw or ""
    head = _BLOCK_HEAD.match(raw)
    what = f"@{head.group(1).lower()} entry" if head else "entry"
    if head and head.group(2):
        what += f" '{head.group(2)}'"
    reason = getattr(block.error, "abort_reason", str(block.error))
    if reason.startswith("Expected comma after entry key"):
        return Problem(
            f"{what}: missing comma after the entry key", file, line, hint="write @type{key, field = {value}, ...}"
        )
    if reason.startswith("Expected either a `,`") or reason.startswith("Expected a `=`"):
        bad_line = line + raw.count("\n")
        return Problem(
            f"{what}: missing comma or '=' near line {bad_line}",
            file,
            line,
            hint="fields look like name = {value}, separated by commas",
        )
    if "end of file" in reason:
        end = "the end of the file"
    else:  # bibtexparser stopped at the next line starting with @
        end = f"the next entry on line {line + raw.count(chr(10)) + 1}"
    unclosed = _unclosed_opener(raw)
    if unclosed:
        offset, char = unclosed
        return Problem(
            f"{what}: unbalanced braces: the '{char}' on line {line + offset} is never closed "
            f"(the entry starts on line {line}; reading stopped at {end})",
            file,
            line + offset,
            hint=f"add the missing '{'}' if char == '{' else char}'",
        )
    return Problem(
        f"{what} is not closed before {end} (unbalanced braces: missing '}}')",
        file,
        line,
        hint="add the missing '}' at the end of the entry",
    )


_FIELD_INSIDE = re.compile(r"\n\s*[A-Za-z][\w:-]*\s*=")


def _unclosed_opener(raw: str) -> tuple[int, str] | None:
    """(0-based line within the block, char) of the field value that is never closed.

    When braces are short by one, the field's `{` and the entry's `{` are both
    candidates; the field whose value swallowed later `name = ...` lines is the
    culprit."""
    stack: list[int] = []
    quote_at = -1
    for match in _QUOTE_OR_BRACE.finditer(raw):
        char, pos = match.group(), match.start()
        if char == '"':
            if len(stack) == 1:
                quote_at = -1 if quote_at >= 0 else pos
        elif char == "{":
            stack.append(pos)
        elif stack:
            start = stack.pop()
            if len(stack) == 1 and quote_at < 0 and _FIELD_INSIDE.search(raw, start, pos):
                return raw.count("\n", 0, start), "{"
    if quote_at >= 0:
        return raw.count("\n", 0, quote_at), '"'
    if len(stack) > 1:
        return raw.count("\n", 0, stack[1]), "{"
    return None


# --------------------------------------------------------------------------
# Name lists written with commas


_AND_SPLIT = re.compile(r"\s+and\s+", re.IGNORECASE)
_COMMA = re.compile(",")
_SEMICOLON = re.compile(r"\s*;\s*")
_SPACE_RUN = re.compile(r"\s+")


def comma_separated_names(value: str) -> list[str] | None:
    """The names of an author list written "Jane Doe, Ulugbek Kamilov, Arthur Leclaire"
    (BibTeX: "too many commas") or "Doe, Jane; Roe, Rick", split as meant; None for a
    list in BibTeX form.

    A name has at most two commas ("von Last, Jr, First"); a part with more, or
    with two that separate written-out names, or ending in a comma, is a list."""
    if ";" not in value and (value.count(",") < 2 or not any(part.count(",") >= 2 for part in _AND_SPLIT.split(value))):
        return None  # the usual "Doe, Jane and Roe, Rick": at most one comma per name
    result: list[str] = []
    changed = False
    for part in _split_top(value, _AND_SPLIT):
        names = [n for n in _split_top(part, _SEMICOLON) if n]
        changed |= len(names) > 1
        for name in names:
            pieces = _comma_list(name)
            changed |= pieces is not None
            result.extend(pieces or [name])
    return result if changed else None


def _comma_list(part: str) -> list[str] | None:
    """The names in one `and`-separated part, when it holds several; else None."""
    pieces = [p.strip() for p in _split_top(part, _COMMA)]
    trailing = len(pieces) > 1 and not pieces[-1]
    pieces = [p for p in pieces if p]
    words = [len(_split_top(p, _SPACE_RUN)) for p in pieces]
    if (len(pieces) >= 3 or trailing and len(pieces) == 2) and all(w >= 2 for w in words):
        return pieces  # "Jane Doe, Ulugbek Kamilov, ..."
    if len(pieces) >= 4 and len(pieces) % 2 == 0 and all(w == 1 for w in words[::2]):
        return [f"{a}, {b}" for a, b in zip(pieces[::2], pieces[1::2], strict=True)]  # "Doe, J., Roe, K."
    if len(pieces) >= 4:
        return pieces
    return None


def _split_top(text: str, separator: re.Pattern) -> list[str]:
    """text split on separator outside braces."""
    if "{" not in text:
        return separator.split(text.strip())
    parts, depth, start = [], 0, 0
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0:
            match = separator.match(text, pos)
            if match and match.end() > pos:
                parts.append(text[start:pos])
                start = pos = match.end()
                continue
        pos += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


# --------------------------------------------------------------------------
# Months and dates


def normalise_month(value: str) -> str | None:
    """ "jan", "January", "Jan.", "01" -> "1"; None when not a month."""
    if value.isdigit():
        return str(int(value)) if 1 <= int(value) <= 12 else None
    match = re.match(r"\s*([A-Za-z]+|\d{1,2})", value)
    if not match:
        return None
    word = match.group(1).lower()
    if word.isdigit():
        return str(int(word)) if 1 <= int(word) <= 12 else None
    for number, name in enumerate(MONTHS, 1):
        if len(word) >= 3 and name.startswith(word):
            return str(number)
    return None


_DATE = re.compile(r"\s*(\d{4})(?:-(\d{1,2}))?")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
# What people write instead of a year (and biblatex's pubstate values), as printed.
# All of them sort as the newest: the work is not out yet.
STATUS = {
    "inpress": "in press",
    "forthcoming": "forthcoming",
    "toappear": "to appear",
    "accepted": "accepted",
    "submitted": "submitted",
    "underreview": "under review",
    "inreview": "under review",
    "inpreparation": "in preparation",
    "inprep": "in preparation",
}  # not biblatex's `prepublished`: that work is out, as a preprint, and sorts by its date


def status_of(text: str) -> str:
    """ "In Press", "{in press}", "inpress", "to appear" -> the printed status; "" otherwise."""
    if not text or text[0].isdigit():
        return ""  # the usual year
    return STATUS.get(re.sub(r"[^a-z]", "", text.lower()), "")


def _normalise_dates(fields: dict[str, str], key: str, line: int, state: _ParseState) -> None:
    """biblatex's date into year and month; `year = {in press}` and biblatex's
    pubstate into `pubstate`; a year that is no year is dropped (listed undated)."""
    date = _DATE.match(fields["date"]) if "date" in fields else None
    if date and not fields.get("year"):
        fields["year"] = date.group(1)
    if date and date.group(2) and not fields.get("month"):
        fields["month"] = date.group(2)
    for name in ("pubstate", "year", "date"):
        status = status_of(_YEAR.sub("", fields.get(name, "")).strip(" ,;()[]"))  # "2021 (in press)"
        if status:
            fields["pubstate"] = status
            break
    year = fields.get("year", "").strip()
    if year and not (year.isdigit() and len(year) == 4):
        found = _YEAR.search(year)
        if found:
            fields["year"] = found.group(1)  # "2021a", "(2021)", "2021/2022"
        else:
            del fields["year"]
            if not status_of(year):
                state.bad_years[line] = year  # reported with the other missing fields
    if "month" in fields:
        month = normalise_month(fields["month"])
        if month is None:
            state.entry_problem(key, f"month {fields['month']!r} is not a month name or number", "ignored", line)
            del fields["month"]
        else:
            fields["month"] = month


# --------------------------------------------------------------------------
# crossref


def _resolve_crossrefs(entries: list[BibEntry], state: _ParseState) -> list[BibEntry]:
    """Children inherit their parent's fields. Parents stay: whether a volume is a
    publication of its own (the owner edited it) is the bibliography stage's call."""
    by_key = state.by_key
    for entry in entries:
        ref = entry.fields.get("crossref", "").strip()
        if not ref:
            continue
        parent = by_key.get(ref.casefold())
        if parent is None or parent is entry:
            state.entry_problem(
                entry.key,
                f"crossref '{ref}' is not in the file",
                "nothing inherited",
                entry.line,
                hint=f"add the entry '{ref}', or remove the crossref",
            )
            continue
        entry.fields["crossref"] = parent.key  # as the parent spells it
        _inherit(entry, parent)
    return entries


def crossref_parents(entries: list[BibEntry]) -> set[str]:
    """Casefolded keys of the entries other entries cross-reference."""
    return {e.fields["crossref"].casefold() for e in entries if e.fields.get("crossref")}


def _inherit(child: BibEntry, parent: BibEntry) -> None:
    for name, value in parent.fields.items():
        if name not in NOT_INHERITED and name not in child.fields:
            child.fields[name] = value
    if parent.type in CONTAINER_TYPES and "booktitle" not in parent.fields and "title" in parent.fields:
        child.fields.setdefault("booktitle", parent.fields["title"])
    # The parent's title was copied as the child's own only if the child had none.


# --------------------------------------------------------------------------
# LaTeX -> Unicode


_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
    "t": "\u0361",
}
_SYMBOLS = {
    "aa": "å",
    "AA": "Å",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "o": "ø",
    "O": "Ø",
    "l": "ł",
    "L": "Ł",
    "ss": "ß",
    "SS": "SS",
    "i": "ı",
    "j": "ȷ",
    "dh": "ð",
    "DH": "Ð",
    "th": "þ",
    "TH": "Þ",
    "dj": "đ",
    "DJ": "Đ",
    "ng": "ŋ",
    "NG": "Ŋ",
    "textendash": "–",
    "textemdash": "—",
    "ldots": "…",
    "dots": "…",
    "textellipsis": "…",
    "textquoteleft": "‘",
    "textquoteright": "’",
    "textquotedblleft": "“",
    "textquotedblright": "”",
    "guillemotleft": "«",
    "guillemotright": "»",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textbackslash": "\\",
    "textbar": "|",
    "textless": "<",
    "textgreater": ">",
    "textunderscore": "_",
    "textdollar": "$",
    "textsection": "§",
    "S": "§",
    "P": "¶",
    "copyright": "©",
    "textcopyright": "©",
    "textregistered": "®",
    "texttrademark": "™",
    "pounds": "£",
    "euro": "€",
    "texteuro": "€",
    "textdegree": "°",
    "LaTeX": "LaTeX",
    "TeX": "TeX",
    "BibTeX": "BibTeX",
    "LaTeXe": "LaTeX2e",
    "textperiodcentered": "·",
    "textbullet": "•",
    "quad": " ",
    "qquad": " ",
    "enspace": " ",
    "thinspace": "\u202f",
    "space": " ",
    "hyphen": "-",
    "slash": "/",
    "textnbhyphen": "\u2011",
    "nobreakspace": "\u00a0",
    "textvisiblespace": " ",
    "newline": " ",
    "par": " ",
    "and": " and ",
}
_CONTROL_SYMBOLS = {
    "&": "&",
    "%": "%",
    "_": "_",
    "#": "#",
    "$": "$",
    "{": "{",
    "}": "}",
    " ": " ",
    ",": "\u202f",
    ";": " ",
    ":": " ",
    ">": " ",
    "\\": " ",
    "-": "",
    "/": "",
    "@": "",
    "!": "",
    "*": "",
}
# Formatting commands: their argument in a style (richtext.STYLES).
_STYLE_COMMANDS = {
    "textbf": "b",
    "mkbibbold": "b",
    "textit": "i",
    "emph": "i",
    "mkbibemph": "i",
    "mkbibitalic": "i",
    "textsl": "i",
    "textsc": "sc",
    "texttt": "tt",
    "textsuperscript": "sup",
    "mkbibsuperscript": "sup",
    "textsubscript": "sub",
}
# Declarations: the rest of the group in a style ({\em x}, {\bfseries x}).
_DECLARATIONS = {
    "em": "i",
    "it": "i",
    "itshape": "i",
    "sl": "i",
    "slshape": "i",
    "bf": "b",
    "bfseries": "b",
    "sc": "sc",
    "scshape": "sc",
    "tt": "tt",
    "ttfamily": "tt",
}
_QUOTE_COMMANDS = frozenset({"enquote", "mkbibquote", "textquote", "mkbibparens"})
# Commands that only change looks we do not show: the command goes, its argument stays.
_TRANSPARENT = frozenset(
    """
textrm textsf textup textmd textnormal mbox hbox text em rm sf up md normalfont relax protect
nocase NoCaseChange uppercase lowercase MakeUppercase MakeLowercase MakeTextUppercase
MakeTextLowercase mkbibacro tiny scriptsize footnotesize small normalsize large Large LARGE huge Huge
upshape mdseries rmfamily sffamily xspace unskip ignorespaces allowbreak linebreak nolinebreak
newblock nobreak bgroup egroup ensuremath
""".split()
)
# Commands whose (first) argument is not text: dropped with it.
_DROP_ARGUMENT = frozenset(
    """
textcolor color noopsort label hspace vspace cite citep citet ref footnote footnotemark thanks
""".split()
)
_URL_COMMANDS = frozenset({"url", "href"})

_LATEX_TOKEN = re.compile(
    r"""
    \\([A-Za-z]+)\*?([ \t\n]*)  # 1 control word, 2 the spaces after it
  | \\(.)                        # 3 control symbol
  | ([{}$~])                     # 4
  | (---?)                       # 5 dashes
  | (``|'')                      # 6 quotes
  | ([^\\{}$~`'-]+|[\\`'-])      # 7 plain text, or a lone character
""",
    re.VERBOSE | re.DOTALL,
)


@dataclass
class _Frame:
    """A brace group being decoded (bibtex.py's TeX-to-rich-text decoder)."""

    parts: list  # str and richtext nodes
    role: str = ""  # "" plain group, "accent", "drop", "special" (group starting with a command),
    #                 "style", "quote", "decl" (a declaration's implicit group, closed with its parent)
    accent: str = ""  # the combining mark ("accent"), the style ("style", "decl")
    pending: tuple | None = None  # ("accent", mark), ("style", style), ("drop",), ("quote",):
    #                               applies to the next argument


_DOUBLE_SPACE = re.compile(r"  +")
UNPARSEABLE = ""  # reported instead of a command name when decoding gave up
# DBLP exports a title's formula as escaped text: {\textdollar}{\textbackslash}mathrm\{AC\}{\textdollar}.
# A dollar-delimited run holding escaped TeX syntax is read as the formula it was (through the same
# whitelist as any formula); dollars around plain text stay dollars.
_DBLP_MATH = re.compile(r"\{\\textdollar\}(.+?)\{\\textdollar\}", re.S)
_DBLP_CHARS = {"{\\textbackslash}": "\\", "\\{": "{", "\\}": "}", "{\\^{}}": "^", "{\\_}": "_", "\\_": "_"}
_DBLP_ESCAPE = re.compile("|".join(re.escape(k) for k in _DBLP_CHARS))


def _dblp_math(text: str) -> str:
    def formula(m: re.Match) -> str:
        inner = m.group(1)
        if not any(k in inner for k in ("{\\textbackslash}", "{\\^{}}", "{\\_}", "\\_")):
            return m.group(0)
        return "$" + _DBLP_ESCAPE.sub(lambda k: _DBLP_CHARS[k.group(0)], inner) + "$"

    return _DBLP_MATH.sub(formula, text)


def decode_latex(text: str, keep_braces: bool = False) -> tuple[str, list[str]]:
    """LaTeX text -> Unicode, and the names of commands we did not know.

    The text is a `richtext.RichText` (a str with its structure) when it has
    math, formatting or links, else a plain str.  Never raises: on any surprise
    the text is returned with the LaTeX characters removed.  With keep_braces,
    groups other than special characters like `{\\"o}` keep their braces (for
    name splitting) and the text is always plain.
    """
    if "textdollar" in text:
        text = _dblp_math(text)
    try:
        nodes, unknown = _decode(text, keep_braces)
    except Exception:  # noqa: BLE001 - decoding must never stop the build
        return re.sub(r"[\\{}$]", "", text), [UNPARSEABLE]
    if unknown:  # a command left out leaves the spaces around it side by side
        nodes = tuple(_DOUBLE_SPACE.sub(" ", n) if isinstance(n, str) else n for n in nodes)
    if all(isinstance(n, str) for n in nodes):
        return "".join(nodes).strip() if unknown else "".join(nodes), unknown
    if keep_braces:
        return richtext.plain(nodes), unknown
    return richtext.RichText.of(nodes), unknown


def _decode_simple(text: str) -> str:
    """What _decode gives for text without commands, math or (in names) braces."""
    if "-" in text:
        text = text.replace("---", "—").replace("--", "–")
    if "`" in text or "'" in text:
        text = text.replace("``", "“").replace("''", "”")
    return text.replace("~", "\u00a0").replace("{", "").replace("}", "")


def _decode(text: str, keep_braces: bool) -> tuple[tuple, list[str]]:
    stack = [_Frame([])]
    unknown: list[str] = []
    pos, end = 0, len(text)
    while pos < end:
        match = _LATEX_TOKEN.match(text, pos)
        if match is None:  # cannot happen: the last alternative takes any character
            break
        pos = match.end()
        kind = match.lastindex
        assert kind is not None  # every alternative of _LATEX_TOKEN is a group
        frame = stack[-1]
        if kind in (1, 2):
            name = match.group(1)
            if name in _URL_COMMANDS:
                pos = _url_command(stack, name, text, pos, unknown)
            elif name == "ensuremath" or "\\" + name in FUNCTIONS:
                pos = _math_command(stack, name, text, pos, unknown)
            else:
                _command(stack, name, bool(match.group(2)), unknown)
            continue
        value = match.group(kind)
        if kind == 3:
            if value in "([":  # \( ... \) and \[ ... \]
                close = text.find("\\" + (")" if value == "(" else "]"), pos)
                close = end if close < 0 else close
                _math(stack, text[pos:close], unknown)
                pos = close + 2
                continue
            _mark_special(stack)
            if value in _ACCENTS:
                frame.pending = ("accent", _ACCENTS[value])
            else:
                _emit(frame, _CONTROL_SYMBOLS.get(value, value))
        elif value == "{":
            pending = frame.pending or ("",)
            frame.pending = None
            stack.append(_Frame([], pending[0], pending[1] if len(pending) > 1 else ""))
        elif value == "}":
            _close_declarations(stack, keep_braces)
            if len(stack) > 1:
                _close_group(stack, keep_braces)
        elif value == "$":
            close = _math_end(text, pos)
            if close < 0:
                _emit(frame, "$")  # a lone dollar sign is a dollar sign
                continue
            display = text.startswith("$$", pos - 1)
            start = pos + 1 if display else pos
            _math(stack, text[start:close], unknown)
            pos = close + (2 if display else 1)
        elif value == "~":
            _emit(frame, "\u00a0")
        elif kind == 5:
            _emit(frame, "–" if value == "--" else "—")
        elif kind == 6:
            _emit(frame, "“" if value == "``" else "”")
        elif value != "\\":  # a lone trailing backslash is dropped
            _emit(frame, value)
    while len(stack) > 1:  # unbalanced input: close what is open
        _close_group(stack, keep_braces)
    _close_declarations(stack, keep_braces)
    return _merge(stack[0].parts), unknown


def _math_end(text: str, pos: int) -> int:
    """Where the formula opened by the `$` before `pos` ends (the closing `$` or `$$`), or -1."""
    display = text.startswith("$", pos)
    i = pos + 1 if display else pos
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "$":
            if display and not text.startswith("$$", i):
                return -1
            return i
        i += 1
    return -1


def _math(stack: list[_Frame], source: str, unknown: list[str]) -> None:
    def text_of(src: str) -> str:
        nodes, inner_unknown = _decode(src, False)
        unknown.extend(inner_unknown)
        return richtext.plain(nodes)

    nodes = mathparse.parse_math(source, text_of, unknown)
    if nodes:
        _emit_node(stack[-1], richtext.Math(nodes))


def _math_command(stack: list[_Frame], name: str, text: str, pos: int, unknown: list[str]) -> int:
    """\\ensuremath{x^2} and math commands outside math (\\mathbb{R}): set as a formula."""
    source, end = ("", pos) if name == "ensuremath" else ("\\" + name, pos)
    for _ in range(1 if name == "ensuremath" else FUNCTIONS["\\" + name].arity):
        close = _argument_end(text, end)
        if close < 0:
            break
        argument = text[text.index("{", end) + 1 : close]
        source += argument if name == "ensuremath" else "{" + argument + "}"
        end = close + 1
    _math(stack, source, unknown)
    return end


def _url_command(stack: list[_Frame], name: str, text: str, pos: int, unknown: list[str]) -> int:
    """\\url{u} and \\href{u}{label}: a link (its URL read verbatim); returns where decoding goes on."""
    url, pos = _verbatim_argument(text, pos)
    if url is None:
        return pos
    url = _URL_ESCAPE.sub(r"\1", url).strip()
    frame = stack[-1]
    _mark_special(stack)
    if name == "url":
        _emit_node(frame, richtext.Link(url, (url,)))
        return pos
    label_end = _argument_end(text, pos)
    if label_end < 0:
        _emit_node(frame, richtext.Link(url, (url,)))
        return pos
    label, more = _decode(text[text.index("{", pos) + 1 : label_end], False)
    unknown.extend(more)
    _emit_node(frame, richtext.Link(url, label or (url,)))
    return label_end + 1


def _verbatim_argument(text: str, pos: int) -> tuple[str | None, int]:
    """The raw text of the braced argument at `pos` (after spaces), and the position after it."""
    close = _argument_end(text, pos)
    if close < 0:
        return None, pos
    return text[text.index("{", pos) + 1 : close], close + 1


def _argument_end(text: str, pos: int) -> int:
    """The index of the `}` closing the braced argument starting at `pos` (after spaces), or -1."""
    while pos < len(text) and text[pos] in " \t\n":
        pos += 1
    if not text.startswith("{", pos):
        return -1
    depth = 0
    for i in range(pos, len(text)):
        c = text[i]
        if c == "{" and text[i - 1 : i] != "\\":
            depth += 1
        elif c == "}" and text[i - 1 : i] != "\\":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _mark_special(stack: list[_Frame]) -> None:
    """A group that starts with a command is BibTeX's "special character"
    ({\\"o}, {\\aa}): its braces are not a protection, so they never stay."""
    frame = stack[-1]
    if len(stack) > 1 and not frame.parts and frame.role == "" and frame.pending is None:
        frame.role = "special"


def _command(stack: list[_Frame], name: str, spaced: bool, unknown: list[str]) -> None:
    _mark_special(stack)
    frame = stack[-1]
    if name in _ACCENTS:
        frame.pending = ("accent", _ACCENTS[name])
    elif name in _STYLE_COMMANDS:
        frame.pending = ("style", _STYLE_COMMANDS[name])
    elif name in _QUOTE_COMMANDS:
        frame.pending = ("quote",)
    elif name in _DECLARATIONS:
        stack.append(_Frame([], "decl", _DECLARATIONS[name]))
    elif name in _DROP_ARGUMENT:
        frame.pending = ("drop",)
    elif name in _TRANSPARENT:
        pass
    else:
        symbol = _SYMBOLS.get(name) or _latexcodec_symbol(name)
        if symbol is None:
            unknown.append(name)  # its argument, if any, is kept as a group: the text stays
            return
        # TeX eats the space after a command; keep it after words (\\LaTeX rocks),
        # not after letters (Stra\\ss e).
        if spaced and (len(symbol) > 1 or not (symbol.isalpha() or symbol in "-/\u2011")):
            symbol += " "
        _emit(frame, symbol)


@lru_cache(maxsize=512)
def _latexcodec_symbol(name: str) -> str | None:
    """latexcodec knows many more symbols: text ones (\\textpm) and math ones (\\alpha)."""
    import latexcodec  # noqa: F401  (registers the "ulatex" codec; ~24 ms, only for an unknown command)

    for source in ("\\" + name, "$\\" + name + "$"):
        try:
            # typeshed lets str in only for its own text codecs; latexcodec registers "ulatex"
            decoded = codecs.decode(source, "ulatex").strip()  # type: ignore[call-overload]
        except Exception:  # noqa: BLE001
            continue
        if decoded and not any(c in decoded for c in "\\$"):
            return decoded
    return None


def _emit(frame: _Frame, text: str) -> None:
    if frame.pending and text:
        if text[0].isspace() and frame.pending[0] in ("accent", "style"):
            text = text.lstrip()  # `\' e`: TeX skips spaces before an argument
            if not text:
                return
        pending = frame.pending
        frame.pending = None
        head, text = text[0], text[1:]
        if pending[0] == "accent":
            frame.parts.append(_accented(head, pending[1]))
        elif pending[0] == "style":
            frame.parts.append(richtext.Span(pending[1], (head,)))
        elif pending[0] == "quote":
            frame.parts.append("“" + head + "”")
    if text:
        frame.parts.append(text)


def _emit_node(frame: _Frame, node: object) -> None:
    if frame.pending and frame.pending[0] == "style":
        node = richtext.Span(frame.pending[1], (node,))
    frame.pending = None
    frame.parts.append(node)


def _close_declarations(stack: list[_Frame], keep_braces: bool) -> None:
    while len(stack) > 1 and stack[-1].role == "decl":
        _close_group(stack, keep_braces)


def _close_group(stack: list[_Frame], keep_braces: bool) -> None:
    frame = stack.pop()
    parent = stack[-1]
    parts = _merge(frame.parts)
    if frame.role == "drop" or not parts:
        return
    if frame.role in ("style", "decl"):
        parent.parts.append(richtext.Span(frame.accent, parts))
        return
    if frame.role == "quote":
        depth = sum(f.role == "quote" for f in stack)  # a quotation inside one takes single marks
        open_, close = ("‘", "’") if depth % 2 else ("“", "”")
        parent.parts.extend((open_, *parts, close))
        return
    if frame.role == "accent":
        content = richtext.plain(parts)
        parent.parts.append(_accented(content, frame.accent) if content else "")
        return
    if keep_braces and frame.role != "special":
        parent.parts.extend(("{", *parts, "}"))
        return
    parent.parts.extend(parts)


def _merge(parts: list) -> tuple:
    """Adjacent strings joined, empty ones dropped."""
    out: list = []
    for part in parts:
        if isinstance(part, str):
            if not part:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += part
                continue
        out.append(part)
    return tuple(out)


def _accented(text: str, mark: str) -> str:
    base = {"ı": "i", "ȷ": "j"}.get(text[0], text[0])
    return unicodedata.normalize("NFC", base + mark) + text[1:]
