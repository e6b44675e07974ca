"""The GitHub workflow: valid against GitHub's schema, clean under zizmor, and running the README's commands."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "cv.yml"


def _tool(name: str) -> str:
    """The console script installed beside this Python (the test extra), else on PATH."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.is_file() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return found


def test_workflow_matches_githubs_json_schema():
    proc = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_finds_nothing():
    proc = subprocess.run(
        [_tool("zizmor"), "--offline", "--format", "json", str(WORKFLOW)], capture_output=True, text=True, timeout=120
    )
    findings = json.loads(proc.stdout or "[]")
    high = [f["ident"] for f in findings if f["determinations"]["severity"] == "High"]
    assert not high, proc.stdout
    assert findings == [], [f["ident"] for f in findings]


def _steps() -> list[dict]:
    doc = yaml.safe_load(WORKFLOW.read_text())
    return [s for job in doc["jobs"].values() for s in job.get("steps", [])]


def test_every_action_is_pinned_by_full_sha_and_checkout_keeps_no_credentials():
    doc = yaml.safe_load(WORKFLOW.read_text())
    assert doc["permissions"] == {}
    uses = [s["uses"] for s in _steps() if "uses" in s]
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", u) for u in uses), uses
    checkout = [s for s in _steps() if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout and all(s["with"]["persist-credentials"] is False for s in checkout)
    build = doc["jobs"]["build"]
    assert build["permissions"] == {"contents": "read"}
    upload = [s for s in _steps() if s.get("uses", "").startswith("actions/upload-artifact@")][0]
    assert upload["with"]["name"] == "cv-${{ github.sha }}"
    for name in ("cv.pdf", "cv.tex", "cv.json", "cv-page1.png"):
        assert f"output/{name}" in upload["with"]["path"]


def _readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("Set up and run the tests:", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    command = block.strip().split("&&")[-1].strip()
    return command.replace(".venv/bin/python", "python")


def _ci_test_command() -> str:
    lines = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text().splitlines()]
    commands = [ln for ln in lines if "-m pytest" in ln and not ln.startswith("#")]
    assert len(commands) == 1
    return commands[0]


def test_workflow_runs_the_readmes_test_command_via_ci_run():
    assert shlex.split(_ci_test_command()) == shlex.split(_readme_test_command())
    runs = [s.get("run", "") for s in _steps()]
    assert any(r.strip() == "bash .ci/run" for r in runs)
    assert not any("pytest" in r for r in runs)  # tests run only through .ci/run: one command
    build = [r for r in runs if "-m cv_builder" in r]
    assert build and "--max-pages" in build[0]


def test_the_published_url_pattern_is_documented_and_matches_what_the_workflow_deploys():
    readme = (ROOT / "README.md").read_text()
    assert "https://<owner>.github.io/<repo>/cv.pdf" in readme
    doc = yaml.safe_load(WORKFLOW.read_text())
    pages = [s for s in _steps() if s.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert pages and pages[0]["with"]["path"] == "_site"
    build = next(s["run"] for s in _steps() if "-m cv_builder" in s.get("run", ""))
    assert "--site _site/index.html --pdf-url cv.pdf" in build and "cp output/cv.pdf" in build
    assert "_site/" in build.split("cp output/cv.pdf", 1)[1].splitlines()[0]
    deploy = doc["jobs"]["publish"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert "default_branch" in deploy["if"] and "push" in deploy["if"]
