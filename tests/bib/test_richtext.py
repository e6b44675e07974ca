"""BibTeX text as rich text: math, text commands, names and thin spaces, from .bib to PDF and homepage."""

from __future__ import annotations

import subprocess

import pytest
from conftest import ENGINE_MODES, have_system, norm, run_cli
from pypdf import PdfReader

from cv_builder.bib.publications import BibOptions, make_publications
from cv_builder.bib.reader import decode_latex, parse_bib
from cv_builder.bib.richtext import Math, Name, RichText, Span
from cv_builder.errors import Report
from cv_builder.publish import homepage
from cv_builder.typeset import latex


def decode(text: str):
    value, unknown = decode_latex(text)
    return value, unknown


# ---- decoding: the plain text every string use sees


@pytest.mark.parametrize(
    "source, text",
    [
        (r"$\sqrt{s} = 13$ TeV", "√s = 13 TeV"),
        (r"W$^\pm$W$^\mp$", "W±W∓"),
        (r"$\mathbb{A}^3$", "𝔸³"),
        (r"H{$_2$}O", "H₂O"),
        (r"$O(n^2)$", "O(n²)"),
        (r"$\ell_1$", "ℓ₁"),
        (r"5\({}^{\mbox{th}}\)", "5th"),
        (r"$\frac{a+b}{2}$", "(a+b)/2"),
        (r"$\alpha$-decay", "α-decay"),
        (r"costs \$5", "costs $5"),
        (r"price in $ only", "price in $ only"),
        (r"\mkbibquote{De Motu Animalium}", "“De Motu Animalium”"),
        (r"\enquote{a \enquote{b}}", "“a ‘b’”"),
        (r"well\hyphen known", "well-known"),
        (r"\textsc{Nasa}", "Nasa"),
        (r"x\textsuperscript{2}", "x2"),
        (r"\href{https://a.org}{site}", "site"),
        (r"\url{https://a.org/x\_y}", "https://a.org/x_y"),
        (r"10\,000", "10\u202f000"),
        (r"$B^0_s \to \mu^+\mu^-$", "B⁰ₛ → μ⁺μ⁻"),
        (r"$t\bar{t}$", "tt̄"),
        (r"$\overline{\rm MS}$ scheme", "MS̅ scheme"),
        (r"\ensuremath{^{13}}C", "¹³C"),
        (r"$a\log b$", "a log b"),
        (r"\mathbb{R}", "ℝ"),
        (r"$\mathrm{d}\sigma/\mathrm{d}p_\mathrm{T}$", "dσ/dpT"),
    ],
)
def test_decoded_plain_text(source, text):
    value, unknown = decode(source)
    assert value == text and unknown == []


def test_unknown_command_keeps_its_argument_never_its_name():
    value, unknown = decode(r"\foo{bar} and $\input{x}$")
    assert value == "bar and x" and unknown == ["foo", "input"]


def test_warning_names_entry_and_field():
    report = Report()
    parse_bib("@article{k1, author={A B}, year=2020, title={A \\foo{b}}, journal={J \\foo{c}}}\n", "x.bib", report)
    (w,) = report.warnings
    assert "\\foo" in w.message and "'k1'" in w.message and "field 'title'" in w.message and w.file == "x.bib"


def test_structure_and_location():
    (entry,) = parse_bib("@article{k, author={A B}, year=2020, title={\\emph{E} $x^2$}}\n", "f.bib", Report())
    title = entry.fields["title"]
    assert isinstance(title, RichText) and title == "E x²"
    assert isinstance(title.nodes[0], Span) and isinstance(title.nodes[2], Math)
    assert title.where.startswith("f.bib:1 ") and "'k'" in title.where


# ---- LaTeX: only whitelisted math, everything else escaped


def tex(source: str, target=latex.PDFLATEX, report=None) -> str:
    return str(latex.escape(decode(source)[0], target, report))


def test_math_is_typeset_with_copy_text():
    out = tex(r"W$^\pm$ and $\sqrt{s}$")
    assert r"$^{\pm }$" in out and r"$\sqrt{s}$" in out
    assert latex.pdf_string("±") in out  # the formula copies as ±


def test_hostile_math_never_reaches_tex():
    out = tex(r"$\input{/etc/passwd}\def\x{1}\catcode`\^^5c=12 \write18{rm}$ $a&b#c%d$")
    for bad in (r"\input", r"\def", r"\catcode", r"\write", "^^"):
        assert bad not in out
    assert r"\&" in out and r"\#" in out and r"\%" in out


def test_text_commands_render():
    out = tex(r"\textsc{Small} \emph{it} \textbf{b} \href{https://y.org}{l} x\textsubscript{3}")
    assert r"\textsc{Small}" in out and r"\textit{it}" in out and r"\textbf{b}" in out
    assert r"\cvhref{" in out and r"\textsubscript{3}" in out
    assert "javascript" not in tex(r"\href{javascript:alert(1)}{x}") and "cvhref" not in tex(r"\href{javascript:x}{x}")


def test_names_are_tied():
    assert str(latex.escape(Name("Jean van Dam"), latex.PDFLATEX)) == "Jean~van~Dam"
    assert str(latex.escape(Name("Zoë {Mü}ller"), latex.PDFLATEX)) == r"Zoë~\{Mü\}ller"


@pytest.mark.parametrize("target", [latex.PDFLATEX, latex.LUALATEX, latex.XELATEX])
def test_thin_space_is_tex_thin_space_on_every_engine(target):
    out = str(latex.escape("10\u202f000", target))
    assert "\u202f" not in out and r"\," in out and r"\cvactualtext{<20>}" in out


# ---- homepage


def test_html_and_markdown():
    value = decode(r"W$^\pm$ in H{$_2$}O, \emph{<b>}")[0]
    html = homepage.rich_html(value)
    assert html == "W<sup>±</sup> in H<sub>2</sub>O, <em>&lt;b&gt;</em>"
    md = homepage.rich_html(value, homepage.md_escape)
    assert "<sup>±</sup>" in md and "\\<b\\>" in md


# ---- end to end: the PDF's text

BIB = r"""
@article{phys, author = {Jane Doe and Bob Smith}, journal = {Phys. Rev. D}, year = {2021},
  title = {Measurement at $\sqrt{s} = 13$ TeV of W$^\pm$W$^\mp$ production}}
@article{alg, author = {Jane Doe}, journal = {J. Alg.}, year = {2020},
  title = {Points on $\mathbb{A}^3$, H{$_2$}O in $O(n^2)$ with $\ell_1$}}
@inproceedings{dblp, author = {Jane Doe}, booktitle = {Proc. 10\,000 Users}, year = {2019},
  title = {The 5\({}^{\mbox{th}}\) workshop: \mkbibquote{De Motu} \enquote{Physics} \textsc{Small} \emph{em} x\textsuperscript{up} \foo{kept}}}
"""  # noqa: E501 (one BibTeX field, kept on one line as a .bib has it)
CV = (
    "person: {name: Jane Doe}\npublications: {bib: pubs.bib, owner: [Jane Doe]}\n"
    "sections:\n  - {title: Publications, kind: publications}\n"
)


@pytest.mark.parametrize("mode", ENGINE_MODES + ["xelatex"])
def test_pdf_text_is_clean(mode, tmp_path):
    if mode == "xelatex" and not have_system("xelatex"):
        pytest.skip("no xelatex")
    (tmp_path / "pubs.bib").write_text(BIB, encoding="utf-8")
    (tmp_path / "cv.yaml").write_text(CV, encoding="utf-8")
    out = tmp_path / "out" / "cv.pdf"
    proc = run_cli("--data", str(tmp_path / "cv.yaml"), "-o", str(out), "--engine", mode, "--no-cache")
    assert proc.returncode == 0, proc.stderr
    assert "field 'title'" in proc.stderr and "\\foo" in proc.stderr
    text = norm(subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout)
    for bad in ("\\", "{", "}", "^", "_", "mkbibquote", "enquote", "sqrt", "mbox", "foo", "\ufffd", "mathbb"):
        assert bad not in text, (bad, text)
    assert "“De Motu” “Physics” Small em xup kept" in text
    assert "10 000 Users" in text  # the thin space copies as a space
    # formulas copy as their Unicode reading, in place, with no space added
    assert "Measurement at √s = 13 TeV of W±W∓ production" in text
    assert "Points on 𝔸³, H₂O in O(n²) with ℓ₁" in text and "The 5th workshop" in text
    # the superscript is a superscript: "up" and "th" are set smaller than the title around them
    sizes: dict[str, list[float]] = {}

    def visit(t, cm, tm, font, size):
        scale = abs(tm[0] * cm[0]) or 1
        if t.strip():
            sizes.setdefault(t.strip(), []).append(size * scale)

    PdfReader(out).pages[0].extract_text(visitor_text=visit)
    small = [s for k, ss in sizes.items() if k in ("up", "th") for s in ss]
    body = [s for k, ss in sizes.items() if "workshop" in k for s in ss]
    assert small and body and max(small) < min(body), sizes


# ---- whatever the formula, TeX gets whitelisted, balanced math that compiles

NASTY = [
    r"$x^2'$",
    r"$x^a^b$",
    r"$x_a_b$",
    r"$x^2\degree$",
    r"$f'^2$",
    r"$\frac12$",
    r"$\sqrt$",
    r"$\left(\frac{a}{b}\right)$",
    r"$\mathbb{R}^n$",
    r"$^^5c$",
    r"$\text{if } x$",
    r"$a & b # c % d ~ e$",
    r"$\unknown{y}$",
    r"$é \alpha$",
    r"$\$5$",
    r"$\{x\}$",
    r"$x''$",
    r"$\hat{}$",
    r"$\mathcal{L}_{\text{CE}}$",
    r"\(\ell_1\)",
    r"$$E=mc^2$$",
    r"$5\%$",
    r"${}^{12}$C",
    r"$\lesssim \gtrsim \varnothing$",
    r"$a\mod b$",
    r"$\le\ge\neq$",
    r"$\sum_{i=1}^n i$",
    r"$[0,1]$",
    r"$\sqrt[3]{x}$",
    r"$x^{\frac{1}{2}}_{\mathrm{max}}$",
    r"$\mathfrak{g}$",
    r"$\bm{x}\boldsymbol{y}$",
    r"${\rm GeV}\,\overline{\rm MS}$",
    r"\ensuremath{^{13}}C",
    r"$\operatorname{arg\,max}$",
    r"${{{{x}}}}$",
    r"$}{$",
]
FORBIDDEN = (r"\input", r"\def", r"\catcode", r"\write", r"\openin", r"\csname", r"\unknown", "^^")


@pytest.mark.parametrize("source", NASTY)
def test_formula_output_is_whitelisted(source):
    out = tex(source)
    assert not any(bad in out for bad in FORBIDDEN), out
    depth = 0
    for i, c in enumerate(out):  # braces balance (an escaped \{ is not a brace)
        if c in "{}" and out[i - 1] != "\\":
            depth += 1 if c == "{" else -1
            assert depth >= 0, out
    assert depth == 0, out


@pytest.mark.skipif(not have_system("pdflatex"), reason="no pdflatex")
def test_every_nasty_formula_compiles(tmp_path):
    bib = "".join(
        f"@article{{k{i}, author = {{Jane Doe}}, journal = {{J}}, year = {{2020}}, title = {{T{i} {s}}}}}\n"
        for i, s in enumerate(NASTY[:-1])
    )  # the last one's braces do not balance in a .bib
    (tmp_path / "pubs.bib").write_text(bib, encoding="utf-8")
    (tmp_path / "cv.yaml").write_text(CV, encoding="utf-8")
    out = tmp_path / "out" / "cv.pdf"
    proc = run_cli("--data", str(tmp_path / "cv.yaml"), "-o", str(out), "--engine", "pdflatex", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    assert "\\unknown in entry 'k12', field 'title'" in proc.stderr
    text = norm(subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout)
    assert "T0 x²'" in text and "T20 E=mc²" in text and "T24 a mod b" in text and "T26 ∑ᵢ₌₁ⁿ i" in text
    assert "^" not in text and "\\" not in text


@pytest.mark.parametrize("mode", ENGINE_MODES)
def test_typed_symbols_copy_as_themselves(mode, tmp_path):
    """Characters pdflatex sets from math fonts or as look-alikes, and thin spaces, copy as typed."""
    title = "Copy a√b, ∑, ≠, x′, … and x² of 10\u202f000 (U+2009:\u2009x)"
    (tmp_path / "pubs.bib").write_text(
        f"@misc{{k, author = {{Jane Doe}}, year = {{2020}}, title = {{{title}}}}}\n", encoding="utf-8"
    )
    (tmp_path / "cv.yaml").write_text(CV, encoding="utf-8")
    out = tmp_path / "out" / "cv.pdf"
    proc = run_cli("--data", str(tmp_path / "cv.yaml"), "-o", str(out), "--engine", mode, "--no-cache")
    assert proc.returncode == 0, proc.stderr
    text = norm(subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout)
    expected = "Copy a√b, ∑, ≠, x′, … and x² of 10 000 (U+2009: x)"
    if mode == "lualatex":  # Latin Modern has no prime: not set (nothing to copy)
        expected = expected.replace("x′", "x")
    assert expected in text, text
    assert "\ufffd" not in text


def test_homepage_output_stays_safe():
    value = decode(
        r"\emph{<script>alert(1)</script>} \href{javascript:alert(1)}{click} $a*b_{<i>}$ \url{https://x.org/?a=1&b=\"}"
    )[0]
    html = homepage.rich_html(value)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html and "click" in html
    assert "<sub>&lt;i&gt;</sub>" in html and 'href="https://x.org/?a=1&amp;b=\\&#34;"' in html
    md = homepage.rich_html(value, homepage.md_escape)
    assert "a\\*b" in md and "\\<script\\>" in md and "javascript:" not in md


def test_warnings_name_their_file_never_input(tmp_path):
    """The owner warning points at cv.yaml; a title's escaping warnings at the .bib entry and field."""
    (tmp_path / "pubs.bib").write_text(
        "@misc{k, author = {Someone Else}, year = {2020}, title = {Ψ \\foo{x}}}\n", encoding="utf-8"
    )
    (tmp_path / "cv.yaml").write_text(CV, encoding="utf-8")
    proc = run_cli("check", "--data", str(tmp_path / "cv.yaml"))
    assert proc.returncode == 0, proc.stderr
    assert "<input>" not in proc.stderr
    assert "cv.yaml:2:" in proc.stderr and "publications.owner[0]: the CV owner" in proc.stderr
    assert "pubs.bib:1: unknown LaTeX command \\foo in entry 'k', field 'title'" in proc.stderr
    report = Report()
    (entry,) = parse_bib((tmp_path / "pubs.bib").read_text(encoding="utf-8"), "pubs.bib", Report())
    (pub,) = make_publications([entry], BibOptions(owner=[]), Report())
    latex.escape(pub.title, latex.PDFLATEX, report, getattr(pub.title, "where", ""))
    (w,) = report.warnings
    assert (w.file, w.line, w.path) == ("pubs.bib", 1, "entry 'k', field 'title'") and "'Ψ'" in w.message


@pytest.mark.skipif(not have_system("pdflatex"), reason="no pdflatex")
@pytest.mark.parametrize("theme", ["classic", "modern", "compact"])
def test_names_never_break_across_lines(theme, tmp_path):
    names = [
        f"{given} {family}"
        for given, family in zip(
            "Alexandra Bartholomew Constantine Dorothea Evangeline Frederick Gwendolyn Humphrey Isadora "
            "Jeremiah Katherine Leopold Maximilian Nathaniel Octavia Penelope Quentin Rosalind".split(),
            "Vanderbilt Montgomery Fitzgerald Whitmore Kensington Hawthorne Pemberton Ashworth Blackwood "
            "Carrington Donaldson Ellsworth Farnsworth Gallagher Harrington Livingston Middleton Northcott".split(),
            strict=True,
        )
    ]
    bib = f"@misc{{k, author = {{{' and '.join(names)}}}, year = {{2020}}, title = {{Many authors}}}}\n"
    (tmp_path / "pubs.bib").write_text(bib, encoding="utf-8")
    (tmp_path / "cv.yaml").write_text(CV.replace("owner: [Jane Doe]", "owner: [Quentin Middleton]"), encoding="utf-8")
    out = tmp_path / "out" / "cv.pdf"
    proc = run_cli(
        "--data", str(tmp_path / "cv.yaml"), "-o", str(out), "--engine", "pdflatex", "--theme", theme, "--no-cache"
    )
    assert proc.returncode == 0, proc.stderr
    assert "Overfull" not in proc.stderr
    lines = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout.splitlines()
    wrapped = [line for line in lines if "Alexandra" in line or "Rosalind" in line]
    assert len(wrapped) == 2 or theme == "compact"  # the list takes several lines
    for name in names:  # given and family name on one line (a long given name may be hyphenated)
        given, family = name.split(" ")
        assert any(f"{given[-2:]} {family}" in line for line in lines), name


def test_dblp_escaped_formula_is_read_as_the_formula():
    # DBLP writes a title's $\mathrm{AC}^0[\oplus]$ as escaped text; it is set as math, through the whitelist.
    title = (
        r"Theorem for {\textdollar}{\textbackslash}mathrm\{AC\}{\^{}}0[{\textbackslash}oplus]{\textdollar}"
        r" via the Coin Problem"
    )
    text, unknown = decode_latex(title)
    assert str(text) == "Theorem for AC⁰[⊕] via the Coin Problem" and unknown == []
    assert any(isinstance(n, Math) for n in text.nodes)
    # dollars around plain text stay dollars; an escaped command outside the whitelist stays out
    assert decode_latex(r"costs {\textdollar}5 and {\textdollar}10")[0] == "costs $5 and $10"
    evil, unknown = decode_latex(r"{\textdollar}{\textbackslash}input\{/etc/passwd\}{\textdollar}")
    assert "input" in unknown and "\\" not in str(evil)
