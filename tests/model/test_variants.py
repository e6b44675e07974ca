"""Variants: several CVs from one cv.yaml, selected on the model before anything is rendered."""

from __future__ import annotations

import pytest
from conftest import DATA, ENGINE_MODES, PDF, copy_data, have_embedded, have_system, norm, run_cli, squash

from cv_builder.errors import InputError
from cv_builder.model.cv import build
from cv_builder.model.load import parse_yaml
from cv_builder.model.variants import apply

OTHER_SECTIONS = ["Research Interests", "Education", "Experience", "Invited Talks", "Service", "Teaching", "Awards"]
FAST = "pdflatex" if have_system("pdflatex") else "embedded"
needs_tex = pytest.mark.skipif(not (have_system("pdflatex") or have_embedded()), reason="no pdflatex at all")

CV = """\
person: {name: Ada Example}
variants:
  short: {exclude_tags: [long], include_tags: [core]}
  news: {sections: [news], design: {date_format: YYYY, theme: compact}}
  pubs: {sections: [Papers], publications: {first_author: true, years: [2020, null]}}
sections:
  - title: Education
    entries:
      - {title: PhD, date: 2020, tags: [core]}
      - {title: Summer school, date: 2019, tags: [extra]}
      - {title: BSc, date: 2016}
  - title: Talks
    tags: [long]
    kind: items
    entries: [A talk]
  - title: Papers
    kind: publications
    filter: {selected: true}
  - title: News
    id: news
    kind: items
    hidden: true
    entries: [Something happened]
"""


def model():
    return build(parse_yaml(CV, "cv.yaml"), "cv.yaml")


def test_tags_select_sections_and_entries():
    cv = apply(model(), "short")
    assert [s.title for s in cv.sections] == ["Education", "Papers"]  # Talks: excluded tag; News: hidden
    # tagged entries need an included tag; untagged ones stay
    assert [e.title for e in cv.sections[0].entries] == ["PhD", "BSc"]


def test_listing_a_hidden_section_shows_it_and_design_is_replaced():
    base = model()
    cv = apply(base, "news")
    assert [(s.title, s.hidden) for s in cv.sections] == [("News", False)]
    assert cv.design.date_format == "YYYY" and cv.design.theme == "compact"
    assert base.design.date_format == "YYYY.MM"  # the original is untouched
    assert apply(base, None) is base


def test_publication_filter_is_laid_over_the_section_filter():
    (section,) = apply(model(), "pubs").sections
    assert section.filter.selected is True  # the section's own key stays
    assert section.filter.first_author is True and section.filter.years == [2020, None]


def test_unknown_variant_is_located_with_did_you_mean():
    with pytest.raises(InputError) as info:
        apply(model(), "shrot")
    (p,) = info.value.problems
    assert (p.file, p.line, p.column, p.path) == ("cv.yaml", 2, 1, "variants")
    assert "no variant named 'shrot'" in p.message and p.hint == "did you mean 'short'?"


def test_variant_section_names_are_checked():
    bad = CV.replace("sections: [Papers]", "sections: [Paper]")
    with pytest.raises(InputError) as info:
        build(parse_yaml(bad, "cv.yaml"), "cv.yaml")
    (p,) = info.value.problems
    assert p.path == "variants.pubs.sections[0]" and (p.line, p.column) == (5, 21)
    assert p.hint == "did you mean 'Papers'?"


@pytest.mark.parametrize("mode", ENGINE_MODES)
def test_short_variant_of_the_default_cv_fits_two_pages(mode, tmp_path):
    out = tmp_path / "cv-short.pdf"
    proc = run_cli("--variant", "short", "--engine", mode, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    pdf = PDF(out)
    assert pdf.pages <= 2
    text = norm(pdf.text)
    assert "Invited Talks" not in text  # tagged talks
    assert "Publications (first or co-first author)" in text
    assert squash("SWIFT: On-the-Fly Self-Speculative Decoding") in squash(pdf.text)  # first author
    assert squash("A Survey on In-context Learning") not in squash(pdf.text)  # seventh author


@needs_tex
def test_all_variants_and_the_publications_variant(tmp_path):
    cv = copy_data(tmp_path)
    proc = run_cli("--data", str(cv), "--all-variants", "--engine", FAST, "-o", str(tmp_path / "out" / "cv.pdf"))
    assert proc.returncode == 0, proc.stderr
    built = sorted(p.name for p in (tmp_path / "out").glob("*.pdf"))
    assert built == ["cv-full.pdf", "cv-publications.pdf", "cv-short.pdf"]
    pubs = PDF(tmp_path / "out" / "cv-publications.pdf")
    text = norm(pubs.text)
    assert "Publications" in text and "Heming Xia" in text
    for title in OTHER_SECTIONS:
        assert title not in text, title
    assert text.count("[paper]") == 17
    full = PDF(tmp_path / "out" / "cv-full.pdf")
    for title in OTHER_SECTIONS:
        assert title in norm(full.text), title


def test_variant_default_output_name_and_unknown_name(tmp_path):
    cv = copy_data(tmp_path)
    proc = run_cli("--data", str(cv), "--variant", "publicatons", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "cv.yaml:" in proc.stderr and "variants: no variant named 'publicatons'" in proc.stderr
    assert "did you mean 'publications'?" in proc.stderr
    assert not (tmp_path / "output").exists()
    proc = run_cli("--data", str(cv), "--variant", "short", "--all-variants", cwd=tmp_path)
    assert proc.returncode == 2 and "either --variant NAME or --all-variants" in proc.stderr


@needs_tex
def test_variant_writes_cv_name_pdf_by_default(tmp_path):
    cv = copy_data(tmp_path)
    proc = run_cli("--data", str(cv), "--variant", "publications", "--engine", FAST, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "output" / "cv-publications.pdf").is_file()
    assert not (tmp_path / "output" / "cv.pdf").exists()


def test_no_variants_defined(tmp_path):
    cv = tmp_path / "cv.yaml"
    cv.write_text("person: {name: A}\nsections: []\n", encoding="utf-8")
    proc = run_cli("--data", str(cv), "--all-variants")
    assert proc.returncode == 1 and "no variants are defined" in proc.stderr


def test_shipped_variants_exist():
    cv = build(parse_yaml((DATA / "cv.yaml").read_text(encoding="utf-8"), "cv.yaml"), "cv.yaml")
    assert list(cv.variants) == ["full", "short", "publications"]
