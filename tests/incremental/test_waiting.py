"""The engine started ahead (incremental/waiting.py): it begins the document, then runs the rest."""

from __future__ import annotations

import shutil
import time

import pypdf
import pytest

from cv_builder.incremental.waiting import Waiting
from cv_builder.typeset import engine as engines


def pdflatex() -> engines.Engine:
    path = shutil.which("pdflatex")
    if path:
        return engines.Engine("pdflatex", path)
    emb = engines.embedded_pdflatex()
    if emb:
        return engines.Engine("pdflatex", emb, embedded=True)
    pytest.skip("no pdflatex")


@pytest.mark.engine
@pytest.mark.skipif(not Waiting.supported(), reason="named pipes: Linux only")
def test_waiting_engine_begins_the_document_then_runs_the_rest_or_puts_the_aux_back(tmp_path):
    head = "\\documentclass{article}\\usepackage[T1]{fontenc}\\usepackage{lmodern}\\begin{document}"
    old_aux = "\\relax\n\\newlabel{x}{{1}{1}}\n"
    (tmp_path / "cv.aux").write_text(old_aux)
    waiting = Waiting(pdflatex(), tmp_path, None, begin=head + "\n")
    for _ in range(400):  # \begin{document} has rewritten the .aux
        if (tmp_path / "cv.aux").read_text() != old_aux:
            break
        time.sleep(0.025)
    else:
        raise AssertionError("the engine did not begin the document")
    waiting.cancel()
    assert (tmp_path / "cv.aux").read_text() == old_aux

    waiting = Waiting(pdflatex(), tmp_path, None, begin=head + "\n")
    body = "See page \\pageref{x}.\\label{x}\\end{document}\n"
    (tmp_path / "cv-rest.tex").write_text("%\n" + body)
    (tmp_path / "cv.tex").write_text(head + "\n" + body)  # what a second pass reads
    result = engines.run(pdflatex(), tmp_path, waiting=waiting)
    assert result.ahead
    assert "See page 1." in pypdf.PdfReader(str(result.pdf)).pages[0].extract_text()
