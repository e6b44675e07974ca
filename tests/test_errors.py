"""errors.py: the one parser of the locations the stages write, and the warnings placed by it."""

from __future__ import annotations

import pytest

from cv_builder.errors import Report, parse_where, warn_at
from cv_builder.typeset.themes import problem_at


@pytest.mark.parametrize(
    "where, parsed",
    [
        # model/cv.py: a YAML value
        ("cv.yaml:7:16: sections[0].entries[0].text", ("cv.yaml", 7, 16, "sections[0].entries[0].text")),
        ("data/cv.yaml:3:8", ("data/cv.yaml", 3, 8, "")),
        # bib/reader.py: a .bib field
        ("f.bib:12 entry 'k', field 'title'", ("f.bib", 12, 0, "entry 'k', field 'title'")),
        # render.template_line: a template line
        ("latex_templates/classic/cv.tex:41", ("latex_templates/classic/cv.tex", 41, 0, "")),
        # folders with spaces and colons, a Windows drive
        ("My CV/cv.yaml:7:16: person.name", ("My CV/cv.yaml", 7, 16, "person.name")),
        ("C:\\cv\\cv.yaml:2:1: design.theme", ("C:\\cv\\cv.yaml", 2, 1, "design.theme")),
        ("/tmp/a:1/t.tex:12", ("/tmp/a:1/t.tex", 12, 0, "")),
        ("  cv.yaml:1:1: x  ", ("cv.yaml", 1, 1, "x")),
    ],
)
def test_parse_where_reads_every_form_the_stages_write(where, parsed):
    assert parse_where(where) == parsed


@pytest.mark.parametrize("text", ["", "the input", "cv.yaml", "cv.yaml: person.name", "entry 'k'"])
def test_parse_where_leaves_free_text(text):
    assert parse_where(text) is None


def test_warn_at_prints_the_same_for_each_form():
    report = Report()
    warn_at(report, "cv.yaml:7:16: sections[0].title", "dropped U+0007")
    warn_at(report, "f.bib:12 entry 'k', field 'title'", "unknown command")
    warn_at(report, "cv.yaml:3:1", "no path in where", path="publications.owner")
    warn_at(report, "somewhere", "free text")
    warn_at(report, "", "about the build")
    warn_at(None, "cv.yaml:1:1: x", "nowhere to go")
    assert [str(w) for w in report.warnings] == [
        "cv.yaml:7:16: sections[0].title: dropped U+0007",
        "f.bib:12: entry 'k', field 'title': unknown command",
        "cv.yaml:3:1: publications.owner: no path in where",
        "somewhere: free text",
        "about the build",
    ]
    assert (report.warnings[1].file, report.warnings[1].line, report.warnings[1].column) == ("f.bib", 12, 0)


def test_problem_at_places_a_value_and_prints_free_text_as_given():
    p = problem_at("cv.yaml:9:10: design.theme", "unknown theme 'clasic'", "did you mean 'classic'?")
    assert (p.file, p.line, p.column, p.path) == ("cv.yaml", 9, 10, "design.theme")
    assert str(p) == "cv.yaml:9:10: design.theme: unknown theme 'clasic'\n    hint: did you mean 'classic'?"
    assert str(problem_at("My CV/cv.yaml:2:3: design.theme", "m")) == "My CV/cv.yaml:2:3: design.theme: m"
    assert str(problem_at("the theme: design.theme", "m")) == "the theme: design.theme: m"
