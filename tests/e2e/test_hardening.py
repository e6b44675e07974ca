"""Hostile and broken input: the sandboxed engine, injection in every field, nothing lost.

Each test drives the real CLI (or the stage it is about) and checks what a user
would see: the exit code, one clear message, the PDF's text, and that nothing was
read, written or left behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from conftest import ENGINE_MODES, PDF, ROOT, SENTINEL, copy_data, norm, processes_mentioning, run_cli, squash


def header(tmp_path: Path, body: str) -> Path:
    """A --template-dir whose header.tex is `body` (a user's own, possibly hostile, template)."""
    d = tmp_path / f"tpl-{uuid.uuid4().hex[:6]}"
    d.mkdir()
    (d / "header.tex").write_text(body + "\n\\section*{\\VAR{person.name}}\n", encoding="utf-8")
    return d


# ---------------------------------------------------------------------------
# Template tricks are stopped by the engine settings, on every engine
# ---------------------------------------------------------------------------
@pytest.mark.engine
@pytest.mark.parametrize("mode", ENGINE_MODES)
def test_template_cannot_read_absolute_paths(mode, workspace, tmp_path):
    cv, out = workspace
    for trick in (
        r"\input{/etc/passwd}",
        r"\newread\cvr\openin\cvr=/etc/passwd \read\cvr to\cvline \cvline\closein\cvr",
        r"\input{../../../../../../etc/passwd}",
    ):
        proc = run_cli(
            "--engine", mode, "--data", str(cv), "-o", str(out), "--template-dir", str(header(tmp_path, trick))
        )
        assert "root:" not in proc.stderr, trick
        assert "Traceback" not in proc.stderr
        if proc.returncode == 0:  # \openin of a refused file reads nothing: the PDF must not hold it
            assert "root:" not in PDF(out).text
        else:
            assert proc.returncode == 3, proc.stderr
            assert out.read_bytes() == SENTINEL
            assert "error:" in proc.stderr and "written by the template at" in proc.stderr


@pytest.mark.engine
@pytest.mark.parametrize("mode", ENGINE_MODES)
def test_template_cannot_run_commands_or_write_outside(mode, workspace, tmp_path):
    cv, out = workspace
    mark = f"/tmp/cv_builder-pwned-{uuid.uuid4().hex}"
    tricks = [
        rf"\immediate\write18{{touch {mark}-a}}",
        rf"\newwrite\cvw\immediate\openout\cvw={mark}-b.tex \immediate\write\cvw{{x}}\immediate\closeout\cvw",
        r"\newwrite\cvw\immediate\openout\cvw=../cv_builder-up.tex \immediate\write\cvw{x}\immediate\closeout\cvw",
        r"\newwrite\cvw\immediate\openout\cvw=.hidden.tex \immediate\write\cvw{x}\immediate\closeout\cvw",
    ]
    for trick in tricks:
        proc = run_cli(
            "--engine", mode, "--data", str(cv), "-o", str(out), "--template-dir", str(header(tmp_path, trick))
        )
        assert "Traceback" not in proc.stderr
        assert proc.returncode in (0, 3), proc.stderr
    assert not list(Path("/tmp").glob(Path(mark).name + "*"))
    assert not (Path("/tmp") / "cv_builder-up.tex").exists()
    assert not (Path(tempfile.gettempdir()) / "cv_builder-up.tex").exists()


@pytest.mark.engine
@pytest.mark.parametrize("mode", ENGINE_MODES)
def test_endless_loop_in_a_template_is_stopped(mode, workspace, tmp_path):
    cv, out = workspace
    start = time.monotonic()
    proc = run_cli(
        "--engine",
        mode,
        "--data",
        str(cv),
        "-o",
        str(out),
        "--timeout",
        "3",
        "--template-dir",
        str(header(tmp_path, r"\def\x{\x}\x")),
    )
    assert proc.returncode == 3, proc.stderr
    assert "did not finish within 3 s" in proc.stderr and "--timeout" in proc.stderr
    assert time.monotonic() - start < 60
    assert out.read_bytes() == SENTINEL


@pytest.mark.engine
def test_a_log_flood_is_capped(tmp_path):
    from cv_builder.errors import EngineError
    from cv_builder.typeset import engine as engines

    eng = engines.find_engine("pdflatex")
    (tmp_path / "cv.tex").write_text(
        "\\documentclass{article}\\begin{document}\\loop\\message{" + "x" * 200 + "}\\iftrue\\repeat\\end{document}\n"
    )
    with pytest.raises(EngineError) as info:
        engines.run(eng, tmp_path, timeout=60, max_bytes=2 * 2**20)
    assert "wrote more than 2 MiB" in str(info.value)


@pytest.mark.engine
def test_tex_error_names_the_data_and_the_template(workspace, tmp_path):
    cv, out = workspace
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    (tpl / "header.tex").write_text("\\begin{center}\n{\\Huge \\VAR{person.name}}\\brokenmacro\n\\end{center}\n")
    proc = run_cli("--engine", "pdflatex", "--data", str(cv), "-o", str(out), "--template-dir", str(tpl))
    assert proc.returncode == 3
    assert "Undefined control sequence" in proc.stderr
    assert re.search(r"that text comes from .*cv\.yaml:10:9: person\.name", proc.stderr), proc.stderr
    assert re.search(r"written by the template at .*tpl/header\.tex:2", proc.stderr), proc.stderr
    assert "Traceback" not in proc.stderr and out.read_bytes() == SENTINEL


# ---------------------------------------------------------------------------
# Injection in every kind of field: typeset as text, never run
# ---------------------------------------------------------------------------
ATTACKS = [
    r"\input{/etc/passwd}",
    r"\include{/etc/passwd}",
    r"\newread\r\openin\r=/etc/passwd \read\r to\x \x",
    r"\immediate\write18{touch /tmp/cvpwn}",
    r"\catcode`\{=12 \catcode`\%=12",
    r"^^5cinput{/etc/passwd}",
    r"\csname input\endcsname{/etc/passwd}",
    r"\directlua{os.execute('touch /tmp/cvpwn')}",
    r"\def\x{\x}\x",
    r"\usepackage{shellesc}",
    r"\special{ps: (x) run}",
    r"\pdffiledump length 100{/etc/passwd}",
    r"}{\bf \input{/etc/passwd}",
    "＼input｛/etc/passwd｝",
]


def _yaml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def injected_data(tmp_path: Path) -> tuple[Path, list[str]]:
    """A CV with an attack string in every kind of field; returns (cv.yaml, strings the PDF must show)."""
    d = tmp_path / "inj"
    d.mkdir()
    a = ATTACKS
    shown = []
    yaml_lines = [
        "person:",
        f"  name: {_yaml_str('Ada ' + a[0])}",
        f"  email: {_yaml_str('ada@example.org')}",
        f"  homepage: {_yaml_str('https://example.org/' + a[0])}",
        "  links:",
        f"    - label: {_yaml_str(a[13])}",
        f"      url: {_yaml_str('https://example.org/x?q=' + a[3])}",
        "publications:",
        "  bib: pubs.bib",
        "  owner: [Ada Lovelace]",
        "  links:",
        f"    slides: {_yaml_str(a[11])}",
        "sections:",
        f"  - title: {_yaml_str(a[4])}",
        "    kind: text",
        f"    text: {_yaml_str(a[2] + ' **' + a[5] + '** *' + a[6] + '* `' + a[1] + '`')}",
        f"  - title: {_yaml_str('Entries ' + a[9])}",
        "    kind: entries",
        "    entries:",
        f"      - title: {_yaml_str(a[7])}",
        f"        subtitle: {_yaml_str(a[8])}",
        f"        location: {_yaml_str(a[10])}",
        "        start: 2020-01",
        "        end: present",
        f"        details: [{_yaml_str(a[12])}, {_yaml_str(chr(92) + 'inp')}, {_yaml_str('ut{/etc/passwd}')}]",
        "  - title: Items",
        "    kind: items",
        f"    entries: [{_yaml_str(a[0][:4])}, {_yaml_str(a[0][4:])}]",
        "  - title: Publications",
        "    kind: publications",
    ]
    (d / "cv.yaml").write_text("\n".join(yaml_lines) + "\n", encoding="utf-8")
    bib = r"""@string{evil = "\input{/etc/passwd}"}
@preamble{"\immediate\write18{touch /tmp/cvpwn}"}
@inproceedings{a1,
  title = {The \input{/etc/passwd} attack and {\def\x{\x}\x}},
  author = {Lovelace, Ada and \write18{touch /tmp/cvpwn} and {\catcode`\{=12}},
  booktitle = evil # { Conference},
  year = {2024},
  slides = {https://example.org/s.pdf},
  code = {https://example.org/\immediate\write18{x}},
}
"""
    (d / "pubs.bib").write_text(bib, encoding="utf-8")
    shown = [
        "Ada " + a[0],
        a[13],
        a[4],
        a[2],
        a[5],
        a[6],
        a[1],
        "Entries " + a[9],
        a[7],
        a[8],
        a[10],
        a[12],
        "\\inp",
        "ut{/etc/passwd}",
        a[11],
    ]
    return d / "cv.yaml", shown


@pytest.mark.engine
@pytest.mark.parametrize("mode", ENGINE_MODES)
def test_injection_in_every_field_is_typeset_as_text(mode, tmp_path):
    for leftover in Path("/tmp").glob("cvpwn*"):
        leftover.unlink()
    cv, shown = injected_data(tmp_path)
    out = tmp_path / "out" / "cv.pdf"
    proc = run_cli("--engine", mode, "--data", str(cv), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "@preamble is ignored" in proc.stderr
    assert not Path("/tmp/cvpwn").exists()
    pdf = PDF(out)
    text = norm(pdf.pdftotext())
    flat = squash(pdf.pdftotext())
    assert "root:x:0:0" not in text
    if mode != "lualatex":  # pdflatex shows the fullwidth lookalikes as codes (and warns)
        shown = [s.replace("＼", "[U+FF3C]").replace("｛", "[U+FF5B]").replace("｝", "[U+FF5D]") for s in shown]
        assert "pdflatex cannot set '＼' (U+FF3C)" in proc.stderr
    for s in shown:
        assert squash(s.replace("'", "’")) in flat, s
    # the .bib's markup is BibTeX's: an unknown command is left out (never run, its name never
    # glued to the text), its argument's text kept, with a warning naming the entry and field
    assert "/etc/passwd" in flat and "touch/tmp/cvpwn" in flat
    assert "\\input in entry 'a1', field 'title'" in proc.stderr
    assert "\\write in entry 'a1', field 'author'" in proc.stderr
    assert "https://example.org/x?q=%5Cimmediate%5Cwrite18%7Btouch%20/tmp/cvpwn%7D" in pdf.uris


# ---------------------------------------------------------------------------
# Nothing lost: concurrency, Ctrl-C, data read-only
# ---------------------------------------------------------------------------
@pytest.mark.engine
def test_concurrent_builds_never_mix_or_truncate(tmp_path):
    """Four builds of two different CVs into one output at once: the PDF is whole and is one of them."""
    names = []
    datas = []
    for i in range(2):
        cv = copy_data(tmp_path / f"d{i}")
        text = cv.read_text(encoding="utf-8").replace("name: Heming Xia", f"name: Heming Xia Build{i}", 1)
        cv.write_text(text, encoding="utf-8")
        datas.append(cv)
        names.append(f"Build{i}")
    out = tmp_path / "shared" / "cv.pdf"
    env = dict(os.environ, PYTHONPATH=str(ROOT), SOURCE_DATE_EPOCH="1764028800")
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cv_builder",
                "--engine",
                "pdflatex",
                "-q",
                "--data",
                str(datas[k % 2]),
                "-o",
                str(out),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for k in range(4)
    ]
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err.decode()
    pdf = PDF(out)
    text = norm(pdf.text)
    assert sum(n in text for n in names) == 1
    tex = out.with_suffix(".tex").read_text(encoding="utf-8")
    assert sum(n in tex for n in names) == 1
    resume = out.with_name("resume.json").read_text(encoding="utf-8")
    assert [n for n in names if n in text] == [n for n in names if n in resume]  # the same build's
    outputs = {
        "cv.pdf",
        "cv.tex",
        "cv.json",
        "cv-link.html",
        "cv-link.md",
        "publications.html",
        "publications.md",
        "resume.json",
    }
    assert {"cv.pdf", "cv.tex"} <= {p.name for p in out.parent.iterdir()} <= outputs | {".cache", ".cv_builder.lock"}


@pytest.mark.engine
def test_ctrl_c_leaves_outputs_and_no_temporary_files(workspace, tmp_path):
    cv, out = workspace
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    tpl = header(tmp_path, r"\def\x{\x}\x")  # keeps the engine busy until we interrupt
    env = dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(private_tmp))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cv_builder",
            "--engine",
            "pdflatex",
            "--data",
            str(cv),
            "-o",
            str(out),
            "--template-dir",
            str(tpl),
            "--no-cache",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(private_tmp.iterdir()):
        time.sleep(0.05)  # wait until the build directory exists: the engine is running
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    err = err.decode()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert out.read_bytes() == SENTINEL
    assert list(private_tmp.iterdir()) == []
    assert not processes_mentioning(str(private_tmp))  # no TeX left running in the build directory


@pytest.mark.engine
def test_data_files_are_only_read(tmp_path):
    cv = copy_data(tmp_path)
    files = sorted(cv.parent.iterdir())
    before = {p: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest()) for p in files}
    proc = run_cli("--engine", "pdflatex", "--data", str(cv), "-o", str(tmp_path / "o" / "cv.pdf"))
    assert proc.returncode == 0, proc.stderr
    assert sorted(cv.parent.iterdir()) == files
    assert {p: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest()) for p in files} == before


# ---------------------------------------------------------------------------
# Fuzz: random YAML and random bytes give clean errors only
# ---------------------------------------------------------------------------
try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover
    given = None

if given is not None:
    _EXAMPLES = int(os.environ.get("CV_HYPOTHESIS_EXAMPLES", "30")) * 10

    def _check(text: bytes, tmp: Path) -> None:
        from cv_builder.errors import InputError
        from cv_builder.model import cv as model
        from cv_builder.model import load

        path = tmp / "cv.yaml"
        path.write_bytes(text)
        try:
            model.build(load.load_yaml(path, "cv.yaml"), "cv.yaml")
        except InputError as exc:
            for problem in exc.problems:
                assert str(problem).startswith("cv.yaml"), str(problem)
                assert problem.message

    _KEYS = st.sampled_from(
        [
            "person",
            "name",
            "sections",
            "title",
            "kind",
            "entries",
            "start",
            "end",
            "date",
            "design",
            "publications",
            "bib",
            "url",
            "links",
            "label",
            "items",
            "text",
            "x",
        ]
    )
    _SCALARS = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True),
        st.text(max_size=20),
        st.sampled_from(["2024-13", "present", "2020-01", "entries", "text"]),
    )
    _DOCS = st.recursive(
        _SCALARS,
        lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(_KEYS, kids, max_size=5)),
        max_leaves=25,
    )

    @settings(
        max_examples=_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(doc=_DOCS)
    def test_fuzz_random_structures_give_clean_errors(doc, tmp_path):
        import yaml

        _check(yaml.safe_dump(doc, allow_unicode=True).encode("utf-8"), tmp_path)

    @settings(
        max_examples=_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        data=st.one_of(
            st.binary(max_size=300),
            st.lists(
                st.sampled_from(
                    [
                        b"person:",
                        b"\n",
                        b"  ",
                        b"- ",
                        b"name: x",
                        b"&a ",
                        b"*a",
                        b"!!python/object:os.system",
                        b"\t",
                        b"'",
                        b'"',
                        b"{",
                        b"[",
                        b"\xff",
                        b"\xef\xbb\xbf",
                        b"sections:",
                        b"kind: entries",
                        b": ",
                        b"? ",
                        b"<<: *a",
                        b"%YAML 1.2\n---\n",
                    ]
                ),
                max_size=30,
            ).map(b"".join),
        )
    )
    def test_fuzz_random_bytes_give_clean_errors(data, tmp_path):
        _check(data, tmp_path)
