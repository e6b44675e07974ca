"""Publications end to end: an al-folio .bib builds unchanged into a PDF with the features a committee reads."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import ENGINE_MODES, PDF, norm, run_cli, squash

HERE = Path(__file__).resolve().parent

CV = """\
person:
  name: Zoë Müller
  email: zoe@example.org
publications:
  owner: [Zoë Müller]
  marks:
    equal_contribution: {symbol: "*", legend: equal contribution}
sections:
  - title: Selected Publications
    kind: publications
    filter: {selected: true}
    numbering: plain
  - title: All Publications
    kind: publications
    group: category
    numbering: category
    counts: true
"""


@pytest.mark.parametrize("mode", ENGINE_MODES)
def test_alfolio_bib_builds_unchanged(mode, tmp_path):
    shutil.copy(HERE / "data" / "alfolio.bib", tmp_path / "publications.bib")
    (tmp_path / "cv.yaml").write_text(CV, encoding="utf-8")
    out = tmp_path / "out" / "cv.pdf"
    proc = run_cli("--data", str(tmp_path / "cv.yaml"), "-o", str(out), "--engine", mode)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    pdf = PDF(out)
    text = norm(pdf.text)
    assert "Selected Publications" in text and "All Publications" in text
    # LaTeX accents decoded, protected case kept, owner in bold, * marks with a legend
    assert squash("Probing BERT for Morphology in Low-Resource Languages") in squash(pdf.text)
    assert "José García" in text and "Björn Åström" in text
    assert "Zoë Müller" in norm(pdf.bold_text())
    assert "equal contribution" in text
    assert "Outstanding Paper" in text
    # numbering and grouping
    assert "[1]" in text and "[C1]" in text
    assert "Conference Papers" in text
    assert "papers" in text and "first or co-first author" in text
    # live links from the .bib
    assert "https://github.com/zmueller/bert-morph" in pdf.uris
    assert "https://aclanthology.org/2023.acl-long.7/" in pdf.uris
