"""Same inputs, same cv.pdf: whatever the clock, the time zone or the directory."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import ENGINE_MODES, PDF, copy_data, have_system, norm, run_cli

NO_EPOCH = {"SOURCE_DATE_EPOCH": None}


def _build(workdir: Path, engine: str, out: str, tz: str) -> Path:
    proc = run_cli(
        "-q", "--engine", engine, "--data", "data/cv.yaml", "-o", out, cwd=workdir, env={**NO_EPOCH, "TZ": tz}
    )
    assert proc.returncode == 0, proc.stderr
    return workdir / out


XELATEX = pytest.param("xelatex", marks=pytest.mark.skipif(not have_system("xelatex"), reason="no system xelatex"))


@pytest.mark.engine
@pytest.mark.parametrize("engine", ENGINE_MODES + [XELATEX])
def test_two_builds_in_different_directories_at_different_times_are_byte_identical(engine, tmp_path):
    a, b = tmp_path / "first checkout", tmp_path / "elsewhere" / "second"
    copy_data(a)
    b.mkdir(parents=True)
    copy_data(b)  # copytree keeps the files' modification times: the same source date
    pdf_a = _build(a, engine, "output/cv.pdf", "UTC")
    time.sleep(1.1)  # the wall clock moves on: it must not show
    pdf_b = _build(b, engine, "build/out/cv.pdf", "Pacific/Auckland")
    assert hashlib.sha256(pdf_a.read_bytes()).hexdigest() == hashlib.sha256(pdf_b.read_bytes()).hexdigest()
    # the manifest records what is identical, and no path of either directory
    assert json.loads((a / "output/cv.json").read_text())["sha256"] == hashlib.sha256(pdf_a.read_bytes()).hexdigest()
    raw = pdf_a.read_bytes()
    for leak in (str(a).encode(), b"cv_builder-", str(tmp_path).encode()):
        assert leak not in raw


@pytest.mark.engine
def test_without_git_the_date_is_the_data_files_newest_mtime(tmp_path):
    cv_yaml = copy_data(tmp_path)
    stamp = 1700000000  # 2023-11-14 22:13:20 UTC
    for f in cv_yaml.parent.iterdir():
        os.utime(f, (stamp, stamp - 86400 * 30))
    os.utime(cv_yaml.parent / "publications.bib", (stamp, stamp))
    proc = run_cli("-q", "--engine", "pdflatex", cwd=tmp_path, env=NO_EPOCH)
    assert proc.returncode == 0, proc.stderr
    pdf = PDF(tmp_path / "output/cv.pdf")
    assert "Last updated 14 November 2023" in norm(pdf.text)
    assert str(pdf.reader.metadata["/CreationDate"]).startswith("D:20231114221320")
    manifest = json.loads((tmp_path / "output/cv.json").read_text())
    assert manifest["date"] == "2023-11-14" and manifest["commit"] is None


@pytest.mark.engine
@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_in_git_the_date_is_the_last_commit_of_the_data_files(tmp_path):
    copy_data(tmp_path)
    git_env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "GIT_COMMITTER_DATE": "2024-03-05T12:00:00Z",
        "GIT_AUTHOR_DATE": "2024-03-05T12:00:00Z",
    }

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, env=git_env, check=True, capture_output=True)

    git("init", "-q")
    git("add", "data")
    git("commit", "-q", "-m", "data")
    git_env.update(GIT_COMMITTER_DATE="2024-07-01T12:00:00Z", GIT_AUTHOR_DATE="2024-07-01T12:00:00Z")
    (tmp_path / "README").write_text("not data\n")
    git("add", "README")
    git("commit", "-q", "-m", "later, unrelated")  # does not move the CV's date
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True).stdout.strip()

    proc = run_cli("-q", "--engine", "pdflatex", cwd=tmp_path, env=NO_EPOCH)
    assert proc.returncode == 0, proc.stderr
    assert "Last updated 5 March 2024" in norm(PDF(tmp_path / "output/cv.pdf").text)
    manifest = json.loads((tmp_path / "output/cv.json").read_text())
    assert manifest["date"] == "2024-03-05" and manifest["commit"] == head

    # an uncommitted edit: the file's own time is the truth, not the stale commit
    cv_yaml = tmp_path / "data/cv.yaml"
    cv_yaml.write_text(cv_yaml.read_text() + "\n")
    for f in (cv_yaml, tmp_path / "data/publications.bib"):
        os.utime(f, (1730000000, 1730000000))  # 2024-10-27
    proc = run_cli("-q", "--engine", "pdflatex", cwd=tmp_path, env=NO_EPOCH)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "output/cv.json").read_text())["date"] == "2024-10-27"


@pytest.mark.engine
def test_source_date_epoch_wins(tmp_path):
    copy_data(tmp_path)
    proc = run_cli("-q", "--engine", "pdflatex", cwd=tmp_path, env={"SOURCE_DATE_EPOCH": "1600000000"})
    assert proc.returncode == 0, proc.stderr
    assert "Last updated 13 September 2020" in norm(PDF(tmp_path / "output/cv.pdf").text)


def test_a_malformed_source_date_epoch_is_a_usage_error(tmp_path):
    copy_data(tmp_path)
    proc = run_cli("-q", cwd=tmp_path, env={"SOURCE_DATE_EPOCH": "yesterday"})
    assert proc.returncode == 2
    assert "SOURCE_DATE_EPOCH='yesterday' is not a time in whole seconds since 1970" in proc.stderr
    assert not (tmp_path / "output").exists()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_with_source_date_epoch_the_commit_is_still_found(tmp_path, monkeypatch):
    from cv_builder.publish import reproducible

    (tmp_path / "cv.yaml").write_text("x: 1\n")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    for args in (["init", "-q"], ["add", "cv.yaml"], ["commit", "-q", "-m", "data"]):
        subprocess.run(["git", *args], cwd=tmp_path, env=env, check=True, capture_output=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True).stdout.strip()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    when = reproducible.source_date([tmp_path / "cv.yaml"])
    assert (when.epoch, when.origin) == (1700000000, "SOURCE_DATE_EPOCH")
    assert when.commit == head and when.commit == head  # read once, then kept
    outside = tmp_path.parent / "plain"
    outside.mkdir()
    (outside / "cv.yaml").write_text("x: 1\n")
    assert reproducible.source_date([outside / "cv.yaml"]).commit is None
