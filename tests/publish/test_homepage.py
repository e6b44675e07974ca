"""Homepage outputs: manifest, link, publication list (HTML and Markdown), --site, --max-pages."""

from __future__ import annotations

import hashlib
import html.parser
import json
from pathlib import Path

import pytest
from conftest import PDF, copy_data, run_cli

from cv_builder.bib.publications import (
    Author,
    BibOptions,
    Group,
    Link,
    Publication,
    PublicationList,
    SectionOptions,
    make_publications,
    organise,
)
from cv_builder.bib.reader import parse_bib
from cv_builder.errors import InputError, Report
from cv_builder.publish import homepage, site

ENGINE = ("--engine", "pdflatex")


# --- escaping (no TeX) --------------------------------------------------------


def _pub(**kw) -> Publication:
    base = dict(
        key="k1",
        entry_type="article",
        category="journal",
        title="T",
        authors=[],
        et_al=False,
        venue="V",
        year=2024,
        month=None,
        links=[],
        notes=[],
        selected=False,
        keywords=[],
        abbr="",
        annotation="",
    )
    base.update(kw)
    return Publication(**base)


HOSTILE = '<script>alert("x")</script> & *bold* _it_ [l](u) `c` $x$ | # ~~s~~ <!-- cv:end -->'


class _Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_html_escapes_every_data_string_and_keeps_only_web_links():
    owner = Author("Heming", "Xia", text="Heming Xia", owner=True, marks=["*"])
    other = Author("A", "B", text=HOSTILE)
    links = [Link("paper", 'https://x.org/?a=1&b=2"onmouseover=1', "url"), Link("js", "javascript:alert(1)", "code")]
    pubs = PublicationList(
        [Group("", [_pub(title=HOSTILE, authors=[owner, other], links=links, notes=[HOSTILE])])],
        [("*", "equal contribution")],
        "",
    )
    out = homepage.publications_html(pubs)
    parser = _Text()
    parser.feed(out)
    assert "script" not in [t for t, _ in parser.tags]
    assert "<!-- cv:end -->" not in out
    hrefs = [a["href"] for t, a in parser.tags if t == "a"]
    assert hrefs == ['https://x.org/?a=1&b=2"onmouseover=1']  # attribute kept intact, javascript: dropped
    text = "".join(parser.text)
    assert text.count(HOSTILE) == 3  # title, author, badge: shown exactly as typed
    assert ("strong", {"class": "cv-owner"}) in parser.tags


def test_markdown_escaping_shows_text_as_typed():
    escaped = homepage.md_escape(HOSTILE)
    for special in ("*bold*", "_it_", "[l]", "`c`", "<script>", "<!--"):
        assert special not in escaped
    assert "&amp;" in escaped and "\\*bold\\*" in escaped
    # CommonMark: a backslash before ASCII punctuation is that character; entities decode
    import re

    decoded = re.sub(r"\\(.)", r"\1", escaped).replace("&#126;", "~").replace("&amp;", "&")
    assert decoded == HOSTILE
    assert homepage.md_url("https://x.org/a b(c)") == "https://x.org/a%20b%28c%29"


def test_date_format_tokens():
    import datetime as dt

    from cv_builder.model.cv import DateFormat

    day = dt.date(2025, 3, 7)
    assert DateFormat("YYYY-MM-DD").render(day) == "2025-03-07"
    assert DateFormat("D Month YYYY").render(day) == "7 March 2025"
    assert DateFormat("Mon D, YYYY").render(day) == "Mar 7, 2025"
    assert DateFormat("YYYY年M月D日").render(day) == "2025年3月7日"


# --- site markers (no TeX) ------------------------------------------------------

SNIP = homepage.Snippets("CV (PDF, 2 pages, updated 2025-11-25)", "<ul><li>P</li></ul>\n", "- P\n")


def test_publish_keeps_the_permissions_of_a_replaced_file(tmp_path):
    from cv_builder.publish.atomic import atomic_write

    page = tmp_path / "index.html"
    page.write_text("old")
    page.chmod(0o664)
    atomic_write(page, b"new")
    assert page.read_bytes() == b"new" and page.stat().st_mode & 0o777 == 0o664
    atomic_write(tmp_path / "fresh.json", b"{}")
    assert (tmp_path / "fresh.json").stat().st_mode & 0o777 == 0o644


def test_publish_is_all_or_nothing_when_one_file_cannot_be_written(tmp_path):
    from cv_builder.errors import CVError
    from cv_builder.publish.files import publish

    out = tmp_path / "output"
    out.mkdir()
    (out / "cv.pdf").write_bytes(b"old pdf")
    (tmp_path / "blocker").write_text("a file where a directory should be")
    with pytest.raises(CVError):
        publish({out / "cv.pdf": b"new pdf", out / "cv.json": b"{}", tmp_path / "blocker" / "index.html": b"x"})
    assert (out / "cv.pdf").read_bytes() == b"old pdf"
    assert sorted(p.name for p in out.iterdir()) == [".cv_builder.lock", "cv.pdf"]  # no temp files left


def test_site_update_is_idempotent_and_preserves_outside_bytes(tmp_path):
    page = tmp_path / "index.html"
    before = (
        "<p>\u00e9 Please check my <!-- cv:start -->old<!-- cv:end --> now.</p>\r\n"
        "<!-- publications:start -->\r\nstale\r\n<!-- publications:end -->\r\n<footer>x</footer>"
    )
    page.write_bytes(before.encode())
    first = site.update(page, "index.html", SNIP, "../output/cv.pdf")
    page.write_bytes(first)
    assert site.update(page, "index.html", SNIP, "../output/cv.pdf") == first
    text = first.decode()
    assert text.startswith('<p>\u00e9 Please check my <!-- cv:start --><a class="cv-link" href="../output/cv.pdf">')
    assert text.endswith("<!-- publications:end -->\r\n<footer>x</footer>")
    assert "<!-- publications:start -->\r\n<ul><li>P</li></ul>\r\n<!-- publications:end -->" in text
    assert "stale" not in text and "old" not in text


@pytest.mark.parametrize(
    "page, line, col, message",
    [
        ("a\n<!-- cv:start -->\nb", 2, 1, "has no matching <!-- cv:end -->"),
        ("<!-- cv:end --> <!-- cv:start -->", 1, 1, "comes before"),
        ("x <!-- cv:start --><!-- cv:end -->\n  <!-- cv:start -->", 2, 3, "appears more than once"),
        ("<!-- publications:end -->", 1, 1, "has no matching <!-- publications:start -->"),
        ("no markers at all", 0, 0, "no <!-- cv:start -->"),
    ],
)
def test_site_marker_problems_are_located(tmp_path, page, line, col, message):
    path = tmp_path / "p.html"
    path.write_text(page)
    with pytest.raises(InputError) as err:
        site.check(path, "p.html")
    problem = err.value.problems[0]
    assert message in problem.message
    assert (problem.line, problem.column) == (line, col)


# --- end to end ----------------------------------------------------------------


@pytest.mark.engine
def test_build_writes_manifest_link_and_publications_from_the_same_bibliography(tmp_path):
    copy_data(tmp_path)
    proc = run_cli("-q", *ENGINE, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "output"
    pdf_bytes = (out / "cv.pdf").read_bytes()
    pdf = PDF(out / "cv.pdf")
    manifest = json.loads((out / "cv.json").read_text())
    assert manifest == {
        "title": "Heming Xia – Curriculum Vitae",
        "pdf": "cv.pdf",
        "tex": "cv.tex",
        "size": len(pdf_bytes),
        "pages": pdf.pages,
        "sha256": hashlib.sha256(pdf_bytes).hexdigest(),
        "date": "2025-11-25",
        "updated": "2025-11-25",
        "commit": None,
        "link_text": f"CV (PDF, {pdf.pages} pages, updated 2025-11-25)",
    }
    assert (
        out / "cv-link.html"
    ).read_text() == f'<a class="cv-link" href="cv.pdf">CV (PDF, {pdf.pages} pages, updated 2025-11-25)</a>\n'
    assert (out / "cv-link.md").read_text() == f"[CV (PDF, {pdf.pages} pages, updated 2025-11-25)](cv.pdf)\n"

    pub_html = (out / "publications.html").read_text()
    pub_md = (out / "publications.md").read_text()
    # every paper of the PDF, in the same order, with the same marks and links
    titles = [
        line.split('cv-pub-title">')[1].split("</span>")[0]
        for line in pub_html.splitlines()
        if 'cv-pub-title">' in line
    ]
    assert len(titles) == 17 and pub_md.count("\n- **") + pub_md.startswith("- **") == 17
    assert titles[0] == "TokenSkip: Controllable Chain-of-Thought Compression in LLMs"
    assert titles[-1] == "Improved deep learning techniques in gravitational-wave data analysis"
    from conftest import squash

    positions = [squash(pdf.text).find(squash(t)) for t in titles]
    assert -1 not in positions and positions == sorted(positions)
    assert pub_html.count('<strong class="cv-owner">Heming Xia</strong>') == 17
    assert 'Xiaochen Wang<sup>*</sup>, <strong class="cv-owner">Heming Xia</strong><sup>*</sup>' in pub_html
    assert "<sup>*</sup>&nbsp;equal contribution" in pub_html
    assert '<a class="cv-pub-link" href="https://mp.weixin.qq.com/s/_eqK9bSlDSkIxaE0wb9sfA">[机器之心]</a>' in pub_html
    pdf_uris = set(pdf.uris)
    html_uris = {part.split('"')[0] for part in pub_html.split('href="')[1:]}
    assert html_uris <= pdf_uris and len(html_uris) >= 30
    assert "Xiaochen Wang<sup>\\*</sup>, **Heming Xia**<sup>\\*</sup>" in pub_md
    assert "*Findings of EMNLP 2024* [\\[paper\\]](https://aclanthology.org/2024.findings-emnlp.561/)" in pub_md


@pytest.mark.engine
def test_homepage_options_in_cv_yaml(tmp_path):
    cv_yaml = copy_data(tmp_path)
    cv_yaml.write_text(cv_yaml.read_text() + "\nhomepage:\n  label: Curriculum Vitae\n  date_format: D Month YYYY\n")
    proc = run_cli("-q", *ENGINE, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Curriculum Vitae (PDF, 2 pages, updated 25 November 2025)" in (tmp_path / "output/cv-link.html").read_text()


def test_homepage_options_are_validated_with_locations(tmp_path):
    cv_yaml = copy_data(tmp_path)
    lines = cv_yaml.read_text().count("\n")
    cv_yaml.write_text(cv_yaml.read_text() + "\nhomepage:\n  date_format: DD.MM\n  section: Publicatons\n")
    proc = run_cli("check", "--data", str(cv_yaml), cwd=tmp_path)
    assert proc.returncode == 1
    assert f"cv.yaml:{lines + 3}:16: homepage.date_format: 'DD.MM' is not a date pattern" in proc.stderr
    assert f"cv.yaml:{lines + 4}:12: homepage.section: no publications section is titled 'Publicatons'" in proc.stderr
    assert "did you mean 'Publications'?" in proc.stderr


@pytest.mark.engine
def test_site_option_fills_the_example_page_and_links_the_pdf_relatively(tmp_path):
    copy_data(tmp_path)
    root = Path(__file__).resolve().parents[2]
    page = tmp_path / "site" / "index.html"
    page.parent.mkdir()
    original = (root / "site" / "index.html").read_text()
    page.write_text(original)
    proc = run_cli(*ENGINE, "--site", "site/index.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "updated site/index.html" in proc.stderr
    first = page.read_bytes()
    text = first.decode()
    assert (
        'Please check my <!-- cv:start --><a class="cv-link" href="../output/cv.pdf">CV (PDF, 2 pages, '
        "updated 2025-11-25)</a><!-- cv:end --> for further information." in text
    )
    assert (page.parent / "../output/cv.pdf").resolve() == (tmp_path / "output/cv.pdf").resolve()
    assert (tmp_path / "output/publications.html").read_text().strip() in text

    # outside the markers: byte for byte the page we started from
    def strip(t: str) -> str:
        return (
            t.split("<!-- cv:start -->")[0]
            + t.split("<!-- cv:end -->")[1].split("<!-- publications:start -->")[0]
            + t.split("<!-- publications:end -->")[1]
        )

    assert strip(text) == strip(original)
    # idempotent: a second build changes nothing
    assert run_cli("-q", *ENGINE, "--site", "site/index.html", cwd=tmp_path).returncode == 0
    assert page.read_bytes() == first
    # --pdf-url for a page published elsewhere
    assert (
        run_cli(
            "-q", *ENGINE, "--site", "site/index.html", "--pdf-url", "https://example.org/cv.pdf", cwd=tmp_path
        ).returncode
        == 0
    )
    assert 'href="https://example.org/cv.pdf"' in page.read_text()


@pytest.mark.engine
def test_markdown_site_page(tmp_path):
    copy_data(tmp_path)
    page = tmp_path / "about.md"
    page.write_text(
        "Please check my <!-- cv:start -->CV<!-- cv:end -->.\n\n## Publications\n"
        "<!-- publications:start --><!-- publications:end -->\n"
    )
    proc = run_cli("-q", *ENGINE, "--site", "about.md", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = page.read_text()
    assert text.startswith(
        "Please check my <!-- cv:start -->[CV (PDF, 2 pages, updated 2025-11-25)](output/cv.pdf)<!-- cv:end -->.\n"
    )
    assert "<!-- publications:start -->\n<sup>\\*</sup> equal contribution\n\n- **TokenSkip" in text


def test_bad_site_page_fails_before_tex_and_touches_nothing(tmp_path):
    copy_data(tmp_path)
    out = tmp_path / "output"
    out.mkdir()
    (out / "cv.pdf").write_bytes(b"previous")
    page = tmp_path / "index.html"
    page.write_text("<p>\n  <!-- cv:start --> x\n<!-- publications:start --><!-- publications:end -->\n")
    before = page.read_bytes()
    proc = run_cli("--site", "index.html", cwd=tmp_path)
    assert proc.returncode == 1
    assert "index.html:2:3: <!-- cv:start --> has no matching <!-- cv:end -->" in proc.stderr
    assert "Traceback" not in proc.stderr and "engine " not in proc.stderr  # TeX never ran
    assert page.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["cv.pdf"] and (out / "cv.pdf").read_bytes() == b"previous"


@pytest.mark.engine
def test_max_pages(tmp_path):
    copy_data(tmp_path)
    assert run_cli("-q", *ENGINE, cwd=tmp_path).returncode == 0
    out = tmp_path / "output"
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    cv_yaml = tmp_path / "data/cv.yaml"
    cv_yaml.write_text(cv_yaml.read_text().replace("Research Interests", "Research Topics"))
    proc = run_cli(*ENGINE, "--max-pages", "1", cwd=tmp_path)
    assert proc.returncode == 4
    assert "error: the CV has 2 pages, more than --max-pages 1" in proc.stderr
    assert "output/ was left as it was" in proc.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before  # previous outputs intact
    ok = run_cli("-q", *ENGINE, "--max-pages", "2", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "Research Topics" in PDF(out / "cv.pdf").text
    bad = run_cli("--max-pages", "0", cwd=tmp_path)
    assert bad.returncode == 2 and "expected a whole number of pages" in bad.stderr


def test_entry_without_authors_leaves_no_empty_line():
    report = Report()
    entries = parse_bib("@misc{a, title={A web page}, year=2020}\n", "x.bib", report)
    pubs = organise(
        make_publications(entries, BibOptions(owner=["Heming Xia"]), report), SectionOptions(), BibOptions()
    )
    md = homepage.publications_md(pubs)
    assert "- **A web page**<br>\n  *2020*\n" in md and "<br>\n  <br>" not in md
    html = homepage.publications_html(pubs)
    assert "cv-pub-authors" not in html and '<em class="cv-pub-venue">2020</em>' in html


# --- the homepage's section hidden in the CV: the .bib is read once ------------

HIDDEN_FOR_HOMEPAGE = "  - title: Publications\n    kind: publications\n    hidden: true\n"
NEW_ENTRY = (
    "\n@article{xia2026new,\n  author = {Xia, Heming},\n  title = {A \\foo{Newer} Method},\n"
    "  journal = {Journal X},\n  year = {2026}\n}\n"
)


def _hide_publications(cv_yaml: Path, shown_too: bool) -> None:
    text = cv_yaml.read_text().replace("  - title: Publications\n    kind: publications\n", HIDDEN_FOR_HOMEPAGE)
    if shown_too:  # a second, shown section of selected papers
        text = text.replace(
            "  - title: Invited Talks\n",
            "  - title: Selected Publications\n"
            "    kind: publications\n    filter: {selected: true}\n\n  - title: Invited Talks\n",
        )
    cv_yaml.write_text(text + "\nhomepage:\n  section: Publications\n")


@pytest.mark.parametrize("shown_too", [False, True])
def test_a_hidden_homepage_section_is_organised_from_the_one_reading_of_the_bib(tmp_path, monkeypatch, shown_too):
    from cv_builder import build  # the module whose reader is counted

    cv_yaml = copy_data(tmp_path)
    _hide_publications(cv_yaml, shown_too)
    (cv_yaml.parent / "publications.bib").write_text((cv_yaml.parent / "publications.bib").read_text() + NEW_ENTRY)
    calls = []
    real = build.reader.load_bib
    monkeypatch.setattr(build.reader, "load_bib", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    report, stats = Report(), {}
    cv, lists = build.load_model(cv_yaml, report, stats=stats)
    assert len(calls) == 1
    home = build.homepage_list(cv, lists)
    assert home is not None and sum(len(g.publications) for g in home.groups) == 18
    assert [str(w).count(r"\foo") for w in report.warnings] == [1]  # the .bib's warning, once
    shown = [i for i in lists if not cv.sections[i].hidden]
    assert [cv.sections[i].title for i in shown] == (["Selected Publications"] if shown_too else [])
    listed = sum(len(g.publications) for i in shown for g in lists[i].groups)
    if shown_too:  # the summary counts what the CV lists
        assert stats["summary"].endswith(
            f"publications.bib: 18 entries, {listed} listed, 1 warning "
            f"({18 - listed} left out by the sections' filters)"
        )
    else:
        assert "summary" not in stats


@pytest.mark.engine
def test_a_hidden_homepage_section_lists_the_bib_and_follows_its_changes(tmp_path):
    cv_yaml = copy_data(tmp_path)
    _hide_publications(cv_yaml, shown_too=False)
    proc = run_cli(*ENGINE, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    pub_html = (tmp_path / "output/publications.html").read_text()
    assert pub_html.count('<strong class="cv-owner">Heming Xia</strong>') == 17
    assert "Publications" not in PDF(tmp_path / "output/cv.pdf").text  # hidden in the CV itself
    bib = cv_yaml.parent / "publications.bib"
    bib.write_text(bib.read_text() + NEW_ENTRY)
    proc = run_cli(*ENGINE, cwd=tmp_path)  # the .bib feeds the homepage: not "up to date"
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count(r"\foo") == 1, proc.stderr
    assert "Newer Method" in (tmp_path / "output/publications.html").read_text()
