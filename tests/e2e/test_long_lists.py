"""Long publication lists (issue 19, point 10): past the 150 pages the footer's 'Page X of Y'
holds in memory, and past the 100 pages at which holding them all used to stop TeX."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import DATA, ENGINE_MODES, PDF, have_system, norm, run_cli

from cv_builder.build import load_model, publication_lists
from cv_builder.errors import EngineError, Report
from cv_builder.typeset import engine as engines
from cv_builder.typeset import latex
from cv_builder.typeset.render import render

HELD = 150  # hold_pages.tex's \cv@holdlimit
ENGINES = ENGINE_MODES + [
    pytest.param("xelatex", marks=pytest.mark.skipif(not have_system("xelatex"), reason="no xelatex"))
]


def long_cv(where: Path, n: int) -> Path:
    """The default CV with `n` short generated publications and deep top and bottom
    margins, so that many pages cost TeX little work; returns its cv.yaml."""
    data = where / "data"
    shutil.copytree(DATA, data)
    entries = [
        f"@article{{p{i},\n  title = {{Paper number {i}}},\n  author = {{Heming Xia and Ann Lee}},\n"
        f"  journal = {{Journal {i % 7}}},\n  year = {{{2000 + i % 25}}},\n}}\n"
        for i in range(n)
    ]
    (data / "publications.bib").write_text("\n".join(entries), encoding="utf-8")
    yaml = data / "cv.yaml"
    text = yaml.read_text(encoding="utf-8")
    assert "  font_size: 10pt\n" in text
    yaml.write_text(
        text.replace("  font_size: 10pt\n", "  font_size: 12pt\n  margins: {top: 9cm, bottom: 9cm}\n"), encoding="utf-8"
    )
    return yaml


def page_texts(pdf: PDF) -> list[str]:
    """Each page's text, in order (poppler is fast on 170 pages; pypdf where it is missing)."""
    if shutil.which("pdftotext"):
        out = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(pdf.path), "-"], capture_output=True, text=True, check=True
        ).stdout
        return [norm(page) for page in out.split("\f")[: pdf.pages]]
    return [norm(page.extract_text()) for page in pdf.reader.pages]


def assert_complete(out: Path, n: int) -> int:
    """Every page says 'Page i of N' for its own i and the real N; every paper is listed."""
    pdf = PDF(out)
    pages = page_texts(pdf)
    assert len(pages) == pdf.pages
    for number, text in enumerate(pages, 1):
        assert f"Page {number} of {pdf.pages}" in text, (number, text[-80:])
    listed = {int(m) for m in re.findall(r"Paper number (\d+)", " ".join(pages))}
    assert listed == set(range(n))
    return pdf.pages


@pytest.mark.engine
@pytest.mark.parametrize("mode", ENGINES)
def test_a_list_longer_than_the_held_pages_builds_with_every_footer_right(mode, tmp_path):
    yaml = long_cv(tmp_path, 1100)
    out = tmp_path / "out" / "cv.pdf"
    proc = run_cli("--engine", mode, "--data", str(yaml), "-o", str(out), "--no-cache")
    assert proc.returncode == 0, proc.stderr
    pages = assert_complete(out, 1100)
    assert pages > HELD + 10
    # the first pass could not know Y past the held pages: the second reads it from the .aux
    assert f", 2 passes, {pages} pages" in proc.stderr


@pytest.mark.engine
def test_a_long_list_held_whole_takes_one_pass(tmp_path):
    """Over 100 pages, all held: 'Output loop---100 consecutive dead cycles' before."""
    yaml = long_cv(tmp_path, 700)
    out = tmp_path / "out" / "cv.pdf"
    proc = run_cli(
        "--engine",
        "pdflatex" if have_system("pdflatex") else "embedded",
        "--data",
        str(yaml),
        "-o",
        str(out),
        "--no-cache",
    )
    assert proc.returncode == 0, proc.stderr
    pages = assert_complete(out, 700)
    assert 100 < pages <= HELD and ", 1 pass, " in proc.stderr


@pytest.mark.engine
@pytest.mark.skipif(not have_system("pdflatex"), reason="no system pdflatex")
def test_a_warm_build_of_a_long_list_reads_the_total_from_the_last_build(tmp_path):
    yaml = long_cv(tmp_path, 1100)
    out = tmp_path / "out" / "cv.pdf"
    assert run_cli("--engine", "pdflatex", "--data", str(yaml), "-o", str(out)).returncode == 0
    text = yaml.read_text(encoding="utf-8")
    yaml.write_text(text.replace("position: Ph.D. Student", "position: Doctoral Student", 1), encoding="utf-8")
    proc = run_cli("--engine", "pdflatex", "--data", str(yaml), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert ", 1 pass, " in proc.stderr and "Doctoral Student" in norm(PDF(out).pdftotext())
    pages = assert_complete(out, 1100)
    # fewer papers: the total in the .aux is wrong now, and a second pass puts it right
    bib = yaml.parent / "publications.bib"
    entries = bib.read_text(encoding="utf-8").split("\n@")
    bib.write_text("\n@".join(entries[:1000]), encoding="utf-8")
    proc = run_cli("--engine", "pdflatex", "--data", str(yaml), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert HELD < assert_complete(out, 1000) < pages and ", 2 passes, " in proc.stderr


def test_the_page_total_in_the_aux_asks_for_no_second_pass(tmp_path):
    """hold_pages.tex writes it on every build; only a list too long to hold reads it, and
    asks for the rerun itself when it was wrong."""
    aux = tmp_path / "cv.aux"
    aux.write_text("\\relax \n\\gdef \\cv@pagetotal{186}\n\\gdef \\@abspage@last{186}\n")
    assert engines.aux_state(aux) == ""


def test_the_default_timeout_grows_with_the_latex():
    assert engines.default_timeout("x" * 1000) == 60.0
    assert engines.default_timeout("x" * 2**20) == 60.0  # about 2,000 publications
    assert engines.default_timeout("x" * 5 * 2**20) == 60.0 + 4 * 30.0


@pytest.mark.engine
def test_a_line_too_long_for_tex_is_named(tmp_path):
    path = shutil.which("pdflatex") or engines.embedded_pdflatex()
    if not path:
        pytest.skip("no pdflatex")
    (tmp_path / "cv.tex").write_text(
        "\\documentclass{article}\\begin{document}\n" + "word " * 250_000 + "\n\\end{document}\n"
    )
    with pytest.raises(EngineError, match="a line of cv.tex is longer than the 1,000,000 characters"):
        engines.run(engines.Engine("pdflatex", path), tmp_path, timeout=30)


@pytest.mark.parametrize("theme", ["classic", "modern", "compact"])
def test_every_theme_writes_a_publication_a_line(theme, tmp_path):
    """Not the whole list on one line: TeX reads at most 200,000 characters (by default) of one."""
    yaml = long_cv(tmp_path, 300)
    cv = load_model(yaml, Report())[0]
    tex = render(cv, publication_lists(cv, yaml, Report()), latex.PDFLATEX, Report(), "pdflatex", theme=theme).tex
    lines = [line for line in tex.splitlines() if "Paper number" in line]
    assert len(lines) == 300
