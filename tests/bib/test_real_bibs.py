"""Real public .bib exports (tests/data/bib/, sources in SOURCES.md) build into the list their owner expects.

Each file is built end to end, as a new user would with their own file: a small cv.yaml whose
owner is the person the file belongs to, pdflatex, then the PDF is read back. What must hold:
the build succeeds (warnings are fine), every entry that has a title is listed, no TeX command,
brace, ^ or _ reaches the text, and the owner's name is set in the bold font in each of their
entries. A quick parse-only test per file gives the same "every titled entry is listed" answer
without TeX.

The expected titles and owner entries come from a small reader in this file, independent of
cv_builder: it only finds each entry's extent, its key and its title/author/editor fields.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import PDF, have_system, run_cli

from cv_builder.bib.publications import BibOptions, make_publications
from cv_builder.bib.reader import load_bib
from cv_builder.errors import InputError, Report

BIB = Path(__file__).resolve().parents[1] / "data" / "bib"


@dataclass(frozen=True)
class RealBib:
    """One corpus file: where it is and whose CV it would be (see SOURCES.md)."""

    path: str  # relative to tests/data/bib
    owner: str  # the person the file belongs to, as they would write it in cv.yaml
    literal: tuple[str, ...] = ()  # text the source escapes on purpose (E{\_}G), allowed as printed
    absent: tuple[str, ...] = ()  # text a reader must not see, e.g. a name split at a stray comma


# The owner per file is from SOURCES.md; written as a person would type their own name
# (no middle initials), so the .bib's "Seewald, Nicholas J." or "{Akins}, H.~B." must match.
CORPUS = [
    RealBib("scholar/doukhan_citations.bib", "David Doukhan"),
    RealBib("alfolio/alfolio_template_papers.bib", "Albert Einstein"),
    RealBib("alfolio/1zeryu_papers.bib", "Yukun Zhou"),
    RealBib("alfolio/0x404_papers.bib", "Qunhong Zeng"),
    # "Yuan*, Zhihang, and Xie, Bin": a stray comma must not print the name family-first
    RealBib("alfolio/42shawn_papers.bib", "Yuzhang Shang", absent=("Yuan, Zhihang",)),
    RealBib("alfolio/0merle0_papers.bib", "Jacob Gershon"),
    RealBib("academicpages/vajpeyi_publications.bib", "Avi Vajpeyi"),
    RealBib("academicpages/akins_publications.bib", "Hollis Akins"),
    RealBib("hugoblox/seewald_cite_joined.bib", "Nicholas Seewald"),
    RealBib("zotero/pieterminator_my_library.bib", "Andre Scedrov"),
    RealBib("zotero/wood_exported_items.bib", "George Wood"),
    RealBib("handkept/thompson_my_library.bib", "Jake Thompson"),
    RealBib("dblp/limaye_dblp_excerpt.bib", "Nutan Limaye"),
    RealBib("inspire/xie_inspire_citeall.bib", "Keping Xie"),
    RealBib("inspire/imbert_inspire_citeall.bib", "Léonard Imbert"),
    RealBib("inspire/klustova_inspire_citeall.bib", "Anežka Klustová"),
    RealBib("inspire/andrade_inspire_citeall_excerpt.bib", "Uendert Andrade", literal=("E_G",)),
    RealBib("biber/examples_excerpt.bib", "Aristotle"),
    RealBib("biber/dateformats.bib", "John Doe"),
    RealBib("biber/crossrefs.bib", "Edgar Erbriss"),
]
IDS = [c.path for c in CORPUS]


# --------------------------------------------------------------------------
# An independent reader: entry extents, keys, and a few fields, raw


@dataclass
class RawEntry:
    kind: str
    key: str
    line: int
    fields: dict[str, str]  # lower-case name -> raw value without its outer delimiters


_ENTRY_START = re.compile(r"@\s*([A-Za-z]+)\s*[{(]")
_FIELD_START = r"(?:^|[,{\s])%s\s*=\s*"
_SKIP_KINDS = {"string", "comment", "preamble"}
# Fields a CV entry may print (not abstracts, file paths or annotations).
SHOWN = (
    "title",
    "author",
    "editor",
    "journal",
    "journaltitle",
    "booktitle",
    "publisher",
    "school",
    "institution",
    "organization",
    "series",
    "note",
    "howpublished",
    "titleaddon",
)


def _closing(text: str, start: int) -> int:
    """Index just past the brace group that opens at text[start] ('{')."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


def _value(body: str, name: str) -> str | None:
    match = re.search(_FIELD_START % name, body, re.IGNORECASE)
    if match is None:
        return None
    pos = match.end()
    if pos >= len(body):
        return None
    if body[pos] == "{":
        return body[pos + 1 : _closing(body, pos) - 1]
    if body[pos] == '"':
        depth, i = 0, pos + 1
        while i < len(body) and not (body[i] == '"' and depth == 0):
            depth += {"{": 1, "}": -1}.get(body[i], 0)
            i += 1
        return body[pos + 1 : i]
    bare = re.match(r"[^,}\s]+", body[pos:])
    return bare.group(0) if bare else None


def read_raw(path: Path) -> list[RawEntry]:
    text = path.read_text(encoding="utf-8")
    entries = []
    for match in _ENTRY_START.finditer(text):
        if text[: match.start()].count("{") != text[: match.start()].count("}"):
            continue  # an @ inside a field value
        kind = match.group(1).lower()
        if kind in _SKIP_KINDS:
            continue
        brace = match.end() - 1
        body = text[match.end() : _closing(text, brace) - 1]
        key = body.split(",", 1)[0].strip()
        fields = {}
        for name in (*SHOWN, "arxiv", "crossref"):
            value = _value(body, name)
            if value is not None:
                fields[name] = value
        entries.append(RawEntry(kind, key, text.count("\n", 0, match.start()) + 1, fields))
    return entries


def titled(path: Path) -> list[RawEntry]:
    return [e for e in read_raw(path) if e.fields.get("title", "").strip()]


def containers(path: Path, owner: str) -> set[str]:
    """Keys the issue says are not listed on their own: parents that other entries cross-reference,
    with no authors and without the owner among their editors (they are their children's venue)."""
    entries = read_raw(path)
    parents = {e.fields["crossref"].strip().casefold() for e in entries if "crossref" in e.fields}
    edited = {e.key for e in owner_entries(entries, owner)}
    return {
        e.key for e in entries if e.key.casefold() in parents and not e.fields.get("author") and e.key not in edited
    }


# --------------------------------------------------------------------------
# Comparing titles: what a reader would recognise, whatever the typesetting


_TEXT_COMMANDS = {
    "i": "i",
    "j": "j",
    "o": "o",
    "O": "O",
    "l": "l",
    "L": "L",
    "ss": "ss",
    "ae": "ae",
    "AE": "AE",
    "oe": "oe",
    "OE": "OE",
    "aa": "a",
    "AA": "A",
}
_MATH = re.compile(r"\$[^$]*\$|\\\(.*?\\\)|\\ensuremath\s*\{[^{}]*\}")
_SPLIT = "\x00"
# DBLP escapes a title's math as text: {\textdollar}{\textbackslash}mathrm\{AC\}{\^{}}0{\textdollar}
_DBLP_MATH_TEXT = {"{\\textdollar}": "$", "{\\textbackslash}": "\\", "\\{": "{", "\\}": "}"}
_DBLP_MATH = re.compile("|".join(re.escape(k) for k in _DBLP_MATH_TEXT))


def fold(text: str) -> str:
    """Letters and digits only, lower case, accents dropped: 'Schöning's' -> 'schonings'."""
    text = unicodedata.normalize("NFKD", text).casefold()
    return "".join(ch for ch in text if ch.isalnum() and not unicodedata.combining(ch))


def title_fragments(raw: str) -> list[str]:
    """The plain-text runs of a raw BibTeX title, folded; math and command names split them.

    `\\mkbibquote{Intention} und ...` gives 'intention', 'undintentionalitatin...'; `$\\pi^+$`
    splits the title around it. Runs shorter than 4 letters say too little to look for."""
    text = _DBLP_MATH.sub(lambda m: _DBLP_MATH_TEXT[m.group(0)], raw)
    text = _MATH.sub(_SPLIT, text)
    text = re.sub(r"\\[`'^\"~=.uvHcdbtkr](?![A-Za-z])\s*", "", text)  # accents keep their letter
    text = re.sub(r"\\[vHcdbtkru]\s+(?=[A-Za-z])", "", text)
    text = re.sub(r"\\([A-Za-z]+)\*?", lambda m: _TEXT_COMMANDS.get(m.group(1), _SPLIT), text)
    text = re.sub(r"\\[&%$#_{}]", lambda m: m.group(0)[1], text)
    text = text.replace("~", " ")
    return [f for f in (fold(part) for part in text.split(_SPLIT)) if len(f) >= 4]


def command_names(raw: str) -> set[str]:
    """TeX command names written in a field: their text must never be printed."""
    return set(re.findall(r"\\([A-Za-z]{3,})", raw))


def plain_words(raw: str) -> set[str]:
    """The words the user wrote, folded, every command name removed."""
    return {fold(w) for w in re.split(r"[^\w]+", re.sub(r"\\[A-Za-z]+", " ", raw)) if fold(w)}


def printed_command(name: str, text: str, words: set[str]) -> bool:
    """Does `text` (NFKD, case-folded) show the command's name? A long name anywhere
    ("mkbibquoteDe"), a short one as a word of its own ("prd 2018", "barνe"); not when the
    user wrote it as a word too (\\oplus beside "[oplus]")."""
    n = name.casefold()
    if len(n) >= 4:
        return n in text and not any(n in w for w in words)
    return re.search(f"(?<![a-z]){n}(?![a-z])", text) is not None and n not in words


# --------------------------------------------------------------------------
# The owner


def family(owner: str) -> str:
    return owner.split()[-1]


def owner_entries(entries: list[RawEntry], owner: str) -> list[RawEntry]:
    """Titled entries whose author list (else editor list) names the owner's family name."""
    word = fold(family(owner))
    found = []
    for e in entries:
        names = e.fields.get("author") or e.fields.get("editor") or ""
        words = {fold(w) for w in re.split(r"[\s,{}~.]+|\band\b", _accentless(names))}
        if word in words:
            found.append(e)
    return found


def _accentless(raw: str) -> str:
    return re.sub(r"\\[`'^\"~=.uvHcdbtkr]\s*\{?([A-Za-z])\}?", r"\1", raw).replace("{", "").replace("}", "")


# --------------------------------------------------------------------------
# Unit level: parse only


@pytest.mark.parametrize("case", CORPUS, ids=IDS)
def test_every_titled_entry_becomes_a_publication(case: RealBib) -> None:
    path = BIB / case.path
    report = Report()
    try:
        entries = load_bib(path, report, case.path)
        pubs = make_publications(entries, BibOptions(owner=[case.owner]), report)
    except InputError as exc:
        pytest.fail(f"{case.path} is refused:\n" + "\n".join(str(p) for p in exc.problems))
    keys = {p.key for p in pubs}
    skip = containers(path, case.owner)
    missing = [f"{e.key} (line {e.line})" for e in titled(path) if e.key not in keys and e.key not in skip]
    assert not missing, f"{case.path}: titled entries not listed: {', '.join(missing)}"
    owned = {p.key for p in pubs if any(a.owner for a in p.authors)}
    expected = {e.key for e in owner_entries(titled(path), case.owner)}
    assert expected <= owned, f"{case.path}: {case.owner} not recognised in: {', '.join(sorted(expected - owned))}"


# --------------------------------------------------------------------------
# End to end: the PDF a person reads


CV_YAML = """\
person:
  name: {owner}
publications:
  bib: publications.bib
  owner: [{owner}]
design:
  footer: false
sections:
  - title: Publications
    kind: publications
"""

# A command's name glued to the text ("mkbibquoteDe Motu"), a stray brace, a caret, an underscore.
FORBIDDEN = re.compile(r"\\[A-Za-z]+|[{}^_]")
# A comma doubled where a field ending in one meets the next: "Courier Corporation,, 1956".
# (Not " ,": pdftotext puts a space after a raised mark, "Yuan* , Shang", that TeX did not set.)
DOUBLED = re.compile(r",\s*,")


def build(case: RealBib, tmp_path: Path) -> tuple[PDF, str]:
    (tmp_path / "publications.bib").write_bytes((BIB / case.path).read_bytes())
    (tmp_path / "cv.yaml").write_text(CV_YAML.format(owner=case.owner), encoding="utf-8")
    out = tmp_path / "out" / "cv.pdf"
    proc = run_cli(
        "--data", str(tmp_path / "cv.yaml"), "-o", str(out), "--engine", "pdflatex", "--no-cache", timeout=300
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, f"{case.path}: build exits {proc.returncode}:\n{proc.stderr}"
    return PDF(out), proc.stderr


@pytest.mark.skipif(not have_system("pdflatex"), reason="no system pdflatex")
@pytest.mark.parametrize("case", CORPUS, ids=IDS)
def test_real_bib_builds_complete_and_clean(case: RealBib, tmp_path: Path) -> None:
    path = BIB / case.path
    entries = titled(path)
    pdf, stderr = build(case, tmp_path)
    text = pdf.pdftotext()
    problems = []

    # every titled entry is listed
    flat = fold(text)
    for e in entries:
        absent = [f for f in title_fragments(e.fields["title"]) if f not in flat]
        if absent:
            problems.append(f"title of {e.key} (line {e.line}) not in the PDF: {absent}")

    # nothing of TeX's syntax reaches the reader
    for number, line in enumerate(text.splitlines(), 1):
        for allowed in case.literal:
            line = line.replace(allowed, " ")
        for match in FORBIDDEN.finditer(line):
            problems.append(f"PDF text line {number} contains {match.group(0)!r}: {line.strip()!r}")
        for match in DOUBLED.finditer(line):
            problems.append(f"PDF text line {number} has doubled punctuation {match.group(0)!r}: {line.strip()!r}")
    flowing = " ".join(text.split())
    for unwanted in case.absent:
        if unwanted in flowing:
            problems.append(f"PDF text contains {unwanted!r}")
    shown = " ".join(e.fields[k] for e in read_raw(path) for k in SHOWN if k in e.fields)
    words = plain_words(shown)
    lowered = unicodedata.normalize("NFKD", text).casefold()
    for name in sorted(command_names(shown)):
        if printed_command(name, lowered, words):
            problems.append(f"PDF text contains the command name {name!r}")

    # al-folio's `arxiv` field is a link to the paper
    for e in entries:
        arxiv = re.search(r"\d{4}\.\d{4,5}|[a-z.-]+/\d{7}", e.fields.get("arxiv", ""))
        if arxiv and not any(arxiv.group(0) in uri for uri in pdf.uris):
            problems.append(f"{e.key} (line {e.line}): no link to arXiv {arxiv.group(0)}")

    # the owner is bold (by font) in each of their entries, plus the header
    mine = owner_entries(entries, case.owner)
    who = fold(family(case.owner))
    in_titles = sum(fold(e.fields["title"]).count(who) for e in entries)
    bold = fold(pdf.bold_text()).count(who)
    if bold < len(mine) + 1 + in_titles:
        problems.append(
            f"{case.owner} bold {bold} times; expected the header + {len(mine)} entries "
            f"({', '.join(e.key for e in mine)})"
        )

    assert not problems, f"{case.path}:\n" + "\n".join(problems) + f"\n--- stderr:\n{stderr}"
