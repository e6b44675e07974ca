"""`python -m cv_builder import`: RenderCV and JSON Resume files into cv.yaml and publications.bib.

The end-to-end tests import the formats' own example files (tests/data/interchange/), build the
result with pdflatex and read the PDF back: every fact of the source must be in it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
import yaml
from conftest import PDF, ROOT, have_system, run_cli, squash

from cv_builder.bib.reader import load_bib
from cv_builder.errors import Report
from cv_builder.interchange.detect import JSONRESUME, RENDERCV, kind_of
from cv_builder.interchange.importer import convert
from cv_builder.interchange.intake import BibRecord, bullet
from cv_builder.interchange.rendercv_in import parse_author
from cv_builder.interchange.write_bib import bib_text
from cv_builder.model.cv import Date
from cv_builder.model.load import parse_yaml

INTERCHANGE = ROOT / "tests" / "data" / "interchange"
RENDERCV_EXAMPLE = INTERCHANGE / "John_Doe_ClassicTheme_CV.yaml"
JSONRESUME_EXAMPLE = INTERCHANGE / "sample.resume.json"
needs_pdflatex = pytest.mark.skipif(not have_system("pdflatex"), reason="no system pdflatex")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- detection ---------------------------------------------------------------


def test_kind_of_tells_the_formats_apart():
    assert kind_of(parse_yaml(RENDERCV_EXAMPLE.read_text(encoding="utf-8"), "x")) == RENDERCV
    assert kind_of(parse_yaml(JSONRESUME_EXAMPLE.read_text(encoding="utf-8"), "x")) == JSONRESUME
    assert kind_of(parse_yaml((ROOT / "data" / "cv.yaml").read_text(encoding="utf-8"), "x")) is None
    assert kind_of(parse_yaml("title: a note\nitems: [1]\n", "x")) is None


@pytest.mark.parametrize("source, kind", [(RENDERCV_EXAMPLE, "RenderCV"), (JSONRESUME_EXAMPLE, "JSON Resume")])
def test_check_and_build_name_the_format_and_the_import_command(source, kind, tmp_path):
    for command in (["check"], []):
        proc = run_cli(*command, "--data", str(source), cwd=tmp_path)
        assert proc.returncode == 1
        assert f"this looks like a {kind} file" in proc.stderr
        hint = next(line for line in proc.stderr.splitlines() if "hint:" in line)
        assert re.search(rf"python -m cv_builder import \S*/{re.escape(source.name)} ", hint), hint
        assert "unknown key" not in proc.stderr
    assert not (tmp_path / "output").exists()


def test_no_data_says_how_to_start(tmp_path):
    for command in ([], ["check"], ["build", "--engine", "pdflatex"]):
        proc = run_cli(*command, cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert "no data/cv.yaml" in proc.stderr
        assert "python -m cv_builder init" in proc.stderr
        assert "python -m cv_builder import FILE" in proc.stderr
    assert list(tmp_path.iterdir()) == []  # nothing was built


# --- the pieces ----------------------------------------------------------------


def test_rendercv_nested_highlights_become_sub_bullets():
    assert bullet("Main point - first - second", nested=True) == {"text": "Main point", "details": ["first", "second"]}
    assert bullet("Main point\n  - first\n  - second", nested=True) == {
        "text": "Main point",
        "details": ["first", "second"],
    }
    assert bullet("Co-Founder & CTO", nested=True) == "Co-Founder & CTO"
    assert bullet("a - b", nested=False) == "a - b"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Jane Roe", ("Jane Roe", False, "", "")),
        ("*Jane Roe*", ("Jane Roe", True, "", "")),
        ("**Jane Roe***", ("Jane Roe", True, "*", "")),
        ("***Roe, J.*** (first author)", ("Roe, J.", True, "*", "")),
        ("Roe, J. (co-first author)", ("Roe, J.", False, "*", "")),
        ("Bo Li†", ("Bo Li", False, "†", "")),
        ("Bo Li (corresponding author)", ("Bo Li", False, "†", "")),
        ("Bo Li (intern)", ("Bo Li", False, "", "intern")),
        (".. .", ("others", False, "", "")),
        ("et al.", ("others", False, "", "")),
    ],
)
def test_rendercv_author_marks(raw, expected):
    assert parse_author(raw) == expected


def test_bibtex_special_characters_read_back_as_written(tmp_path):
    title = r"Fish & Chips: 100% of $5 #1 snake_case {braces} a~b x^2 back\slash"
    record = BibRecord(
        "article",
        {"title": title, "journal": "J. R&D", "year": "2024", "url": "https://example.org/a_b%20c"},
        ["Ann O'Neil", "Bob Smith and Sons"],
        key="oneil2024fish",
    )
    bib = write(tmp_path / "p.bib", bib_text([record], "x"))
    (entry,) = load_bib(bib, Report())
    assert entry.fields["title"] == title
    assert entry.fields["journal"] == "J. R&D"
    assert entry.fields["url"] == "https://example.org/a_b%20c"
    assert entry.type == "article" and entry.key == "oneil2024fish"
    assert "Bob Smith and Sons" in entry.fields["author"]  # braced: one author, not two


RENDERCV_SMALL = """\
cv:
  name: Jane Roe
  headline: Postdoc
  phone: tel:+1-609-999-9995
  photo: jane.jpg
  social_networks:
    - network: Mastodon
      username: '@jane@sigmoid.social'
    - network: Google Scholar
      username: abcDEF
    - network: Nowhere
      username: jr
  custom_connections:
    - placeholder: Lab page
      url: https://lab.example.org
      fontawesome_icon: flask
  sections:
    papers:
      - title: 'Joint work: A & B'
        authors: ['Ann Lee*', '**Jane Roe***', 'Bo Li†']
        journal: arXiv preprint
        date: 2024-03
        url: https://arxiv.org/abs/2403.00001
        pages: 1-9
        cited_by: 12
    Experience:
      - company: Acme
        position: Scientist
        start_date: 2020
        end_date: present
        date: Fall 2019
        awards: many
design:
  theme: moderncv
  page:
    size: us-letter
    top_margin: 2cm
    left_margin: 0.7in
    show_top_note: false
  colors:
    section_titles: rgb(0, 79, 144)
    links: rgb(1, 2, 3)
  templates:
    single_date: MONTH_NAME YEAR
"""


def test_rendercv_details_design_and_leftovers(tmp_path):
    source = write(tmp_path / "rendercv.yaml", RENDERCV_SMALL)
    proc = run_cli("import", str(source), "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    cv = yaml.safe_load((tmp_path / "out" / "cv.yaml").read_text(encoding="utf-8"))
    person = cv["person"]
    assert person["position"] == "Postdoc" and person["phone"] == "+1-609-999-9995"
    assert person["scholar"] == "abcDEF"
    assert {"label": "Mastodon: @jane@sigmoid.social", "url": "https://sigmoid.social/@jane"} in person["links"]
    assert {"label": "Lab page", "url": "https://lab.example.org"} in person["links"]
    assert cv["design"] == {
        "theme": "compact",
        "paper": "letter",
        "margins": {"top": "2cm", "left": "0.7in"},
        "accent_color": "#004F90",
        "date_format": "Month YYYY",
        "footer": {"last_updated": False},
    }
    assert cv["publications"]["owner"] == ["Jane Roe"]
    papers, experience = cv["sections"]
    assert papers["title"] == "Papers" and papers["kind"] == "publications"
    assert experience["entries"] == [{"title": "Scientist", "organization": "Acme", "start": "2020", "end": "present"}]
    bib = (tmp_path / "out" / "publications.bib").read_text(encoding="utf-8")
    assert "@misc{lee2024joint," in bib and papers["filter"]["keys"] == ["lee2024joint"]
    assert "title = {{Joint work: A \\& B}}" in bib
    assert "author = {Ann Lee and Jane Roe and Bo Li}" in bib
    assert "equal_contribution = {1,2}" in bib and "corresponding = {3}" in bib
    # Located warnings for what has no place, each kept as a comment in cv.yaml.
    text = (tmp_path / "out" / "cv.yaml").read_text(encoding="utf-8")
    for line, path in (
        (5, "cv.photo"),
        (11, "cv.social_networks[2]"),
        (25, "cv.sections.papers[0].cited_by"),
        (31, "cv.sections.Experience[0].date"),
        (32, "cv.sections.Experience[0].awards"),
        (42, "design.colors.links"),
    ):
        assert f"{source}:{line}: {path}: " in proc.stderr, path
        assert f"# rendercv.yaml:{line}: {path}: " in text.replace(str(tmp_path) + "/", ""), path
    assert "#   jane.jpg" in text and "#   12" in text and "pages = {1-9}" in bib
    check = run_cli("check", "--data", "out/cv.yaml", cwd=tmp_path)
    assert check.returncode == 0, check.stderr


def test_import_refuses_to_overwrite_without_force(tmp_path):
    (tmp_path / "data").mkdir()
    cv = write(tmp_path / "data" / "cv.yaml", "person: {name: Mine}\n")
    proc = run_cli("import", str(JSONRESUME_EXAMPLE), cwd=tmp_path)
    assert proc.returncode == 1 and "already exist" in proc.stderr and "--force" in proc.stderr
    assert cv.read_text(encoding="utf-8") == "person: {name: Mine}\n"
    assert not (tmp_path / "data" / "publications.bib").exists()
    proc = run_cli("import", str(JSONRESUME_EXAMPLE), "--force", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Richard Hendriks" in cv.read_text(encoding="utf-8")
    assert "build it: python -m cv_builder\n" in proc.stderr


def test_json_resume_as_yaml_and_with_tabs(tmp_path):
    data = json.loads(JSONRESUME_EXAMPLE.read_text(encoding="utf-8"))
    as_yaml = write(tmp_path / "resume.yaml", yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    as_tabs = write(tmp_path / "resume.json", json.dumps(data, indent="\t", ensure_ascii=False))
    assert convert(as_yaml).sections == convert(as_tabs).sections == convert(JSONRESUME_EXAMPLE).sections


def test_json_that_yaml_misreads_is_read_by_json(tmp_path):
    # A surrogate pair (an emoji), "\\/" and a duplicate key: valid JSON, read as json reads it.
    source = write(
        tmp_path / "r.json",
        '{"basics": {"name": "A\\/B", "name": "Ann Lee"}, "work": [{"name": "W", '
        '"position": "P", "highlights": ["\\ud83d\\ude00 shipped"]}], "x": 1}',
    )
    proc = run_cli("import", str(source), "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    cv = yaml.safe_load((tmp_path / "out" / "cv.yaml").read_text(encoding="utf-8"))
    assert cv["person"]["name"] == "Ann Lee"
    assert cv["sections"][0]["entries"][0]["details"] == ["\U0001f600 shipped"]
    assert f"warning: {source}: x: 'x' has no equivalent in cv_builder" in proc.stderr  # no line to give


RENDERCV_1X = """\
cv:
  name: Old Format
  phone: tel:+44-20-1234-5678
  sections:
    talks:
      - name: A talk
        date: 2019-10
design:
  theme: sb2nov
  page_size: letterpaper
  color: rgb(10, 20, 30)
  margins:
    page: {top: 1.5cm, left: 2cm}
locale_catalog:
  month: mo.
rendercv_settings:
  render_command: {pdf_path: cv.pdf}
"""


def test_rendercv_1x_design_and_settings(tmp_path):
    source = write(tmp_path / "old.yaml", RENDERCV_1X)
    proc = run_cli("import", str(source), "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    cv = yaml.safe_load((tmp_path / "out" / "cv.yaml").read_text(encoding="utf-8"))
    assert cv["person"]["phone"] == "+44-20-1234-5678"
    assert cv["design"] == {
        "theme": "classic",
        "paper": "letter",
        "accent_color": "#0A141E",
        "margins": {"top": "1.5cm", "left": "2cm"},
    }
    assert cv["sections"] == [
        {"title": "Talks", "kind": "entries", "entries": [{"title": "A talk", "date": "2019-10"}]}
    ]
    assert f"{source}:14: locale_catalog: " in proc.stderr and f"{source}:16: rendercv_settings: " in proc.stderr
    assert f"{source}:9: design.theme: RenderCV's sb2nov theme has no twin here" in proc.stderr
    assert run_cli("check", "--data", "out/cv.yaml", cwd=tmp_path).returncode == 0


def test_a_missing_source_is_an_error(tmp_path):
    proc = run_cli("import", "resume.json", cwd=tmp_path)
    assert proc.returncode == 1
    assert "resume.json: file not found" in proc.stderr and "RenderCV or JSON Resume" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_not_a_cv_is_an_error(tmp_path):
    proc = run_cli("import", str(ROOT / "data" / "cv.yaml"), "out", cwd=tmp_path)
    assert proc.returncode == 1 and "neither a RenderCV nor a JSON Resume file" in proc.stderr
    assert "already a cv_builder cv.yaml" in proc.stderr and not (tmp_path / "out").exists()


# --- end to end: the formats' own examples, every fact in the PDF -----------------


def _plain(markdown: str) -> str:
    """What a reader sees of RenderCV's Markdown: link text, no emphasis stars."""
    return re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown).replace("**", "").strip("*")


def _month(value: str, style: str = "YYYY.MM") -> str:
    """A source date as the theme prints it in `style`, or present."""
    value = str(value)
    return value if value == "present" else Date.parse(value[:7]).format(style)


def _family(author: str) -> str:
    """An author's family name as RenderCV's file gives it ('*John Doe*', '***Doe, J.*** (note)')."""
    name = re.sub(r"\([^)]*\)|\*", "", author).strip()
    return name.split(",")[0] if "," in name else name.split()[-1]


def rendercv_facts(path: Path) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cv = data["cv"]
    style = {"MONTH_ABBREVIATION YEAR": "Mon YYYY"}.get((data.get("locale") or {}).get("date_template"), "YYYY.MM")
    facts = [cv[k] for k in ("name", "location", "email") if cv.get(k)]
    facts += [n["username"] for n in cv["social_networks"]]
    for key, entries in cv["sections"].items():
        facts.append(key.replace("_", " ").title())
        for e in entries:
            if isinstance(e, str):
                facts.append(_plain(e))
                continue
            for field in (
                "institution",
                "area",
                "degree",
                "grade",
                "company",
                "position",
                "name",
                "location",
                "summary",
                "title",
                "journal",
                "label",
                "details",
                "bullet",
                "number",
                "reversed_number",
            ):
                if e.get(field):
                    facts.append(_plain(str(e[field])))
            facts += [_family(a) for a in e.get("authors", []) if not re.fullmatch(r"[\s.'*]+", a)]
            # A publication's date prints as its year (the .bib keeps the month); an entry's in the style.
            facts += [
                str(e[k])[:4] if "authors" in e else _month(e[k], style)
                for k in ("start_date", "end_date", "date")
                if e.get(k)
            ]
            for h in e.get("highlights") or []:
                facts += [part for part in re.split(r"\s+-\s+", h)]
    return facts


def jsonresume_facts(path: Path) -> list[str]:
    r = json.loads(path.read_text(encoding="utf-8"))
    b = r["basics"]
    facts = [b[k] for k in ("name", "label", "email", "phone", "summary")]
    facts += list(b["location"].values()) + [p["username"] for p in b["profiles"]]
    for key, entries in r.items():
        if key in ("basics", "meta", "$schema"):
            continue
        for e in entries:
            for field, value in e.items():
                if field == "url" or (key, field) == ("publications", "summary"):
                    continue  # a link target; a paper's summary, kept as its abstract (the CV prints none)
                if field in ("startDate", "endDate", "date", "releaseDate"):
                    facts.append(_month(value) if field != "releaseDate" else value[:4])
                elif isinstance(value, list):
                    facts += value
                else:
                    facts.append(value)
    return facts


FRIDLJAND_EXAMPLE = INTERCHANGE / "fridljand_cv.yaml"
REPORTED = {  # what the import names as having no place (or shown differently), by source path
    RENDERCV_EXAMPLE: ["cv.sections.invited_talks", "cv.sections.patents", "locale", "settings"],
    JSONRESUME_EXAMPLE: ["meta", "publications[0]", "publications[0].summary"],
    FRIDLJAND_EXAMPLE: [
        "cv.sort_entries",
        "design.colors.connections",
        "design.colors.last_updated_date_and_page_numbering",
        "design.colors.links",
        "design.colors.text",
        "design.entries",
        "design.entry_types",
        "design.header",
        "design.highlights",
        "design.links",
        "design.section_titles",
        "design.text",
        "design.theme",
        "locale",
        "rendercv_settings",
    ],
}


@needs_pdflatex
@pytest.mark.parametrize(
    "source, facts",
    [(RENDERCV_EXAMPLE, rendercv_facts), (FRIDLJAND_EXAMPLE, rendercv_facts), (JSONRESUME_EXAMPLE, jsonresume_facts)],
)
def test_imported_example_builds_with_every_fact(source, facts, tmp_path):
    proc = run_cli("import", str(source), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    # What has no place is named, with its line; here the formats' own settings and metadata.
    reported = sorted(re.findall(rf"^warning: {re.escape(str(source))}:\d+: (\S+): ", proc.stderr, re.MULTILINE))
    assert reported == REPORTED[source]
    check = run_cli("check", cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert "warning:" not in check.stderr, check.stderr  # the summary line says "0 warnings"
    build = run_cli("--engine", "pdflatex", cwd=tmp_path)
    assert build.returncode == 0, build.stderr
    if source == JSONRESUME_EXAMPLE:
        assert "abstract = {Innovative middle-out compression" in (tmp_path / "data" / "publications.bib").read_text(
            encoding="utf-8"
        )
    text = _fold(squash(PDF(tmp_path / "output" / "cv.pdf").pdftotext()))
    missing = [f for f in facts(source) if _fold(squash(str(f))) not in text]
    assert not missing, missing


def _fold(text: str) -> str:
    """Typography a PDF adds (ligatures, curly quotes) folded away, so source text can be found."""
    text = unicodedata.normalize("NFKC", text)
    return text.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'}))


NESTED_CV = """\
person: {name: Nora Nested}
sections:
  - title: Experience
    entries:
      - title: Research Intern
        organization: Example Lab
        start: 2021-05
        end: 2021-08
        details:
          - Wrote the first bullet
          - text: Published research at venues
            details:
              - ICML main conference paper
              - NeurIPS workshop paper
          - Wrote the last bullet
"""


def _indent(layout: str, phrase: str) -> int:
    line = next(line for line in layout.splitlines() if phrase in line)
    return line.index(phrase)


@needs_pdflatex
@pytest.mark.skipif(not shutil.which("pdftotext"), reason="no pdftotext (poppler-utils)")
@pytest.mark.parametrize("theme", ["classic", "modern", "compact"])
def test_sub_bullets_print_as_a_nested_list(theme, tmp_path):
    write(tmp_path / "cv.yaml", NESTED_CV)
    write(tmp_path / "publications.bib", "")
    proc = run_cli("--data", "cv.yaml", "--theme", theme, "--engine", "pdflatex", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    layout = subprocess.run(
        ["pdftotext", "-layout", "output/cv.pdf", "-"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    outer = _indent(layout, "Published research at venues")
    assert _indent(layout, "Wrote the first bullet") == outer == _indent(layout, "Wrote the last bullet")
    assert _indent(layout, "ICML main conference paper") > outer
    assert _indent(layout, "NeurIPS workshop paper") == _indent(layout, "ICML main conference paper")
    order = [layout.index(p) for p in ("first bullet", "Published research", "ICML", "NeurIPS", "last bullet")]
    assert order == sorted(order)


def test_json_resume_entries_without_a_title(tmp_path):
    source = write(
        tmp_path / "r.json",
        json.dumps(
            {
                "basics": {"name": "Ann Lee"},
                "work": [{"name": "Acme", "startDate": "2020-01"}, {"summary": "No name at all", "startDate": "2019"}],
            }
        ),
    )
    proc = run_cli("import", str(source), "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    cv = yaml.safe_load((tmp_path / "out" / "cv.yaml").read_text(encoding="utf-8"))
    assert cv["sections"][0]["entries"] == [{"title": "Acme", "start": "2020-01"}]
    assert f"{source}:1: work[1]: an entry with nothing to head it" in proc.stderr
    assert "#   summary: No name at all" in (tmp_path / "out" / "cv.yaml").read_text(encoding="utf-8")
    assert run_cli("check", "--data", "out/cv.yaml", cwd=tmp_path).returncode == 0
