"""Design options, honoured by every theme, checked by reading the built PDF back."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from conftest import PDF, have_embedded, have_system, norm, run_cli

THEMES = ["classic", "modern", "compact"]
ENGINE = "pdflatex" if have_system("pdflatex") else "embedded"
pytestmark = pytest.mark.skipif(not (have_system("pdflatex") or have_embedded()), reason="no pdflatex at all")

CV = """\
person:
  name: Ada Example
  email: ada@example.org
  github: ada-example
  orcid: 0000-0002-1825-0097
design:
{design}
sections:
  - title: Education
    entries:
      - {{title: Ph.D., organization: University of Somewhere, start: 2019-09, end: 2024-01}}
  - title: Awards
    id: awards
    kind: items
    entries:
      - {{text: Example Prize, date: 2023-03}}
  - title: Service
    kind: pairs
    entries:
      - {{key: "2024", value: Example Conference}}
"""

LETTER = """\
  paper: letter
  font_size: 12pt
  accent_color: "#C0392B"
  margin: 1in
  date_format: Month YYYY
  section_order: [awards]
  section_titles: {Service: Professional Service}
  footer: {name: false, page_numbers: true, last_updated: false}
  pdf_title: 'Ada''s CV (v2) \\input{x} 50% #1 ~ü 机 🌟'
  pdf_author: Ada E.
  pdf_subject: Curriculum Vitae
  pdf_keywords: [testing, design]
"""

A4 = """\
  paper: a4
  font_size: 11pt
  margins: {left: 30mm, right: 1cm}
  date_format: YYYY
  footer: false
"""


def build(tmp_path, theme, design):
    cv = tmp_path / "cv.yaml"
    cv.write_text(CV.format(design=design), encoding="utf-8")
    out = tmp_path / "out" / "cv.pdf"
    proc = run_cli("--data", str(cv), "-o", str(out), "--engine", ENGINE, "--theme", theme)
    assert proc.returncode == 0, proc.stderr
    assert "Overfull" not in proc.stderr
    return PDF(out)


def size_of(pdf: PDF, needle: str) -> float:
    """Effective size (pt) of the text run holding `needle` (body text in every theme)."""
    found = []

    def visit(text, cm, tm, font_dict, font_size):
        if needle in text:
            found.append(round(font_size * abs(tm[0]) * abs(cm[0]), 1))

    pdf.reader.pages[0].extract_text(visitor_text=visit)
    assert found, needle
    return found[0]


def text_left_edge(pdf: PDF) -> float:
    """The smallest x (pt) at which text starts on page 1."""
    xs = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            xs.append(tm[4] * cm[0] + cm[4])

    pdf.reader.pages[0].extract_text(visitor_text=visit)
    return min(xs)


def fill_colours(pdf: PDF) -> set[tuple[float, ...]]:
    content = pdf.reader.pages[0].get_contents().get_data().decode("latin-1")
    return {
        tuple(round(float(v), 2) for v in m.groups()) for m in re.finditer(r"([\d.]+) ([\d.]+) ([\d.]+) rg", content)
    }


@pytest.mark.parametrize("theme", THEMES)
def test_letter_12pt_accent_order_titles_footer_metadata(theme, tmp_path):
    pdf = build(tmp_path, theme, LETTER)
    box = pdf.reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)  # US letter
    assert size_of(pdf, "Example Conference") == 12.0
    assert (0.75, 0.22, 0.17) in fill_colours(pdf)  # #C0392B
    assert abs(text_left_edge(pdf) - 72) < 1.5  # 1in
    text = norm(pdf.text)
    assert "September 2019 – January 2024" in text and "March 2023" in text
    assert text.index("Awards") < text.index("Education")
    assert "Professional Service" in text
    assert "Page 1 of 1" in text and "Last updated" not in text
    assert text.count("Ada Example") == 1  # the header only: the footer name is off
    meta = pdf.reader.metadata
    # Exactly as written, whatever the characters (hex PDF strings: TeX reads none of them)
    assert meta.title == "Ada's CV (v2) \\input{x} 50% #1 ~ü 机 \U0001f31f" and meta.author == "Ada E."
    assert meta.creator == "cv_builder"
    assert meta.subject == "Curriculum Vitae" and meta["/Keywords"] == "testing, design"


@pytest.mark.parametrize("theme", THEMES)
def test_a4_11pt_side_margins_year_dates_no_footer(theme, tmp_path):
    pdf = build(tmp_path, theme, A4)
    box = pdf.reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    assert size_of(pdf, "Example Conference") == 10.9  # LaTeX's 11pt is 10.95pt
    assert abs(text_left_edge(pdf) - 30 / 25.4 * 72) < 1.5  # 30mm
    text = norm(pdf.text)
    assert "2019 – 2024" in text and "2023" in text and "2023.03" not in text
    assert text.index("Education") < text.index("Awards")  # file order
    assert "Page 1" not in text and "Last updated" not in text
    assert pdf.reader.metadata.title == "Ada Example – Curriculum Vitae"
    assert pdf.reader.metadata.author == "Ada Example"


def test_theme_defaults_yield_to_the_yaml(tmp_path):
    """compact sets its own accent colour; a colour in cv.yaml wins over it."""
    pdf = build(tmp_path, "compact", "  theme: compact\n")
    assert (0.18, 0.35, 0.53) in fill_colours(pdf)  # compact's #2E5A88
    pdf = build(tmp_path, "compact", '  accent_color: "#00FF00"\n')
    colours = fill_colours(pdf)
    assert (0.0, 1.0, 0.0) in colours and (0.18, 0.35, 0.53) not in colours


def test_bad_design_values_are_located(tmp_path):
    cv = tmp_path / "cv.yaml"
    cv.write_text(
        CV.format(
            design="  paper: a5\n  margins: {left: 3 cm}\n  section_order: [Awrds]\n  footer: {page_number: false}\n"
        ),
        encoding="utf-8",
    )
    proc = run_cli("check", "--data", str(cv))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    err = proc.stderr
    assert "cv.yaml:7:10: design.paper: 'a5' is not one of 'a4', 'letter'" in err
    assert "cv.yaml:8:19: design.margins.left: '3 cm' is not a length" in err
    assert "cv.yaml:9:19: design.section_order[0]: no section with id or title 'Awrds'" in err
    assert "did you mean 'Awards'?" in err
    assert "cv.yaml:10:12: design.footer.page_number: unknown key" in err
    assert "did you mean 'page_numbers'?" in err


WRAPPED = """\
person:
  name: Ada Example
sections:
  - title: Talks
    kind: items
    entries:
      - {text: "Alpha one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty Omega", date: 2024-03}
      - {text: Zulu follows, date: 2023-01}
      - {text: Yankee short, date: 2022-01}
"""  # noqa: E501 (the long entry is the test)


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) not installed")
@pytest.mark.parametrize("theme", ["classic", "modern"])
def test_a_row_after_a_wrapped_row_keeps_the_line_distance(theme, tmp_path):
    """A row whose text wraps is followed by the next row a full line below its last line,
    as two short rows are: not 1 pt below the wrapped box (touching descenders)."""
    cv = tmp_path / "cv.yaml"
    cv.write_text(WRAPPED, encoding="utf-8")
    out = tmp_path / "out" / "cv.pdf"
    proc = run_cli("--data", str(cv), "-o", str(out), "--engine", ENGINE, "--theme", theme, "--no-cache")
    assert proc.returncode == 0, proc.stderr
    xml = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    y = {w: float(v) for v, w in re.findall(r'yMax="([\d.]+)"[^>]*>([^<]+)</word>', xml)}
    inside = y["Omega"] - y["Alpha"]  # the wrapped row's two lines
    assert inside > 5, y
    after_wrapped = y["Zulu"] - y["Omega"]
    after_short = y["Yankee"] - y["Zulu"]
    assert after_wrapped == pytest.approx(after_short, abs=0.3), (after_wrapped, after_short)
