"""Publications end to end: an al-folio .bib builds unchanged into a PDF with the features a committee reads."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import ENGINE_MODES, PDF, SENTINEL, norm, run_cli, squash

HERE = Path(__file__).resolve().parents[1]  # tests/

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


# --------------------------------------------------------------------------
# An imperfect .bib, as real exports are (issue 19): it builds, every titled entry is listed


IMPERFECT_CV = """\
person:
  name: Sean Crowell
publications:
  owner: [Sean Crowell]
  pdf_base_url: https://crowell.example.org/assets/pdf/
sections:
  - title: Publications
    kind: publications
    group: year
"""

# What Scholar, Zotero, al-folio and DBLP exports hold: no year, a web page without
# authors, a key given twice (once identical, once not), names with initials and
# commas instead of `and`, an arXiv field and a relative pdf, a publisher ending in a
# comma, an edited proceedings volume, `in press` and biblatex dates.
IMPERFECT_BIB = r"""
@article{crowell2019band,
  author = {Sean MR Crowell and Paul Palmer},
  title = {Carbon Flux Inversions in Band Two},
  journal = {Band 2},
  year = {2019}
}

@article{crowell2019band,
  author = {Sean MR Crowell and Paul Palmer},
  title = {Carbon Flux Inversions in Band Two},
  journal = {Band 2},
  year = {2019}
}

@inproceedings{crowell2020dup,
  author = {Crowell, Sean M. R.},
  title = {First Version of a Duplicated Key},
  booktitle = {AGU Fall Meeting},
  year = {2020}
}

@inproceedings{crowell2020dup,
  author = {Crowell, S. M.},
  title = {Second Version of a Duplicated Key},
  booktitle = {EGU General Assembly},
  year = {2020}
}

@article{crowell2023undated,
  author = {Crowell, Sean},
  title = {An Exported Paper Without a Year},
  journal = {Atmospheric Chemistry and Physics}
}

@misc{oco2website,
  title = {The Orbiting Carbon Observatory Web Page},
  url = {https://oco.example.org/mission},
  year = {2021}
}

@article{crowell2022commas,
  author = {Jane Doe, Ulugbek Kamilov, Sean Crowell},
  title = {Authors Written With Commas},
  journal = {IEEE Trans. on Circuits and Systems},
  year = {2016}
}

@inproceedings{crowell2024alfolio,
  author = {Crowell, Sean},
  title = {An al-folio Entry With Only an arXiv Field},
  booktitle = {ICLR},
  abbr = {ICLR},
  arxiv = {2401.01234},
  pdf = {crowell2024alfolio.pdf},
  year = {2024}
}

@book{crowell1956book,
  author = {Crowell, Sean},
  title = {A Reprinted Classic},
  publisher = {Courier Corporation,},
  year = {1956}
}

@inproceedings{crowell2022workshop,
  author = {Crowell, Sean and Palmer, Paul},
  title = {A Paper in the Edited Volume},
  crossref = {carbon2022},
  pages = {1--9}
}

@proceedings{carbon2022,
  editor = {Crowell, Sean and Palmer, Paul},
  title = {Proceedings of the Carbon Workshop},
  year = {2022}
}

@article{crowell2025press,
  author = {Crowell, Sean},
  title = {A Paper in Press},
  journal = {Nature Climate Change},
  year = {in press}
}

@article{crowell2021march,
  author = {Crowell, Sean},
  title = {A Biblatex Dated Paper},
  journaltitle = {Remote Sensing},
  date = {2021-03}
}

@misc{notitle,
  author = {Crowell, Sean},
  year = {2020}
}
"""

IMPERFECT_TITLES = [
    "Carbon Flux Inversions in Band Two",
    "First Version of a Duplicated Key",
    "Second Version of a Duplicated Key",
    "An Exported Paper Without a Year",
    "The Orbiting Carbon Observatory Web Page",
    "Authors Written With Commas",
    "An al-folio Entry With Only an arXiv Field",
    "A Reprinted Classic",
    "A Paper in the Edited Volume",
    "Proceedings of the Carbon Workshop",
    "A Paper in Press",
    "A Biblatex Dated Paper",
]


@pytest.fixture
def imperfect(tmp_path):
    (tmp_path / "cv.yaml").write_text(IMPERFECT_CV, encoding="utf-8")
    (tmp_path / "publications.bib").write_text(IMPERFECT_BIB, encoding="utf-8")
    out = tmp_path / "out" / "cv.pdf"
    out.parent.mkdir()
    return tmp_path / "cv.yaml", out


def test_imperfect_bib_builds_with_located_warnings_and_lists_every_titled_entry(imperfect):
    cv, out = imperfect
    proc = run_cli("--data", "cv.yaml", "-o", "out/cv.pdf", "--engine", "pdflatex", "--no-cache", cwd=cv.parent)
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr
    assert "Traceback" not in err
    warnings = [line for line in err.splitlines() if line.startswith("warning: publications.bib:")]
    for line, key, what in [
        (9, "crowell2019band", "identical, so it is listed once"),
        (23, "crowell2020dup", "both are listed, this one as 'crowell2020dup-2'"),
        (30, "crowell2023undated", "no year; listed undated"),
        (36, "oco2website", "no author (or editor); listed without authors"),
        (42, "crowell2022commas", "read as 3 names: Jane Doe; Ulugbek Kamilov; Sean Crowell"),
        (93, "notitle", "no title"),
    ]:
        assert any(w.startswith(f"warning: publications.bib:{line}: {key}: ") and what in w for w in warnings), (
            line,
            key,
            err,
        )
    assert re.search(r"publications\.bib: 13 entries, 12 listed, 6 warnings \(1 without a title\)", err), err
    pdf = PDF(out)
    text, flat = norm(pdf.text), squash(pdf.text)
    for title in IMPERFECT_TITLES:
        assert squash(title) in flat, title
    assert flat.count(squash("Carbon Flux Inversions in Band Two")) == 1  # the identical copy is merged
    assert flat.count(squash("Proceedings of the Carbon Workshop")) == 2  # the volume, and the paper's venue
    # owner bold with middle initials, and only the owner
    bold = norm(pdf.bold_text())
    for name in ("Sean MR Crowell", "Sean M. R. Crowell", "S. M. Crowell", "Sean Crowell"):
        assert name in bold, (name, bold)
    assert "Palmer" not in bold and "Jane Doe" not in bold
    assert "Jane Doe, Ulugbek Kamilov, Sean Crowell" in text
    # one punctuation rule: a separator before the year, never doubled
    assert "Band 2, 2019" in text and "Courier Corporation, 1956" in text and ",," not in text
    assert "IEEE Trans. on Circuits and Systems, 2016" in text and "ICLR 2024" in text
    assert (
        "Edited volume, 2022" in text and "Nature Climate Change, in press" in text and "Remote Sensing, 2021" in text
    )
    # in press first, the undated last
    order = [
        flat.index(squash(t))
        for t in (
            "A Paper in Press",
            "An al-folio Entry",
            "A Biblatex Dated Paper",
            "A Reprinted Classic",
            "An Exported Paper Without a Year",
        )
    ]
    assert order == sorted(order)
    assert text.index("In press") < text.index("2024") and "Undated" in text
    # al-folio links: arxiv, and the relative pdf under pdf_base_url
    assert "https://arxiv.org/abs/2401.01234" in pdf.uris
    assert "https://crowell.example.org/assets/pdf/crowell2024alfolio.pdf" in pdf.uris
    # the homepage list says the same
    md = (out.parent / "publications.md").read_text(encoding="utf-8")
    assert "Band 2, 2019" in md and "Courier Corporation, 1956" in md and ",," not in md
    assert "**Sean MR Crowell**" in md


def test_imperfect_bib_fails_with_strict_and_leaves_the_pdf(imperfect):
    cv, out = imperfect
    out.write_bytes(SENTINEL)
    proc = run_cli("--data", "cv.yaml", "-o", "out/cv.pdf", "--engine", "pdflatex", "--strict", cwd=cv.parent)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert out.read_bytes() == SENTINEL
    errors = re.findall(r"^error: publications\.bib:(\d+): entry '(\w+)'", proc.stderr, re.M)
    assert errors == [
        ("9", "crowell2019band"),
        ("23", "crowell2020dup"),
        ("30", "crowell2023undated"),
        ("36", "oco2website"),
        ("42", "crowell2022commas"),
        ("93", "notitle"),
    ], proc.stderr
    check = run_cli("check", "--data", "cv.yaml", "--strict", cwd=cv.parent)
    assert check.returncode == 1 and "entry 'crowell2023undated' has no year" in check.stderr
    lenient = run_cli("check", "--data", "cv.yaml", cwd=cv.parent)
    assert lenient.returncode == 0 and "13 entries, 12 listed, 6 warnings" in lenient.stderr


@pytest.mark.parametrize("theme", ["classic", "modern", "compact"])
def test_imperfect_bib_punctuation_in_every_theme(imperfect, theme):
    cv, out = imperfect
    proc = run_cli("--data", "cv.yaml", "-o", "out/cv.pdf", "--engine", "pdflatex", "--theme", theme, cwd=cv.parent)
    assert proc.returncode == 0, proc.stderr
    text = norm(PDF(out).pdftotext())
    assert "Band 2, 2019" in text and "Courier Corporation, 1956" in text and "ICLR 2024" in text
    assert not re.search(r"[,.]\s*[,.]", text.replace("Trans. on", "").replace("S. M.", "").replace("M. R.", "")), text
