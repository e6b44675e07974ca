"""Export: output/resume.json (JSON Resume 1.2.1) on every build, and `export --format
rendercv|jsonresume`, each validated against the format's published schema (tests/data/schemas/)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import DATA, ROOT, copy_data, have_system, run_cli

from cv_builder import build
from cv_builder.errors import Report
from cv_builder.interchange import jsonresume_out, rendercv_out
from cv_builder.interchange.mapping import markdown, plain
from cv_builder.publish.reproducible import SourceDate

SCHEMAS = ROOT / "tests" / "data" / "schemas"
EPOCH = 1764028800  # 2025-11-25T00:00:00 UTC, as run_cli sets SOURCE_DATE_EPOCH


def jsonresume_errors(doc: dict) -> list[str]:
    schema = json.loads((SCHEMAS / "jsonresume-1.2.1.schema.json").read_text(encoding="utf-8"))
    v = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    return [f"{e.json_path}: {e.message}" for e in v.iter_errors(doc)]


def rendercv_errors(doc: dict) -> list[str]:
    schema = json.loads((SCHEMAS / "rendercv-2.8.schema.json").read_text(encoding="utf-8"))
    v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return [f"{e.json_path}: {e.message}" for e in v.iter_errors(doc)]


def model(data: Path, variant: str | None = None):
    cv, lists = build.load_model(data, Report(), variant)
    return cv, lists


# A CV with every kind of section and a title for each role, written as a user would.
EVERYTHING = textwrap.dedent("""\
    person:
      name: Ada Lovelace
      position: Research Fellow
      affiliation: "**Analytical Engine** Group"
      email: ada@example.org
      homepage: https://ada.example.org
      location: London, UK
      phone: +44 20 0000 0000
      github: ada
      orcid: 0000-0002-1825-0097
      linkedin: ada
      links: [{label: Blog, url: "https://blog.example.org"}]
    publications: {bib: publications.bib, owner: [Ada Lovelace]}
    sections:
      - title: About
        kind: text
        text: Engines that weave **algebraic patterns**, see [my notes](https://ada.example.org/notes).
      - title: Statement
        kind: text
        text: A second paragraph.
      - title: Academic Positions
        entries:
          - title: Fellow
            organization: Royal Society
            location: London
            start: 1840-09
            end: present
            details: ["Wrote *the* notes", "Met [Babbage](https://example.org/babbage)"]
            links: [{label: site, url: "https://rs.example.org"}, {label: slides, url: "https://s.example.org"}]
      - title: Degrees
        id: education
        entries:
          - {title: B.A., organization: Home schooling, subtitle: Mathematics, date: 1835}
      - title: Honours
        kind: items
        entries:
          - {text: Royal Medal, date: 1843}
          - Honorary mention
      - title: Seminars
        kind: items
        entries:
          - {text: "Notes, at [the Institute](https://inst.example.org)", date: Spring 1843}
      - title: Courses I taught
        id: teaching
        entries:
          - {title: Analysis, subtitle: Lecturer, date: Fall 1842}
      - title: Reviewing
        kind: pairs
        groups:
          - title: Reviewer
            entries: [{key: "1843", value: Journal of Engines}]
      - title: Skills
        kind: pairs
        entries: [{key: Mathematics, value: "Analysis, Algebra"}]
      - title: Languages
        kind: pairs
        entries: [{key: French, value: fluent}]
      - title: Software Projects
        entries:
          - {title: Note G, organization: Analytical Engine, start: 1842, end: 1843}
      - title: Hobbies
        kind: items
        entries: [Poetry]
      - title: Miscellany
        kind: items
        entries: [{text: "A thing with no other home", date: 1850}]
      - title: Papers
        kind: publications
    """)
BIB = textwrap.dedent("""\
    @article{l1843notes,
      author = {Lovelace, Ada and Babbage, Charles},
      title = {Sketch of the Analytical Engine},
      journal = {Scientific Memoirs},
      year = {1843},
      month = {oct},
      doi = {10.5555/notes},
      code = {https://github.com/ada/noteg},
      equal_contribution = {1,2}
    }
    """)


@pytest.fixture
def everything(tmp_path) -> Path:
    (tmp_path / "publications.bib").write_text(BIB, encoding="utf-8")
    data = tmp_path / "cv.yaml"
    data.write_text(EVERYTHING, encoding="utf-8")
    return data


def test_markdown_keeps_markup_and_prints_literal_text_as_typed():
    assert markdown("**bold** [a *b*](https://x.org/a_(b)) Xia* `c*d` \\*lit\\*") == (
        "**bold** [a *b*](https://x.org/a_%28b%29) Xia\\* `c*d` \\*lit\\*"
    )


def test_plain_text_drops_markup_and_keeps_link_targets():
    assert plain("**bold** and *it* with `code`") == "bold and it with code"
    assert plain("see [my notes](https://a.example/n)") == "see my notes (https://a.example/n)"
    assert plain("[https://a.example](https://a.example)") == "https://a.example"
    assert plain("Xia* and 2*3*4 and \\*lit\\*") == "Xia* and 2*3*4 and *lit*"


def test_the_default_cv_as_json_resume_is_valid_and_holds_every_section():
    cv, lists = model(DATA / "cv.yaml")
    doc = jsonresume_out.resume(cv, lists, SourceDate(EPOCH, "SOURCE_DATE_EPOCH"))
    assert jsonresume_errors(doc) == []
    assert doc["basics"]["name"] == "Heming Xia"
    assert doc["basics"]["summary"].startswith("I am broadly interested in natural language processing")
    assert {p["network"]: p["url"] for p in doc["basics"]["profiles"]} == {
        "GitHub": "https://github.com/hemingkx",
        "Google Scholar": "https://scholar.google.com/citations?user=6r2ESKkAAAAJ",
        "X": "https://x.com/hemingkx",
    }
    assert [e["institution"] for e in doc["education"]] == [
        "The Hong Kong Polytechnic University",
        "Peking University",
        "Peking University",
    ]
    assert doc["education"][0] == {
        "institution": "The Hong Kong Polytechnic University",
        "studyType": "Ph.D. Student",
        "area": "NLP Group, supervised by Prof. Wenjie Li",
        "startDate": "2024-01",
    }
    assert doc["education"][2]["endDate"] == "2020"  # the year the degree was received
    assert doc["work"] == [
        {
            "name": "Microsoft Research Asia",
            "position": "Research Intern",
            "startDate": "2021-10",
            "summary": "NLC Group, worked with Dr. Tao Ge",
        }
    ]
    # Every paper of the .bib, with its link; the equal-contribution marks survive.
    bib = (DATA / "publications.bib").read_text(encoding="utf-8")
    assert len(doc["publications"]) == bib.count("\n@") == 17
    assert all(p["url"].startswith("https://") and p["releaseDate"][:2] == "20" for p in doc["publications"])
    beyond = next(p for p in doc["publications"] if p["name"].startswith("Beyond Single Frames"))
    assert (
        beyond["authors"][:2] == ["Xiaochen Wang*", "Heming Xia*"]
        and beyond["url"] == "https://arxiv.org/abs/2502.13925"
    )
    assert beyond["summary"].startswith("Xiaochen Wang\\*, Heming Xia\\*, Jialin Song")  # kramdown shows *, not italics
    tokenskip = next(p for p in doc["publications"] if p["name"].startswith("TokenSkip"))
    assert tokenskip["links"] == [{"label": "code", "url": "https://github.com/hemingkx/TokenSkip"}]
    # Service (pairs under subheadings) is volunteer work; its inline link is spelled out.
    assert doc["volunteer"][0] == {
        "organization": "ACL ARR (Feb)",
        "position": "Area Chair / Action Editor",
        "startDate": "2025",
        "endDate": "2025",
    }
    assert (
        "Outstanding Reviewer 🌟 (https://x.com/emnlpmeeting/status/1857169065569292540)"
        in doc["volunteer"][2]["organization"]
    )
    assert [t["date"] for t in doc["teaching"]] == ["Spring 2025", "Fall 2024", "Spring 2024"]
    assert doc["talks"][0]["url"] == "https://speculative-decoding.github.io/"
    assert "COLING 2025 (https://coling2025.org/" in doc["talks"][0]["name"]
    assert [a["date"] for a in doc["awards"]] == ["2021", "2019", "2016"]
    assert "News" not in json.dumps(doc)  # hidden in the CV, so not exported
    assert doc["meta"]["lastModified"] == "2025-11-25T00:00:00"
    assert doc["meta"]["generator"].startswith("cv_builder ")
    assert [s["as"] for s in doc["meta"]["sections"]] == [
        "basics.summary",
        "education",
        "work",
        "publications",
        "talks",
        "volunteer",
        "teaching",
        "awards",
    ]


def test_every_role_and_unmapped_sections_land_somewhere(everything):
    cv, lists = model(everything)
    doc = jsonresume_out.resume(cv, lists, SourceDate(EPOCH, "mtime"))
    assert jsonresume_errors(doc) == []
    b = doc["basics"]
    assert b["label"] == "Research Fellow, Analytical Engine Group"
    # summary and highlights are Markdown (al-folio and JSON Resume themes render them so); names plain
    assert b["summary"] == "Engines that weave **algebraic patterns**, see [my notes](https://ada.example.org/notes)."
    assert b["location"] == {"address": "London, UK"} and b["phone"] == "+44 20 0000 0000"
    assert {"network": "Blog", "url": "https://blog.example.org"} in b["profiles"]
    assert {"network": "ORCID", "username": "0000-0002-1825-0097", "url": "https://orcid.org/0000-0002-1825-0097"} in b[
        "profiles"
    ]
    assert doc["work"] == [
        {
            "name": "Royal Society",
            "position": "Fellow",
            "location": "London",
            "startDate": "1840-09",
            "highlights": ["Wrote *the* notes", "Met [Babbage](https://example.org/babbage)"],
            "url": "https://rs.example.org",
            "links": [{"label": "slides", "url": "https://s.example.org"}],
        }
    ]
    assert doc["education"] == [
        {"institution": "Home schooling", "studyType": "B.A.", "area": "Mathematics", "endDate": "1835"}
    ]
    assert doc["awards"] == [{"title": "Royal Medal", "date": "1843"}, {"title": "Honorary mention"}]
    assert doc["talks"] == [{"name": "Notes, at the Institute (https://inst.example.org)", "date": "Spring 1843"}]
    assert doc["teaching"] == [{"name": "Analysis", "summary": "Lecturer", "date": "Fall 1842"}]
    assert doc["volunteer"] == [
        {"organization": "Journal of Engines", "position": "Reviewer", "startDate": "1843", "endDate": "1843"}
    ]
    assert doc["skills"] == [{"name": "Mathematics", "keywords": ["Analysis", "Algebra"]}]
    assert doc["languages"] == [{"language": "French", "fluency": "fluent"}]
    assert doc["projects"] == [
        {"name": "Note G", "entity": "Analytical Engine", "startDate": "1842", "endDate": "1843"}
    ]
    assert doc["interests"] == [{"name": "Poetry"}]
    assert doc["otherSections"] == [
        {"title": "Statement", "text": "A second paragraph."},
        {"title": "Miscellany", "entries": [{"name": "A thing with no other home", "date": "1850"}]},
    ]
    assert doc["publications"] == [
        {
            "name": "Sketch of the Analytical Engine",
            "publisher": "Scientific Memoirs",
            "releaseDate": "1843-10",
            "url": "https://doi.org/10.5555/notes",
            "summary": "Ada Lovelace\\*, Charles Babbage\\*",
            "authors": ["Ada Lovelace*", "Charles Babbage*"],
            "links": [{"label": "code", "url": "https://github.com/ada/noteg"}],
        }
    ]


def test_rendercv_export_is_accepted_by_rendercvs_schema(everything, tmp_path):
    out = tmp_path / "ada.yaml"
    r = run_cli("export", "--format", "rendercv", "--data", str(everything), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "wrote " in r.stderr and "ada.yaml" in r.stderr
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert rendercv_errors(doc) == []
    cv = doc["cv"]
    assert cv["name"] == "Ada Lovelace" and cv["headline"] == "Research Fellow, **Analytical Engine** Group"
    assert {"network": "GitHub", "username": "ada"} in cv["social_networks"]
    assert cv["custom_connections"] == [
        {"fontawesome_icon": "link", "placeholder": "Blog", "url": "https://blog.example.org"}
    ]
    s = cv["sections"]
    assert s["About"] == ["Engines that weave **algebraic patterns**, see [my notes](https://ada.example.org/notes)."]
    assert s["Academic Positions"][0] == {
        "company": "Royal Society",
        "position": "Fellow",
        "location": "London",
        "start_date": "1840-09",
        "end_date": "present",
        "highlights": [
            "Wrote *the* notes",
            "Met [Babbage](https://example.org/babbage)",
            "[site](https://rs.example.org) | [slides](https://s.example.org)",
        ],
    }
    assert s["Degrees"] == [{"institution": "Home schooling", "area": "Mathematics", "degree": "B.A.", "date": "1835"}]
    assert s["Honours"] == [{"name": "Royal Medal", "date": "1843"}, {"name": "Honorary mention"}]
    assert s["Hobbies"] == [{"bullet": "Poetry"}]
    assert s["Reviewing – Reviewer"] == [{"label": "1843", "details": "Journal of Engines"}]
    assert s["Courses I taught"] == [{"name": "Analysis", "summary": "Lecturer", "date": "Fall 1842"}]
    assert s["Papers"] == [
        {
            "title": "Sketch of the Analytical Engine",
            "authors": ["**Ada Lovelace***", "Charles Babbage*"],
            "doi": "10.5555/notes",
            "journal": "Scientific Memoirs",
            "date": "1843-10",
        }
    ]
    assert doc["design"]["theme"] == "classic" and doc["design"]["page"]["size"] == "a4"


def test_rendercv_export_of_the_default_cv_is_valid_and_complete():
    cv, lists = model(DATA / "cv.yaml")
    doc = yaml.safe_load(rendercv_out.dumps(rendercv_out.document(cv, lists)).decode("utf-8"))
    assert rendercv_errors(doc) == []
    sections = doc["cv"]["sections"]
    assert list(sections) == [
        "Research Interests",
        "Education",
        "Experience",
        "Publications",
        "Invited Talks",
        "Service – Area Chair / Action Editor",
        "Service – Reviewer / Program Committee Member",
        "Teaching",
        "Awards",
    ]
    assert len(sections["Publications"]) == 17
    assert sections["Teaching"][0]["date"] == "Spring 2025"


def test_export_jsonresume_to_stdout_is_what_the_build_writes(tmp_path):
    r = run_cli("export", "--format", "jsonresume", "-o", "-")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert jsonresume_errors(doc) == [] and doc["basics"]["name"] == "Heming Xia"


def test_export_of_a_variant_and_bad_input(tmp_path):
    data = copy_data(tmp_path)
    r = run_cli("export", "--format", "jsonresume", "--data", str(data), "--variant", "publications", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "output" / "cv-publications-resume.json").read_text(encoding="utf-8"))
    assert [s["as"] for s in doc["meta"]["sections"]] == ["publications"]
    data.write_text(
        data.read_text(encoding="utf-8").replace("  name: Heming Xia", "  nmae: Heming Xia"), encoding="utf-8"
    )
    r = run_cli("export", "--format", "rendercv", "--data", str(data), cwd=tmp_path)
    assert r.returncode == 1 and "cv.yaml:" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "output" / "cv.rendercv.yaml").exists()


@pytest.mark.engine
@pytest.mark.skipif(not have_system("pdflatex"), reason="no system pdflatex")
def test_every_build_writes_resume_json_reproducibly_and_the_cache_keeps_it(tmp_path):
    data = copy_data(tmp_path)
    out = tmp_path / "output" / "cv.pdf"
    resume = out.with_name("resume.json")
    args = ("--data", str(data), "-o", str(out), "--engine", "pdflatex")
    r = run_cli(*args)
    assert r.returncode == 0, r.stderr
    first = resume.read_bytes()
    doc = json.loads(first)
    assert jsonresume_errors(doc) == [] and doc["meta"]["lastModified"] == "2025-11-25T00:00:00"
    assert len(doc["publications"]) == 17
    r = run_cli(*args)  # nothing changed: a no-op that finds resume.json up to date
    assert "up to date" in r.stderr and resume.read_bytes() == first
    resume.unlink()  # a missing resume.json makes the build run, and it comes back the same
    r = run_cli(*args)
    assert r.returncode == 0 and "up to date" not in r.stderr and resume.read_bytes() == first
    r = run_cli(*args, "--no-cache")
    assert r.returncode == 0 and resume.read_bytes() == first  # reproducible, cache or not
    # A variant writes its own, beside its PDF.
    r = run_cli(
        "--data", str(data), "-o", str(out.with_name("cv-short.pdf")), "--variant", "short", "--engine", "pdflatex"
    )
    assert r.returncode == 0, r.stderr
    short = json.loads(out.with_name("cv-short-resume.json").read_text(encoding="utf-8"))
    assert jsonresume_errors(short) == [] and "talks" not in short
    assert len(short["publications"]) < 17


def test_a_build_does_not_import_jsonschema(tmp_path):
    """resume.json is written by plain json: the build stays as fast as it was."""
    data = copy_data(tmp_path)
    code = (
        "import sys; from cv_builder.cli import main as cli; "
        f"rc = cli.main(['--data', {str(data)!r}, '-o', {str(tmp_path / 'out' / 'cv.pdf')!r}, '-q']); "
        "print(rc, 'jsonschema' in sys.modules)"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env={"PYTHONPATH": str(ROOT), "PATH": os.environ["PATH"], "SOURCE_DATE_EPOCH": str(EPOCH)},
    )
    assert r.stdout.split() == ["0", "False"], r.stderr
    assert (tmp_path / "out" / "resume.json").is_file()
