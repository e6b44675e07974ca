"""Unit tests of the render, engine and publish stages."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cv_builder.typeset import engine as engines
from cv_builder.typeset import latex
from cv_builder.build import load_model
from cv_builder.errors import EngineError, Report
from cv_builder.model.load import parse_yaml
from cv_builder.model.cv import build
from cv_builder.publish.atomic import atomic_write
from cv_builder.publish.files import publish
from cv_builder.typeset.render import TemplateError, make_environment, render

ROOT = Path(__file__).resolve().parent.parent


def env(tmp_path, source):
    (tmp_path / "t.tex").write_text(source, encoding="utf-8")
    return make_environment(latex.PDFLATEX, Report(), [tmp_path]).get_template("t.tex")


def test_every_printed_value_is_escaped(tmp_path):
    cv = build(parse_yaml("person:\n  name: '\\input{/etc/passwd} 50% R&D'\nsections: []\n", "cv.yaml"), "cv.yaml")
    out = env(tmp_path, r"\VAR{person.name}").render(person=cv.person)
    assert "\\input{" not in out
    assert r"\textbackslash{}input\{/etc/passwd\} 50\% R\&D" in out


def test_text_fields_get_safe_markup(tmp_path):
    cv = build(parse_yaml("person:\n  name: x\n  affiliation: '**Lab** of [A_B](https://a.org/x_y) 2*3*4'\n"
                          "sections: []\n", "cv.yaml"), "cv.yaml")
    out = env(tmp_path, r"\VAR{p.affiliation}").render(p=cv.person)
    assert r"\textbf{Lab}" in out and r"\cvhref{<68747470733A2F2F612E6F72672F785F79>}{A\_B}" in out and "2*3*4" in out.replace("{*}", "*")


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
        render(load_model(ROOT / "data" / "cv.yaml", Report())[0], {}, latex.PDFLATEX, Report(), "pdflatex",
               template_dir=tmp_path)


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
    order = [tex.index(f"\\section*{{{t}}}") for t in
             ("Research Interests", "Education", "Experience", "Publications", "Invited Talks", "Service",
              "Teaching", "Awards")]
    assert order == sorted(order)
    assert "News" not in tex
    title = "Heming Xia – Curriculum Vitae".encode("utf-16-be").hex().upper()
    assert f"/Title <FEFF{title}>" in tex


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


def test_first_error_is_parsed_from_the_log():
    log = "junk\n./cv.tex:12: Undefined control sequence.\nl.12 \\foo\n"
    assert engines.first_error(log) == ("./cv.tex", 12, "Undefined control sequence.")


def test_engine_fatal_errors_are_named():
    log = ("x\n\n!pdfTeX error: /opt/tinytex/bin/x86_64-linux/pdflatex (file cmr10.pfb): cannot open \n"
           "Type 1 font file for reading\n ==> Fatal error occurred, no output PDF file produced!\n")
    assert engines.first_error(log)[2] == ("pdfTeX error: /opt/tinytex/bin/x86_64-linux/pdflatex (file cmr10.pfb): "
                                           "cannot open Type 1 font file for reading")


def test_sandbox_environment():
    os.environ["TEXMFOUTPUT"] = "/tmp"
    try:
        env_ = engines.sandbox_env()
    finally:
        del os.environ["TEXMFOUTPUT"]
    assert "TEXMFOUTPUT" not in env_
    assert env_["openin_any"] == "p" and env_["openout_any"] == "p"


def pdflatex():
    path = shutil.which("pdflatex")
    if path:
        return engines.Engine("pdflatex", path)
    emb = engines.embedded_pdflatex()
    if emb:
        return engines.Engine("pdflatex", emb, embedded=True)
    pytest.skip("no pdflatex")


def run_doc(tmp_path, body, timeout=20.0):
    # lmodern: the embedded TinyTeX has no Type 1 Computer Modern (cmr10.pfb)
    (tmp_path / "cv.tex").write_text("\\documentclass{article}\\usepackage[T1]{fontenc}\\usepackage{lmodern}"
                                     "\\begin{document}" + body + "\\end{document}\n")
    return engines.run(pdflatex(), tmp_path, timeout=timeout)


def test_engine_runs_and_counts_pages(tmp_path):
    result = run_doc(tmp_path, "Hello\\newpage World")
    assert result.pages == 2 and result.pdf.is_file()


def test_one_pass_when_the_aux_holds_nothing_to_read_back(tmp_path):
    result = run_doc(tmp_path, "Hello\\newpage World")
    assert result.passes == 1


def test_references_get_the_passes_they_need(tmp_path):
    result = run_doc(tmp_path, "See page \\pageref{end}.\\newpage\\newpage Here\\label{end}")
    assert result.passes == 2
    from pypdf import PdfReader

    text = PdfReader(str(result.pdf)).pages[0].extract_text()
    assert "See page 2." in text and "??" not in text


def test_aux_state_ignores_set_up_lines_only(tmp_path):
    aux = tmp_path / "x.aux"
    assert engines.aux_state(aux) == ""
    aux.write_text("\\relax \n\\providecommand\\hyper@newdestlabel[2]{}\n"
                   "\\providecommand\\HyperFirstAtBeginDocument{\\AtBeginDocument}\n"
                   "\\HyperFirstAtBeginDocument{\\ifx\\hyper@anchor\\@undefined\n\\global\\let\\oldnewlabel\\newlabel\n"
                   "\\fi}\n\\global\\let\\hyper@last\\relax \n\\gdef\\HyperFirstAtBeginDocument#1{#1}\n"
                   "\\gdef \\@abspage@last{2}\n")
    assert engines.aux_state(aux) == ""
    aux.write_text(aux.read_text() + "\\newlabel{LastPage}{{}{2}}\n\\@writefile{toc}{x}\n")
    assert engines.aux_state(aux) == "\\newlabel{LastPage}{{}{2}}\n\\@writefile{toc}{x}"


def test_engine_failure_shows_the_line(tmp_path):
    with pytest.raises(EngineError) as info:
        run_doc(tmp_path, "\n\\undefinedmacro\n")
    assert "Undefined control sequence" in str(info.value) and "line" in str(info.value)


def test_endless_loop_is_stopped_by_the_timeout(tmp_path):
    with pytest.raises(EngineError) as info:
        run_doc(tmp_path, "\\def\\x{\\x}\\x", timeout=2)
    assert "did not finish within 2 s" in str(info.value)


def test_sandbox_blocks_reading_absolute_paths(tmp_path):
    with pytest.raises(EngineError):
        run_doc(tmp_path, "\\input{/etc/hostname}")


def test_shell_escape_is_off(tmp_path):
    run_doc(tmp_path, "\\immediate\\write18{touch pwned}ok")
    assert not (tmp_path / "pwned").exists()


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "cv.pdf"
    target.write_bytes(b"old")

    def boom(*a):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["cv.pdf"]


def test_publish_writes_all_files(tmp_path):
    publish({tmp_path / "cv.pdf": b"%PDF", tmp_path / "cv.tex": b"\\doc"})
    assert (tmp_path / "cv.pdf").read_bytes() == b"%PDF" and (tmp_path / "cv.tex").read_bytes() == b"\\doc"


def test_publish_is_all_or_nothing_when_one_file_cannot_be_written(tmp_path, monkeypatch):
    import cv_builder.publish.files as pub
    from cv_builder.errors import CVError

    files = {tmp_path / f"f{i}.txt": f"new {i}".encode() for i in range(12)}  # more files than threads
    for path in files:
        path.write_bytes(b"old")
    real = pub._stage

    def stage(path, data, sync=True):
        if path.name == "f9.txt":
            raise OSError(28, "No space left on device")
        return real(path, data, sync)

    monkeypatch.setattr(pub, "_stage", stage)
    with pytest.raises(CVError, match="No space left on device"):
        publish(files)
    assert all(path.read_bytes() == b"old" for path in files)  # none replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([p.name for p in files] + [".cv_builder.lock"])
    monkeypatch.setattr(pub, "_stage", real)
    publish(files)
    assert all(path.read_bytes() == data for path, data in files.items())


def test_publish_interrupted_while_staging_leaves_old_files_and_no_temporaries(tmp_path, monkeypatch):
    import cv_builder.publish.files as pub

    files = {tmp_path / f"f{i}.txt": f"new {i}".encode() for i in range(12)}  # more files than threads
    for path in files:
        path.write_bytes(b"old")
    real = pub._stage

    def stage(path, data, sync=True):  # Ctrl-C arrives while the files are being staged
        if path.name == "f5.txt":
            raise KeyboardInterrupt
        return real(path, data, sync)

    monkeypatch.setattr(pub, "_stage", stage)
    with pytest.raises(KeyboardInterrupt):
        publish(files)
    assert all(path.read_bytes() == b"old" for path in files)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([p.name for p in files] + [".cv_builder.lock"])


def test_split_begin_keeps_line_numbers_and_adds_no_paragraph():
    from cv_builder.incremental.cache import split_begin

    body = "%\n%\n\\hypersetup{x}\\begin{document}\nHello\n\\end{document}"
    begin, rest = split_begin(body)
    assert begin == "%\n%\n\\hypersetup{x}\\begin{document}\n"
    assert rest.split("\n") == ["%", "%", "%", "Hello", "\\end{document}"]  # not an empty line: a \par
    begin, rest = split_begin("\\begin{document}\\section*{A}\nB")
    assert (begin, rest) == ("\\begin{document}\n", "\\section*{A}\nB")
    assert split_begin("no document here") is None
    # one in a comment is not the document's beginning (an escaped \\% is no comment)
    head = "\\documentclass{article}\n% before \\begin{document}, hyperref\n50\\% \\begin{document}\nA"
    assert split_begin(head) == (head[:head.rindex("\n") + 1], "%\n%\n%\nA")


@pytest.mark.engine
@pytest.mark.skipif(not engines.Waiting.supported(), reason="named pipes: Linux only")
def test_waiting_engine_begins_the_document_then_runs_the_rest_or_puts_the_aux_back(tmp_path):
    import time

    head = "\\documentclass{article}\\usepackage[T1]{fontenc}\\usepackage{lmodern}\\begin{document}"
    old_aux = "\\relax\n\\newlabel{x}{{1}{1}}\n"
    (tmp_path / "cv.aux").write_text(old_aux)
    waiting = engines.Waiting(pdflatex(), tmp_path, None, begin=head + "\n")
    for _ in range(400):  # \begin{document} has rewritten the .aux
        if (tmp_path / "cv.aux").read_text() != old_aux:
            break
        time.sleep(0.025)
    else:
        raise AssertionError("the engine did not begin the document")
    waiting.cancel()
    assert (tmp_path / "cv.aux").read_text() == old_aux

    waiting = engines.Waiting(pdflatex(), tmp_path, None, begin=head + "\n")
    body = "See page \\pageref{x}.\\label{x}\\end{document}\n"
    (tmp_path / "cv-rest.tex").write_text("%\n" + body)
    (tmp_path / "cv.tex").write_text(head + "\n" + body)  # what a second pass reads
    result = engines.run(pdflatex(), tmp_path, waiting=waiting)
    assert result.ahead
    assert "See page 1." in __import__("pypdf").PdfReader(str(result.pdf)).pages[0].extract_text()


@pytest.mark.engine
def test_meanwhile_runs_once_while_the_first_pass_runs(tmp_path):
    calls = []
    (tmp_path / "cv.tex").write_text("\\documentclass{article}\\usepackage[T1]{fontenc}\\usepackage{lmodern}"
                                     "\\begin{document}See page \\pageref{end}.\\newpage Here\\label{end}"
                                     "\\end{document}\n")
    result = engines.run(pdflatex(), tmp_path, meanwhile=lambda: calls.append(_no_pdf_yet(tmp_path)))
    assert result.passes == 2 and calls == [True]  # once, before the first pass had written its PDF


def _no_pdf_yet(where: Path) -> bool:
    return not (where / "cv.pdf").exists()


@pytest.mark.engine
def test_an_error_in_meanwhile_stops_the_engine(tmp_path):
    from test_hardening import _processes_mentioning

    (tmp_path / "cv.tex").write_text("\\documentclass{article}\\begin{document}x\\end{document}\n")

    def boom() -> None:
        raise RuntimeError("meanwhile failed")

    with pytest.raises(RuntimeError, match="meanwhile failed"):
        engines.run(pdflatex(), tmp_path, meanwhile=boom)
    assert not _processes_mentioning(str(tmp_path))
