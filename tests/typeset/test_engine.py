"""The TeX engine: runs, passes, failures, the sandbox; the engine started ahead."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import processes_mentioning

from cv_builder.errors import EngineError
from cv_builder.typeset import engine as engines


def test_first_error_is_parsed_from_the_log():
    log = "junk\n./cv.tex:12: Undefined control sequence.\nl.12 \\foo\n"
    assert engines.first_error(log) == ("./cv.tex", 12, "Undefined control sequence.")


def test_engine_fatal_errors_are_named():
    log = (
        "x\n\n!pdfTeX error: /opt/tinytex/bin/x86_64-linux/pdflatex (file cmr10.pfb): cannot open \n"
        "Type 1 font file for reading\n ==> Fatal error occurred, no output PDF file produced!\n"
    )
    assert engines.first_error(log)[2] == (
        "pdfTeX error: /opt/tinytex/bin/x86_64-linux/pdflatex (file cmr10.pfb): "
        "cannot open Type 1 font file for reading"
    )


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
    (tmp_path / "cv.tex").write_text(
        "\\documentclass{article}\\usepackage[T1]{fontenc}\\usepackage{lmodern}"
        "\\begin{document}" + body + "\\end{document}\n"
    )
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
    aux.write_text(
        "\\relax \n\\providecommand\\hyper@newdestlabel[2]{}\n"
        "\\providecommand\\HyperFirstAtBeginDocument{\\AtBeginDocument}\n"
        "\\HyperFirstAtBeginDocument{\\ifx\\hyper@anchor\\@undefined\n\\global\\let\\oldnewlabel\\newlabel\n"
        "\\fi}\n\\global\\let\\hyper@last\\relax \n\\gdef\\HyperFirstAtBeginDocument#1{#1}\n"
        "\\gdef \\@abspage@last{2}\n"
    )
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


def test_split_begin_keeps_line_numbers_and_adds_no_paragraph():
    from cv_builder.incremental.formats import split_begin

    body = "%\n%\n\\hypersetup{x}\\begin{document}\nHello\n\\end{document}"
    begin, rest = split_begin(body)
    assert begin == "%\n%\n\\hypersetup{x}\\begin{document}\n"
    assert rest.split("\n") == ["%", "%", "%", "Hello", "\\end{document}"]  # not an empty line: a \par
    begin, rest = split_begin("\\begin{document}\\section*{A}\nB")
    assert (begin, rest) == ("\\begin{document}\n", "\\section*{A}\nB")
    assert split_begin("no document here") is None
    # one in a comment is not the document's beginning (an escaped \\% is no comment)
    head = "\\documentclass{article}\n% before \\begin{document}, hyperref\n50\\% \\begin{document}\nA"
    assert split_begin(head) == (head[: head.rindex("\n") + 1], "%\n%\n%\nA")


@pytest.mark.engine
def test_meanwhile_runs_once_while_the_first_pass_runs(tmp_path):
    calls = []
    (tmp_path / "cv.tex").write_text(
        "\\documentclass{article}\\usepackage[T1]{fontenc}\\usepackage{lmodern}"
        "\\begin{document}See page \\pageref{end}.\\newpage Here\\label{end}"
        "\\end{document}\n"
    )
    result = engines.run(pdflatex(), tmp_path, meanwhile=lambda: calls.append(_no_pdf_yet(tmp_path)))
    assert result.passes == 2 and calls == [True]  # once, before the first pass had written its PDF


def _no_pdf_yet(where: Path) -> bool:
    return not (where / "cv.pdf").exists()


@pytest.mark.engine
def test_an_error_in_meanwhile_stops_the_engine(tmp_path):

    (tmp_path / "cv.tex").write_text("\\documentclass{article}\\begin{document}x\\end{document}\n")

    def boom() -> None:
        raise RuntimeError("meanwhile failed")

    with pytest.raises(RuntimeError, match="meanwhile failed"):
        engines.run(pdflatex(), tmp_path, meanwhile=boom)
    assert not processes_mentioning(str(tmp_path))
