"""The engine started before its document exists (incremental/ahead.py starts it for a
build; typeset/engine.py's run() hands it the first pass)."""

from __future__ import annotations

import array
import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

try:
    import fcntl
    import termios
except ImportError:  # Windows, where Waiting.supported() is False
    fcntl = termios = None  # type: ignore[assignment]

from ..typeset.engine import (
    BEGIN_SUFFIX,
    REST_SUFFIX,
    Engine,
    aux_text_state,
    command,
    kill_group,
    sandbox_env,
    spawn,
    trailer_id_code,
)


class Waiting:
    """An engine started before its document exists.

    Starting up and loading the format is a third of a short run; started first, the
    engine does that on the other core while Python loads and renders the CV. It
    reads JOBNAME.in, a named pipe: first `prefix` (TeX code), then, where `begin` is
    given, JOBNAME-begin.tex: the document up to \begin{document}, whose set-up is
    another quarter of a run. Then it blocks until `go` names the rest (JOBNAME.tex,
    or JOBNAME-rest.tex after `begin`). `begin` is a guess (the last build's); the
    caller uses this engine only if the new document starts the same way.
    Same sandbox and command line as a normal run otherwise; `cancel` kills it.
    """

    def __init__(
        self,
        engine: Engine,
        build_dir: Path,
        env: dict | None,
        fmt: str | None = None,
        jobname: str = "cv",
        prefix: str = "",
        begin: str | None = None,
    ):
        self.engine, self.build_dir, self.env, self.fmt, self.jobname = engine, build_dir, env, fmt, jobname
        self.prefix, self.begin, self.begin_used = prefix, begin, False
        aux = build_dir / f"{jobname}.aux"
        try:
            self.aux: bytes | None = aux.read_bytes()  # \begin{document} rewrites it; cancel() puts it back
        except FileNotFoundError:
            self.aux = None
        self.previous_aux = aux_text_state(self.aux or b"")
        (build_dir / f"{jobname}.pdf").unlink(missing_ok=True)  # never trust a PDF left by an earlier pass
        if begin is not None:
            (build_dir / f"{jobname}{BEGIN_SUFFIX}").write_text(begin, encoding="utf-8")
        self.pipe = build_dir / f"{jobname}.in"
        self.pipe.unlink(missing_ok=True)
        os.mkfifo(self.pipe, 0o600)
        # Opened read-write, which on Linux never blocks: the engine's open succeeds at once and
        # its reads wait for `go`; if this process dies, the engine reads end-of-file and stops.
        self.fd: int | None = os.open(self.pipe, os.O_RDWR | os.O_CLOEXEC)
        try:
            first = prefix + (rf"\input{{{jobname}{BEGIN_SUFFIX}}}" if begin is not None else "")
            if first:
                os.write(self.fd, (first + "\n").encode("utf-8"))
            self.proc = spawn(
                engine, command(engine, jobname, fmt=fmt, source=self.pipe.name), build_dir, sandbox_env(env), fmt
            )
        except BaseException:
            self.cancel()
            raise

    def begin_now(self, begin: str) -> None:
        """Begin the document now (`begin` as in __init__), if it was not given then: a
        first build sends its own preamble as soon as it is rendered, and the engine
        loads the packages while the rest of the CV is rendered."""
        if self.begin is not None or self.fd is None or self.proc.poll() is not None:
            return
        (self.build_dir / f"{self.jobname}{BEGIN_SUFFIX}").write_text(begin, encoding="utf-8")
        os.write(self.fd, (rf"\input{{{self.jobname}{BEGIN_SUFFIX}}}" + "\n").encode("utf-8"))
        self.begin = begin

    @staticmethod
    def supported() -> bool:
        return hasattr(os, "mkfifo") and sys.platform.startswith("linux")

    def same(self, engine: Engine, build_dir: Path, env: dict | None, fmt: str | None, prefix: str = "") -> bool:
        """Started as run() would start it now (and still waiting)?"""
        return (
            self.fd is not None
            and self.proc.poll() is None
            and (self.engine.name, self.engine.path) == (engine.name, engine.path)
            and self.build_dir == build_dir
            and (self.env or {}) == (env or {})
            and self.fmt == fmt
            and self.prefix == prefix
        )

    def go(self, trailer_id: str | None, timeout: float = 60.0) -> subprocess.Popen:
        """Name the document; returns once the engine has read that (or has stopped)."""
        name = f"{self.jobname}{REST_SUFFIX if self.begin is not None else '.tex'}"
        line = (trailer_id_code(self.engine.name, trailer_id) if trailer_id else "") + rf"\input{{{name}}}"
        fd = self.fd
        assert fd is not None, "go() is called once, on an engine that same() found waiting"
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
            # A pipe with no open end drops what it holds: keep ours until the engine has read
            # the line (it may still be loading), then close it so its next read is end-of-file.
            unread, deadline = array.array("i", [1]), time.monotonic() + timeout
            while self.proc.poll() is None and time.monotonic() < deadline:
                fcntl.ioctl(fd, termios.FIONREAD, unread)
                if unread[0] == 0:
                    break
                time.sleep(0.001)
        finally:
            os.close(fd)
            self.fd = None
        self.begin_used = True
        return self.proc

    def cancel(self) -> None:
        """Stop the engine if it is still waiting or running, and remove the pipe. Unused, its
        build directory is as it was (the .aux that \begin{document} rewrote is put back)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        proc = getattr(self, "proc", None)
        if proc is not None and proc.poll() is None:
            kill_group(proc)
        self.pipe.unlink(missing_ok=True)
        if proc is not None and self.begin is not None and not self.begin_used:
            aux = self.build_dir / f"{self.jobname}.aux"
            with contextlib.suppress(OSError):
                aux.write_bytes(self.aux) if self.aux is not None else aux.unlink(missing_ok=True)
