"""Reproducible builds: the build's date comes from the sources, never from the clock.

SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/)
wins when set. Otherwise, in a git checkout whose data files are committed and
unmodified, it is the time of the last commit that changed them; otherwise the
newest modification time of the data files. The same epoch goes to the TeX
engine (dates in the PDF) and into the 'Last updated' line and cv.json.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .. import process as commands
from ..errors import UsageError


@dataclass
class SourceDate:
    """The build's date, where it came from, and the data's git commit."""

    epoch: int
    origin: str  # SOURCE_DATE_EPOCH | git | mtime
    found_commit: str | subprocess.Popen | None = None  # or `git rev-parse` still running (read by .commit)

    @property
    def date(self) -> _dt.date:
        return _dt.datetime.fromtimestamp(self.epoch, _dt.timezone.utc).date()

    @property
    def commit(self) -> str | None:
        """HEAD of the data files' git checkout, if any."""
        if isinstance(self.found_commit, subprocess.Popen):
            self.found_commit = commands.output(self.found_commit) or None
        return self.found_commit


def _git_start(cwd: Path, *args: str):
    return commands.start(["git", *args], cwd)


def _git(cwd: Path, *args: str) -> str | None:
    return commands.output(_git_start(cwd, *args))


def git_commit(directory: Path) -> str | None:
    """The commit checked out where `directory` lives, or None outside git."""
    return _git(directory, "rev-parse", "--verify", "-q", "HEAD") or None


def _git_epoch(files: list[Path]) -> int | None:
    """Last commit time of `files` when all are tracked and unmodified, else None."""
    directory = files[0].parent
    names = [str(f.resolve()) for f in files]
    if _git(directory, "ls-files", "--error-unmatch", "--", *names) is None:
        return None  # not a checkout, or a data file is not committed
    if _git(directory, "status", "--porcelain", "--", *names):
        return None  # edited since the last commit: its mtime is the truth
    stamp = _git(directory, "log", "-1", "--format=%ct", "--", *names)
    return int(stamp) if stamp and stamp.isdigit() else None


def source_date(files: list[Path]) -> SourceDate:
    files = [f for f in files if f.is_file()]
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env:
        if not env.isdigit() or int(env) > 253402300799:  # the spec: an integer, or fail
            raise UsageError(
                f"SOURCE_DATE_EPOCH={env!r} is not a time in whole seconds since 1970; "
                "unset it to use the data's git or file time"
            )
        # The commit is only for cv.json, written after the engine: do not wait for git now.
        pending = _git_start(files[0].parent, "rev-parse", "--verify", "-q", "HEAD") if files else None
        return SourceDate(int(env), "SOURCE_DATE_EPOCH", pending)
    commit = git_commit(files[0].parent) if files else None
    epoch = _git_epoch(files) if commit else None
    if epoch is not None:
        return SourceDate(epoch, "git", commit)
    if files:
        return SourceDate(int(max(f.stat().st_mtime for f in files)), "mtime", commit)
    return SourceDate(0, "mtime", commit)


def engine_env(date: SourceDate) -> dict[str, str]:
    """What the engine needs to stamp the PDF with the source date instead of now."""
    return {"SOURCE_DATE_EPOCH": str(date.epoch), "FORCE_SOURCE_DATE": "1", "TZ": "UTC"}


def trailer_id(engine_name: str, tex: str) -> str:
    """A PDF /ID derived from the LaTeX source alone (not from paths or the clock)."""
    return hashlib.md5(f"{engine_name}\n{tex}".encode()).hexdigest().upper()
