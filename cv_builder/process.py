"""Helper commands (git, kpsewhich, a background `python -c`): started now, read later."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def start(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> subprocess.Popen | None:
    """`cmd` running with its stdout piped, or None if it cannot start."""
    try:
        return subprocess.Popen(
            cmd,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
    except OSError:
        return None


def output(proc: subprocess.Popen | None, timeout: float = 20) -> str | None:
    """Its stripped stdout if it succeeded within `timeout`, else None."""
    if proc is None:
        return None
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None
    return out.strip() if proc.returncode == 0 else None


def python_env() -> dict[str, str]:
    """The environment for `sys.executable -c` code that imports cv_builder (from wherever it runs)."""
    paths = [str(Path(__file__).resolve().parent.parent)] + [p for p in [os.environ.get("PYTHONPATH")] if p]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths))


def yield_cpu(proc: subprocess.Popen) -> None:
    """Lower a background process's priority: it yields the CPU to the build's own work
    (what it forks later, e.g. TeX under a format build's shell, inherits it)."""
    try:
        os.setpriority(os.PRIO_PROCESS, proc.pid, 10)
    except (AttributeError, OSError):  # no setpriority (Windows), or it has ended
        pass


def python() -> str:
    return sys.executable or "false"
