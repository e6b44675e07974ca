"""The render stage: Jinja templates print every value through the LaTeX escaping."""

from __future__ import annotations

from pathlib import Path

import pytest

from cv_builder.build import load_model
from cv_builder.errors import Report
from cv_builder.model.cv import build
from cv_builder.model.load import parse_yaml
from cv_builder.typeset import latex
from cv_builder.typeset.render import TemplateError, make_environment, render

ROOT = Path(__file__).resolve().parents[2]


def env(tmp_path, source):
    (tmp_path / "t.tex").write_text(source, encoding="utf-8")
    return make_environment(latex.PDFLATEX, Report(), [tmp_path]).get_template("t.tex")


def test_every_printed_value_is_escaped(tmp_path):
    cv = build(parse_yaml("person:\n  name: '\\input{/etc/passwd} 50% R&D'\nsections: []\n", "cv.yaml"), "cv.yaml")
    out = env(tmp_path, r"\VAR{person.name}").render(person=cv.person)
    assert "\\input{" not in out
    assert r"\textbackslash{}input\{/etc/passwd\} 50\% R\&D" in out


def test_text_fields_get_safe_markup(tmp_path):
    cv = build(
        parse_yaml(
            "person:\n  name: x\n  affiliation: '**Lab** of [A_B](https://a.org/x_y) 2*3*4'\nsections: []\n", "cv.yaml"
        ),
        "cv.yaml",
    )
    out = env(tmp_path, r"\VAR{p.affiliation}").render(p=cv.person)
    assert r"\textbf{Lab}" in out and r"\cvhref{https://a.org/x_y}{A\_B}" in out and "2*3*4" in out.replace("{*}", "*")


def test_latex_filter_takes_only_what_the_template_says(tmp_path):
    """|latex (and |safe) on anything but a literal fails when compiling, with the line:
    a value made from data by another filter (`|lower`) is data too."""
    import jinja2

    for source in (r"\VAR{p.name|latex}", r"\VAR{p.name|lower|safe}", r"\BLOCK{filter latex}x\BLOCK{endfilter}"):
        with pytest.raises(jinja2.TemplateAssertionError, match="takes LaTeX written in the template"):
            env(tmp_path, "\n" + source)
    assert env(tmp_path, r"\VAR{'\\hfill'|latex}").render() == r"\hfill"
    (tmp_path / "cv.tex").write_text("x\n\\VAR{person.name|latex}\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"cv.tex:2: \|latex takes LaTeX"):  # as the CLI shows it
        render(
            load_model(ROOT / "data" / "cv.yaml", Report())[0],
            {},
            latex.PDFLATEX,
            Report(),
            "pdflatex",
            template_dir=tmp_path,
        )


def test_template_strings_and_html_filters_mean_latex(tmp_path):
    """Jinja's autoescape is HTML: constants were HTML-escaped, folded filters left raw."""
    import jinja2

    name = "a#b & c<"
    cases = {
        r'\VAR{"R&D <x>"}': r"R\&D \textless{}x\textgreater{}",  # was R&amp;D &lt;x&gt;
        r'\VAR{"50%"|upper}': r"50\%",  # was a bare %: the rest of the line a comment
        r'\VAR{["a&b", "c"]|join(", ")}': r"a\&b, c",
        r"\VAR{n|e}\VAR{n|escape}\VAR{n|forceescape}": r"a\#b \& c\textless{}" * 3,  # was a#b &amp; c&lt;
        r'\VAR{[n, "\\relax"|latex]|join("&")}': r"a\#b \& c\textless{}\&\relax",  # was a#b &amp; c&lt;&amp;\relax
        r'\VAR{[{"a": "#"}]|join(attribute="a")}': r"\#",
        r"\BLOCK{autoescape false}\VAR{n}\BLOCK{endautoescape}": r"a\#b \& c\textless{}",
        r"\VAR{'\\hfill'|safe}": r"\hfill",  # template text, as |latex
    }
    for source, expected in cases.items():
        assert env(tmp_path, source).render(n=name) == expected, source
    cv = build(parse_yaml("person:\n  name: '#1'\nsections: []\n", "cv.yaml"), "cv.yaml")
    with pytest.raises(jinja2.TemplateAssertionError):  # |safe on data, as |latex
        env(tmp_path, r"\VAR{p.name|safe}").render(p=cv.person)
    for html_only in ("urlize", "xmlattr", "tojson"):
        with pytest.raises(jinja2.TemplateAssertionError, match=html_only):
            env(tmp_path, rf"\VAR{{p.name|{html_only}}}").render(p=cv.person)


def test_tilde_beside_a_macros_output_escapes_the_data_for_latex(tmp_path):
    """Jinja HTML-escaped the data beside Markup: '^^5c' (a backslash to TeX) and '#' got through."""
    cv = build(parse_yaml("person:\n  name: '50% R&D #1 ^^5cinput{x}'\nsections: []\n", "cv.yaml"), "cv.yaml")
    out = env(tmp_path, r"\BLOCK{macro m()}\textbf{M}\BLOCK{endmacro}\VAR{p.name ~ m()}").render(p=cv.person)
    assert out == r"50\% R\&D \#1 \textasciicircum{}\textasciicircum{}5cinput\{x\}\textbf{M}"
    # plain parts stay a plain string, as a template name needs
    assert env(tmp_path, r'\BLOCK{set t = "section_" ~ "text"}\VAR{t == "section_text"}').render() == "True"


def test_compiled_templates_shared_by_engines_keep_each_engines_escaping(tmp_path):
    """A filter on a constant is not worked out when compiling (for whichever engine came first)."""
    import jinja2

    (tmp_path / "t.tex").write_text(r'\VAR{"机 é"|e}\VAR{["机", "&"]|join}', encoding="utf-8")
    shared = jinja2.FileSystemBytecodeCache(str(tmp_path / "bc"))
    (tmp_path / "bc").mkdir()

    def rendered(target):
        import cv_builder.typeset.render as r

        r.BYTECODE_CACHE = shared
        try:
            return make_environment(target, Report(), [tmp_path]).get_template("t.tex").render()
        finally:
            r.BYTECODE_CACHE = None

    assert "cvcjk" in rendered(latex.LUALATEX)
    assert rendered(latex.PDFLATEX) == r"{\footnotesize{[}U+673A{]}} é{\footnotesize{[}U+673A{]}}\&"


def test_undefined_names_are_errors(tmp_path):
    import jinja2

    with pytest.raises(jinja2.UndefinedError):
        env(tmp_path, r"\VAR{nothing}").render()


def test_default_cv_renders_with_sections_in_order():
    report = Report()
    cv, lists = load_model(ROOT / "data" / "cv.yaml", report)
    tex = render(cv, lists, latex.PDFLATEX, report, "pdflatex").tex
    order = [
        tex.index(f"\\section*{{{t}}}")
        for t in (
            "Research Interests",
            "Education",
            "Experience",
            "Publications",
            "Invited Talks",
            "Service",
            "Teaching",
            "Awards",
        )
    ]
    assert order == sorted(order)
    assert "News" not in tex
    assert "\\cvpdfmeta{\n  title={Heming Xia – Curriculum Vitae},\n  author={Heming Xia},\n" in tex


def test_render_tells_the_head_once_while_the_rest_is_still_to_come():
    """on_head gets the document's own text up to the \\begin{document} line, exactly
    (no HTML escaping of the template's '>' or quotes), and nothing of the body."""
    report = Report()
    cv, lists = load_model(ROOT / "data" / "cv.yaml", report)
    heads: list[str] = []
    tex = render(cv, lists, latex.PDFLATEX, report, "pdflatex", on_head=heads.append).tex
    assert len(heads) == 1
    head = heads[0]
    assert tex.startswith(head) and head.endswith("\\begin{document}\n")
    assert "\\newcolumntype{L}{>{" in head and "&gt;" not in head and "&#39;" not in head
    assert "\\section*{" not in head
    assert tex == render(cv, lists, latex.PDFLATEX, report, "pdflatex").tex


def test_template_dir_shadows_a_partial(tmp_path):
    (tmp_path / "header.tex").write_text(r"\centerline{\VAR{person.name} (custom header)}", encoding="utf-8")
    report = Report()
    cv, lists = load_model(ROOT / "data" / "cv.yaml", report)
    tex = render(cv, lists, latex.PDFLATEX, report, "pdflatex", template_dir=tmp_path).tex
    assert "Heming Xia (custom header)" in tex
