"""The precompiled preamble (fmt/): the package-loading part of the preamble dumped into a
pdflatex format, made in the background after the first build."""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .. import process as commands
from ..typeset.engine import kill_group
from .keys import digest, write_bytes
from .stores import KEEP_FORMATS, prune


def split_preamble(tex: str) -> tuple[str, str] | None:
    """(head, body): head is the preamble up to its last package line, the part worth
    dumping (it holds no personal data in the built-in themes); body is `tex` with the
    head's lines blanked to `%`, so line numbers in errors still match cv.tex.

    xcolor ends with a top-level \\color{black} whose colour-stack push is not dumped;
    the body replays it, which keeps the PDF byte-identical to a run without format.
    """
    lines = tex.split("\n")
    begin = next((i for i, line in enumerate(lines) if _begin_at(line) >= 0), None)
    if begin is None or not lines[0].startswith("\\documentclass"):
        return None
    heads = [i for i in range(begin) if lines[i].startswith(("\\documentclass", "\\usepackage", "\\RequirePackage"))]
    last = heads[-1]
    replay = "\\csname @ifpackageloaded\\endcsname{xcolor}{\\color{black}}{}%"
    return "\n".join(lines[: last + 1]), "\n".join(["%"] * last + [replay] + lines[last + 1 :])


def _begin_at(line: str) -> int:
    """Where `line` has \\begin{document} outside a comment, else -1."""
    comment, i = len(line), line.find("%")
    while i >= 0:
        slashes = len(line[:i]) - len(line[:i].rstrip("\\"))
        if slashes % 2 == 0:  # not \%
            comment = i
            break
        i = line.find("%", i + 1)
    return line.find("\\begin{document}", 0, comment)


def split_begin(body: str) -> tuple[str, str] | None:
    """(begin, rest): `body` (split_preamble's) cut just after \\begin{document}, for an
    engine started ahead (incremental/waiting.py). `rest` has begin's lines blanked to `%`, so
    line numbers still match cv.tex."""
    lines = body.split("\n")
    at = next((i for i, line in enumerate(lines) if _begin_at(line) >= 0), None)
    if at is None:
        return None
    cut = _begin_at(lines[at]) + len("\\begin{document}")
    after = lines[at][cut:] if lines[at][cut:].strip() else "%"  # an empty line would be a \par
    return "\n".join(lines[:at] + [lines[at][:cut]]) + "\n", "\n".join(["%"] * at + [after] + lines[at + 1 :])


def format_path(cache: Path, identity: str, head: str) -> Path:
    return cache / "fmt" / (digest("fmt", head, identity)[:32] + ".fmt")


def usable_format(fmt: Path) -> bool:
    try:
        return fmt.stat().st_size > 0
    except OSError:
        return False


# TeX writes formats gzip-compressed; it reads an uncompressed one just as well (zlib's
# transparent mode) and 90 ms sooner: inflating 18 MB is most of a format's load time.
# The background script uses gzip(1) where there is one (half the time of Python's),
# else this (_inflate, in a `python -c`).
_INFLATE = "from pathlib import Path; from cv_builder.incremental.formats import _inflate; _inflate(Path('cv.fmt'))"


def _inflate(fmt: Path) -> None:
    """The format at `fmt` uncompressed, in place (left alone if it is not gzip)."""
    try:
        data = gzip.open(fmt).read()
    except OSError:  # not gzip: leave it
        return
    write_bytes(fmt, data)


class FormatBuild:
    """`ENGINE -ini` dumping `head`, run beside the first build (it needs no format).

    Where there is a POSIX shell the build does not wait for it: a small script moves
    the format into place when it is done (like `git gc --auto`), so the first build
    costs no more than one without a format; the next one uses it if it is there.
    The format is stored uncompressed (_INFLATE)."""

    def __init__(self, fmt: Path, name: str, path: str, head: str, env: dict, timeout: float = 60.0):
        # Absolute: the script below runs in the temporary folder, not where a relative
        # output (the default output/cv.pdf) is relative to.
        fmt = self.fmt = Path(os.path.abspath(fmt))
        fmt.parent.mkdir(parents=True, exist_ok=True)
        prune(fmt.parent, keep=KEEP_FORMATS - 1, pattern="*.fmt")  # 18 MB each: the least recently used go
        _remove_stale(fmt.parent, "fmt-*", 3600)  # left by a killed build (or by releases before this fix)
        self.tmp = Path(tempfile.mkdtemp(prefix="fmt-", dir=fmt.parent))
        (self.tmp / "pre.tex").write_text(head + "\n\\dump\n", encoding="utf-8")
        cmd = [
            path,
            "-ini",
            "-interaction=nonstopmode",
            "-halt-on-error",
            "-no-shell-escape",
            "-jobname=cv",
            f"&{name}",
            "pre.tex",
        ]
        shell, limit = shutil.which("sh"), shutil.which("timeout")
        self.detached = bool(shell and limit)
        if shell and limit:
            # sync: flushed here, its 18 MB do not land in the next build's fsync of cv.pdf (ext4
            # commits every pending write with it: +20 ms measured on the build after the first)
            script = (
                '"$@" >/dev/null 2>&1 && [ -s cv.fmt ] '
                "&& { { gzip -dc cv.fmt > raw.fmt && mv -f raw.fmt cv.fmt; } 2>/dev/null "
                '|| "$CV_PY" -c "$CV_INFLATE" 2>/dev/null || :; } '
                "&& { sync cv.fmt 2>/dev/null || :; } "
                '&& mv -f cv.fmt "$CV_FMT" || : > "$CV_FAILED"; cd .. && rm -rf "$CV_TMP"'
            )
            env = dict(
                env,
                CV_FMT=str(fmt),
                CV_FAILED=str(fmt.with_suffix(".failed")),
                CV_TMP=str(self.tmp),
                CV_PY=commands.python(),
                CV_INFLATE=_INFLATE,
                PYTHONPATH=commands.python_env()["PYTHONPATH"],
            )
            cmd = [shell, "-c", script, "sh", limit, "-s", "KILL", f"{timeout:g}"] + cmd
        self.proc: subprocess.Popen | None
        try:
            self.proc = subprocess.Popen(
                cmd,
                cwd=self.tmp,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError:
            self.proc = None
        else:
            commands.yield_cpu(self.proc)

    def abort(self) -> None:
        if self.proc is not None:
            kill_group(self.proc)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def finish(self, timeout: float) -> None:
        """Wait for the format and move it into place (unless detached); a failure only costs speed."""
        if self.detached and self.proc is not None:
            return
        try:
            if self.proc is None:
                return
            try:
                self.proc.wait(timeout=timeout)
            except BaseException:
                kill_group(self.proc)
                if not isinstance(sys.exc_info()[1], subprocess.TimeoutExpired):
                    raise
                return
            made = self.tmp / "cv.fmt"
            if self.proc.returncode == 0 and made.is_file() and made.stat().st_size > 0:
                _inflate(made)
                os.replace(made, self.fmt)  # atomic: concurrent builds at worst both make it
            else:
                self.fmt.with_suffix(".failed").touch()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _remove_stale(directory: Path, pattern: str, seconds: float) -> None:
    """Folders matching `pattern` not touched for `seconds` (a running build's are recent)."""
    with contextlib.suppress(OSError):
        for old in directory.glob(pattern):
            with contextlib.suppress(OSError):
                if old.is_dir() and time.time() - old.stat().st_mtime > seconds:
                    shutil.rmtree(old, ignore_errors=True)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def drop_format(fmt: Path) -> None:
    """A format the engine rejected: delete it and never retry this key."""
    with contextlib.suppress(OSError):
        fmt.unlink()
        fmt.with_suffix(".failed").touch()
