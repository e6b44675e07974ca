"""--watch: rebuilds on edits, reports errors without exiting, keeps the last good PDF,
and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import PDF, ROOT, copy_data, have_system, processes_mentioning, squash

pytestmark = [pytest.mark.engine, pytest.mark.skipif(not have_system("pdflatex"), reason="no system pdflatex")]
watchfiles = pytest.importorskip("watchfiles", reason="watchfiles not installed")


class Watcher:
    def __init__(self, data: Path, out: Path):
        env = dict(os.environ, PYTHONPATH=str(ROOT), SOURCE_DATE_EPOCH="1764028800", PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cv_builder",
                "--watch",
                "--data",
                str(data),
                "-o",
                str(out),
                "--engine",
                "pdflatex",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line)

    def wait_for(self, needle: str, count: int = 1, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sum(needle in line for line in self.lines) >= count:
                return
            assert self.proc.poll() is None, "watch exited:\n" + "".join(self.lines)
            time.sleep(0.1)
        raise AssertionError(f"no {needle!r} within {timeout} s:\n" + "".join(self.lines))

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=60)
        self.reader.join(timeout=10)
        return code


def test_watch_rebuilds_reports_errors_and_stops_cleanly(tmp_path):
    data = copy_data(tmp_path)
    out = tmp_path / "output" / "cv.pdf"
    w = Watcher(data, out)
    try:
        w.wait_for("watching")
        assert "Ph.D. Student, NLP Group" in PDF(out).pdftotext()

        # an edit to the YAML shows in a rebuilt PDF
        text = data.read_text(encoding="utf-8")
        data.write_text(text.replace("position: Ph.D. Student", "position: Ph.D. Candidate", 1), encoding="utf-8")
        w.wait_for("wrote", count=2)
        assert "HemingXiaPh.D.Candidate" in squash(PDF(out).pdftotext())
        # as fast as a command-line rebuild: its engine was started ahead, while Python rendered
        assert "started ahead" in [line for line in w.lines if line.startswith("engine")][-1]
        good = out.read_bytes()

        # an edit to the .bib shows too
        bib = data.parent / "publications.bib"
        bib.write_text(
            bib.read_text(encoding="utf-8").replace("TokenSkip: Controllable", "TokenSkip: Steerable"), encoding="utf-8"
        )
        w.wait_for("wrote", count=3)
        assert "TokenSkip:Steerable" in squash(PDF(out).pdftotext())
        good = out.read_bytes()

        # a mistake: a located error, the watcher goes on, the last good PDF stays
        data.write_text(
            data.read_text(encoding="utf-8").replace("  font_size: 10pt", "  font_size: huge", 1), encoding="utf-8"
        )
        w.wait_for("error: ")
        assert w.proc.poll() is None
        error = next(line for line in w.lines if line.startswith("error: "))
        assert "cv.yaml:" in error and "font_size" in error
        assert out.read_bytes() == good

        assert not processes_mentioning(str(out.parent / ".cache" / "work")), "an engine started ahead was left"

        # fixing it builds again
        data.write_text(
            data.read_text(encoding="utf-8").replace("  font_size: huge", "  font_size: 11pt", 1), encoding="utf-8"
        )
        w.wait_for("wrote", count=4)
        assert out.read_bytes() != good
    finally:
        code = w.stop()
    log = "".join(w.lines)
    assert code in (0, 130), log
    assert "Traceback" not in log
    assert "stopped watching" in log
