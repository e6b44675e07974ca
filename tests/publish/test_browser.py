"""A real browser: the example site, filled by --site, served over HTTP and read by headless Chromium."""

from __future__ import annotations

import functools
import http.server
import io
import os
import re
import shutil
import threading
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, copy_data, run_cli

CHROMIUM = os.environ.get("CV_BUILDER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "output" / "test-artifacts"


def _why_not() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    if not Path(CHROMIUM).is_file():
        return "Chromium is not installed (Debian: apt install chromium)"
    return ""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served(tmp_path):
    """tmp_path over HTTP on 127.0.0.1 (a free port), in a thread."""
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.engine
@pytest.mark.skipif(bool(_why_not()), reason=_why_not() or "ok")
def test_homepage_in_chromium_shows_the_link_and_the_list_and_the_link_serves_the_pdf(tmp_path, served):
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    copy_data(tmp_path)
    shutil.copytree(ROOT / "site", tmp_path / "site")
    proc = run_cli("-q", "--engine", "pdflatex", "--site", "site/index.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr

    with sync_playwright() as p:
        # Debian's Chromium; Playwright's own browser downloads are never used.
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"] if os.geteuid() == 0 else []
        )
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1400})
            response = page.goto(f"{served}/site/index.html")
            assert response is not None and response.status == 200
            link = page.locator("a.cv-link")
            assert link.count() == 1
            text = link.inner_text()
            assert text == "CV (PDF, 2 pages, updated 2025-11-25)"
            body = page.locator("body").inner_text()
            assert f"Please check my {text} for further information." in body
            items = page.locator("li.cv-pub")
            assert items.count() == 17
            first = items.nth(0)
            assert (
                first.locator(".cv-pub-title").inner_text()
                == "TokenSkip: Controllable Chain-of-Thought Compression in LLMs"
            )
            assert first.locator("strong.cv-owner").inner_text() == "Heming Xia"
            weight = first.locator("strong.cv-owner").evaluate("e => getComputedStyle(e).fontWeight")
            assert int(weight) >= 600  # shown bold, as in the PDF
            assert "* equal contribution" in page.locator(".cv-pub-legend").inner_text().replace("\xa0", " ")
            href = link.evaluate("a => a.href")  # resolved by the browser against the page's URL
            assert href == f"{served}/output/cv.pdf"
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / "homepage.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
            pdf_response = page.request.get(href)
            assert pdf_response.status == 200
            assert pdf_response.headers["content-type"] == "application/pdf"
            data = pdf_response.body()
        finally:
            browser.close()
    assert data.startswith(b"%PDF-") and data == (tmp_path / "output/cv.pdf").read_bytes()
    stated = int(re.search(r"PDF, (\d+) pages?,", text).group(1))
    assert len(PdfReader(io.BytesIO(data)).pages) == stated == 2
    with urllib.request.urlopen(href) as r:  # and outside the browser, too
        assert r.status == 200 and r.read() == data
    assert shot.stat().st_size > 10_000
