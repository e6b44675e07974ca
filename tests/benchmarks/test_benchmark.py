"""benchmarks/run.py times a build twice: until it returns, and until every process it
started has ended (what a cold build leaves in the background: the format, the font map)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

# Run in a child: a subreaper adopts every orphan below it, which pytest must not do.
PROBE = """
import json, subprocess, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import run
run.ADOPTING = run.adopt_orphans()
start = time.perf_counter()
subprocess.run([sys.executable, "-c", "import subprocess; subprocess.Popen(['sh', '-c', 'sleep 0.3; sleep 0.4'],"
                " start_new_session=True)"], check=True)
returned = time.perf_counter() - start
idle, left = run.wait_idle(start, Path(sys.argv[2]), limit=float(sys.argv[3]))
print(json.dumps({"adopting": run.ADOPTING, "returned": returned, "idle": idle, "left": left}))
"""


def probe(tmp_path, limit: float) -> dict:
    r = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT / "benchmarks"), str(tmp_path / "cv.pdf"), str(limit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_idle_waits_for_a_detached_background_job(tmp_path):
    got = probe(tmp_path, 30)
    if not got["adopting"]:
        pytest.skip("no PR_SET_CHILD_SUBREAPER here (not Linux)")
    assert got["returned"] < 0.5 and got["idle"] >= 0.7 and got["left"] == 0
    assert got["idle"] < 5


def test_a_job_outliving_the_limit_is_reported(tmp_path):
    got = probe(tmp_path, 0.2)
    if got["adopting"]:
        assert got["left"] == 1 and got["idle"] < 0.7
