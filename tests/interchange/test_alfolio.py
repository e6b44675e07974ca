"""--al-folio SITE_DIR on a real al-folio tree (tests/data/alfolio_site/, see its SOURCES.md):
the PDF, _data/resume.json and the CV page's cv_pdf are published with output/, and a
malformed site is a located error that leaves the site and output/ as they were."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, SENTINEL, copy_data, have_system, run_cli
from test_export import jsonresume_errors

from cv_builder.interchange.alfolio import set_key

SITE = ROOT / "tests" / "data" / "alfolio_site"
OLD_LAYOUT = ROOT / "tests" / "data" / "alfolio_old_layout" / "cv.html"
PAGE = SITE / "_pages" / "cv.md"

needs_tex = pytest.mark.skipif(not have_system("pdflatex"), reason="no system pdflatex")


@pytest.fixture
def project(tmp_path):
    """(cv.yaml, output/cv.pdf holding an older build, a copy of the al-folio site)."""
    data = copy_data(tmp_path)
    out = tmp_path / "output" / "cv.pdf"
    out.parent.mkdir()
    out.write_bytes(SENTINEL)
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    return data, out, site


def build(data: Path, out: Path, site: Path, *extra: str):
    return run_cli("--data", str(data), "-o", str(out), "--engine", "pdflatex", "--al-folio", str(site), *extra)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_set_key_changes_one_value_and_keeps_every_other_byte():
    text = "---\r\nlayout: cv\r\ncv_pdf: 'old.pdf'  # a note\r\ntitle: cv\r\n---\r\nbody: cv_pdf: x\r\n"
    assert set_key(text, "cv_pdf", "/assets/pdf/cv.pdf") == text.replace("'old.pdf'", "/assets/pdf/cv.pdf")
    assert set_key(text, "cv_format", "jsonresume") == text.replace(
        "title: cv\r\n", "title: cv\r\ncv_format: jsonresume\r\n"
    )
    nested = "---\nlayout: cv\ntoc:\n  cv_pdf: no\n---\n"  # only a top-level key counts
    assert set_key(nested, "cv_pdf", "/assets/pdf/cv.pdf") == (
        "---\nlayout: cv\ntoc:\n  cv_pdf: no\ncv_pdf: /assets/pdf/cv.pdf\n---\n"
    )


@pytest.mark.engine
@needs_tex
def test_one_build_publishes_pdf_data_and_link_into_the_site(project):
    data, out, site = project
    before = snapshot(site)
    r = build(data, out, site)
    assert r.returncode == 0, r.stderr
    assert f"published to {site}" in r.stderr
    pdf = site / "assets" / "pdf" / "cv.pdf"
    assert pdf.read_bytes() == out.read_bytes() and out.read_bytes().startswith(b"%PDF")
    resume = site / "_data" / "resume.json"
    assert resume.read_bytes() == out.with_name("resume.json").read_bytes()
    doc = json.loads(resume.read_text(encoding="utf-8"))
    assert jsonresume_errors(doc) == [] and doc["basics"]["name"] == "Heming Xia" and len(doc["publications"]) == 17
    # The page: cv_pdf is the path this layout links (it has no `prepend: 'assets/pdf/'`), the comment
    # after it is kept, cv_format tells the layout to render resume.json; nothing else changes.
    old = PAGE.read_text(encoding="utf-8")
    expected = old.replace("cv_pdf: example_pdf.pdf # you", "cv_pdf: /assets/pdf/cv.pdf # you").replace(
        "  sidebar: left\n---\n", "  sidebar: left\ncv_format: jsonresume\n---\n"
    )
    assert (site / "_pages" / "cv.md").read_text(encoding="utf-8") == expected
    after = snapshot(site)
    assert {k for k in after if before.get(k) != after[k]} == {"_pages/cv.md", "assets/pdf/cv.pdf", "_data/resume.json"}
    # The site reads _bibliography/papers.bib (not there in this copy): a warning names both files.
    assert "_config.yml:224:17: the site's publications come from" in r.stderr
    assert "papers.bib" in r.stderr and "publications.bib" in r.stderr
    # A second run changes nothing.
    r = build(data, out, site)
    assert r.returncode == 0, r.stderr
    assert snapshot(site) == after
    # A build without --al-folio neither touches the site nor repeats its warning.
    r = run_cli("--data", str(data), "-o", str(out), "--engine", "pdflatex")
    assert r.returncode == 0 and "publications come from" not in r.stderr, r.stderr
    assert snapshot(site) == after


@pytest.mark.engine
@needs_tex
def test_pdf_name_shared_bibliography_and_an_older_layout(project):
    data, out, site = project
    (site / "_bibliography").mkdir()
    (site / "_bibliography" / "papers.bib").symlink_to(data.parent / "publications.bib")
    (site / "_layouts" / "cv.liquid").unlink()  # an al-folio of 2021: _layouts/cv.html, cv_pdf is a file name
    shutil.copyfile(OLD_LAYOUT, site / "_layouts" / "cv.html")
    r = build(data, out, site, "--al-folio-pdf", "heming_xia_cv.pdf")
    assert r.returncode == 0, r.stderr
    assert (site / "assets" / "pdf" / "heming_xia_cv.pdf").read_bytes() == out.read_bytes()
    page = (site / "_pages" / "cv.md").read_text(encoding="utf-8")
    assert "\ncv_pdf: heming_xia_cv.pdf # you can also use external links here\n" in page
    assert "cv_format" not in page  # this layout has no such switch
    assert "publications come from" not in r.stderr  # the same file: no warning
    assert "does not read _data/resume.json" in r.stderr


BROKEN = [
    ("no CV page", "_pages/cv.md", ("layout: cv", "layout: page"), "_pages: no CV page"),
    ("bad front matter", "_pages/cv.md", ("toc:\n  sidebar: left", "toc: [left"), "cv.md:10:"),
    (
        "unclosed front matter",
        "_pages/cv.md",
        ("  sidebar: left\n---\n", "  sidebar: left\n"),
        "cv.md:1:1: the front matter",
    ),
    (
        "cv_pdf a list",
        "_pages/cv.md",
        ("cv_pdf: example_pdf.pdf", "cv_pdf: [a.pdf]"),
        "cv.md:7:9: cv_pdf: cv_pdf: must be",
    ),
    ("bad _config.yml", "_config.yml", ("scholar:\n", "scholar: [\n"), "_config.yml:"),
]


@pytest.mark.parametrize("name, file, change, message", BROKEN, ids=[b[0] for b in BROKEN])
def test_a_malformed_site_is_a_located_error_and_nothing_is_written(project, name, file, change, message):
    data, out, site = project
    path = site / file
    text = path.read_text(encoding="utf-8")
    assert change[0] in text
    path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    before, output_before = snapshot(site), snapshot(out.parent)
    r = build(data, out, site)
    assert r.returncode == 1, r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr
    assert "nothing was written" in r.stderr or "left as it was" in r.stderr
    assert snapshot(site) == before
    assert snapshot(out.parent) == output_before and out.read_bytes() == SENTINEL


def test_usage_errors_write_nothing(project, tmp_path):
    data, out, site = project
    before = snapshot(site)
    r = build(data, out, site, "--al-folio-pdf", "../cv.pdf")
    assert r.returncode == 2 and "--al-folio-pdf '../cv.pdf'" in r.stderr
    r = build(data, out, site, "--all-variants")
    assert r.returncode == 2 and "--al-folio publishes one CV" in r.stderr
    r = build(data, out, tmp_path / "nowhere")
    assert r.returncode == 1 and "not an al-folio site" in r.stderr
    assert snapshot(site) == before and out.read_bytes() == SENTINEL
