#!/usr/bin/env python3
"""Benchmark cv_builder against the engine's floor, in one run (see docs/performance.md).

For every engine present (pdflatex, the embedded TinyTeX pdflatex, lualatex) and every
input (the default CV, generated 100-, 1,000- and 2,000-publication CVs) it times, as a user
runs it (`python -m cv_builder ...` in a fresh process):
  cold   - empty output/ and cache
  warm   - one field of the YAML edited since the last build (and its background work)
  no-op  - nothing changed (and checks the PDF was not rewritten)
and, alternately with those, the floor: the bare engine on a one-line document
(`article` for pdflatex, `article` + fontspec for lualatex). Ratios to the floor of
the same run hold on a busy machine. Each build is timed twice: until the command
returns, and until every process it started has ended (a cold build leaves its
preamble format and font map being made in the background); nothing else starts
before that, so no step shares the CPU with the last one's leftovers. Prints medians,
ratios, peak memory (the Python process and, separately, its children: the TeX engine)
and the issue's targets.

    python benchmarks/run.py              # 5 repetitions, everything
    python benchmarks/run.py --quick      # 1 repetition, default CV and 100 publications
    python benchmarks/run.py --reps 9 --engines pdflatex --sizes default,1000,2000
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Runs the CLI in this child process as `python -m cv_builder` does (main, then exit_fast)
# and reports its own and its children's peak RSS.
CHILD = """
import json, resource, sys
from cv_builder.cli.main import main
from cv_builder.incremental.interpreter import exit_fast
code = main(sys.argv[1:])
print(json.dumps({"code": code,
                  "self_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "children_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
exit_fast(code)
"""

FIRST = [
    "Wei",
    "Jing",
    "Yu",
    "Anna",
    "Luca",
    "Priya",
    "Omar",
    "Sofia",
    "Kenji",
    "Maria",
    "David",
    "Chen",
    "Fatima",
    "Lars",
    "Aisha",
    "Mateo",
    "Hana",
    "Ivan",
    "Zoe",
    "Ravi",
    "Elena",
    "Tomás",
    "Sara",
    "Jun",
]
LAST = [
    "Zhang",
    "Wang",
    "Li",
    "Müller",
    "Rossi",
    "Sharma",
    "Haddad",
    "García",
    "Tanaka",
    "Silva",
    "Smith",
    "Chen",
    "Kowalski",
    "Nguyen",
    "Johansson",
    "Okafor",
    "Kim",
    "Petrov",
    "Dubois",
    "Yilmaz",
    "Liu",
]
ADJ = [
    "Efficient",
    "Robust",
    "Scalable",
    "Faithful",
    "Controllable",
    "Multilingual",
    "Sparse",
    "Adaptive",
    "Interpretable",
    "Parameter-Efficient",
    "Self-Supervised",
    "Zero-Shot",
    "Contrastive",
    "Speculative",
]
TOPIC = [
    "Decoding",
    "Retrieval",
    "Reasoning",
    "Summarization",
    "Tool Learning",
    "Instruction Tuning",
    "Machine Translation",
    "Question Answering",
    "Vision-Language Pretraining",
    "Code Generation",
    "Chain-of-Thought Compression",
    "Knowledge Distillation",
    "Preference Optimization",
]
TAIL = [
    "for Large Language Models",
    "in Low-Resource Settings",
    "with Verifiable Rewards",
    "at Scale",
    "via Mixture-of-Experts",
    "under Distribution Shift",
    "for Long Documents",
    "Without Labels",
]
VENUES = [
    ("inproceedings", "booktitle", "Proceedings of ACL"),
    ("inproceedings", "booktitle", "Proceedings of EMNLP"),
    ("inproceedings", "booktitle", "Findings of ACL"),
    ("inproceedings", "booktitle", "Proceedings of NAACL"),
    ("inproceedings", "booktitle", "Advances in Neural Information Processing Systems"),
    ("inproceedings", "booktitle", "International Conference on Learning Representations"),
    ("article", "journal", "Transactions of the Association for Computational Linguistics"),
    ("article", "journal", "Journal of Machine Learning Research"),
    ("article", "journal", "arXiv preprint"),
]


def make_bib(n: int, owner: str, seed: int = 6) -> str:
    """n realistic, deterministic entries; the CV's owner co-authors about a third."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        authors = [f"{rnd.choice(FIRST)} {rnd.choice(LAST)}" for _ in range(rnd.randint(2, 9))]
        if rnd.random() < 0.35:
            authors.insert(rnd.randrange(len(authors)), owner)
        kind, field, venue = rnd.choice(VENUES)
        year = rnd.randint(2012, 2025)
        title = f"{rnd.choice(ADJ)} {rnd.choice(TOPIC)} {rnd.choice(TAIL)}"
        arxiv = f"{year % 100:02d}{rnd.randint(1, 12):02d}.{rnd.randint(0, 29999):05d}"
        out.append(
            f"@{kind}{{gen{i:04d},\n  title = {{{title}}},\n  author = {{{' and '.join(authors)}}},\n"
            f"  {field} = {{{venue}}},\n  year = {{{year}}},\n  url = {{https://arxiv.org/abs/{arxiv}}},\n"
            f"  code = {{https://github.com/{rnd.choice(LAST).lower()}-lab/{title.split()[1].lower()}-{i}}},\n}}\n"
        )
    return "\n".join(out)


def make_input(where: Path, size: str) -> Path:
    """A private data/ directory: the default CV, or it with a generated .bib."""
    data = where / "data"
    shutil.copytree(ROOT / "data", data)
    if size != "default":
        (data / "publications.bib").write_text(make_bib(int(size), "Heming Xia"), encoding="utf-8")
    return data / "cv.yaml"


FLOOR_DOCS = {
    "pdflatex": "\\documentclass{article}\\begin{document}Hello.\\end{document}\n",
    # TinyTeX ships Latin Modern but not the Type 1 Computer Modern the plain article needs
    "embedded": "\\documentclass{article}\\usepackage{lmodern}\\begin{document}Hello.\\end{document}\n",
    "lualatex": "\\documentclass{article}\\usepackage{fontspec}\\begin{document}Hello.\\end{document}\n",
}


def engine_paths() -> dict[str, tuple[str, str]]:
    """Present engines: mode -> (floor document kind, binary)."""
    from cv_builder.typeset.engine import embedded_pdflatex

    found = {}
    if shutil.which("pdflatex"):
        found["pdflatex"] = ("pdflatex", shutil.which("pdflatex"))
    if embedded_pdflatex():
        found["embedded"] = ("embedded", embedded_pdflatex())
    if shutil.which("lualatex"):
        found["lualatex"] = ("lualatex", shutil.which("lualatex"))
    return found


def floor(kind: str, binary: str, tmp: Path) -> float:
    work = Path(tempfile.mkdtemp(dir=tmp))
    (work / "floor.tex").write_text(FLOOR_DOCS[kind])
    start = time.perf_counter()
    subprocess.run(
        [binary, "-interaction=nonstopmode", "floor.tex"],
        cwd=work,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    took = time.perf_counter() - start
    shutil.rmtree(work, ignore_errors=True)
    return took


# The issue's one absolute target (1,000 publications' Python stages, 0.3 s) was set on its
# machine, where these imports took "about 0.1 s": timed here in the same run, they say how
# much slower this machine runs Python, as the floor does for TeX.
YARDSTICK = (
    "import time; t = time.perf_counter(); import jinja2, yaml, bibtexparser, latexcodec; "
    "print(time.perf_counter() - t)"
)
YARDSTICK_THERE = 0.1


def yardstick() -> float:
    r = subprocess.run(
        [sys.executable, "-c", YARDSTICK], capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL
    )
    return float(r.stdout)


def build(data: Path, out: Path, mode: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), SOURCE_DATE_EPOCH="1764028800")
    start = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-c", CHILD, "--data", str(data), "-o", str(out), "--engine", mode],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    took = time.perf_counter() - start
    idle, left = wait_idle(start, out)
    if r.returncode != 0 or not r.stdout.strip():
        sys.exit(f"build failed ({mode}, {data}):\n{r.stderr[-2000:]}")
    stats = json.loads(r.stdout.strip().splitlines()[-1])
    stages = {m.group(1): int(m.group(2)) / 1000 for m in re.finditer(r"^(\S+)\s+(\d+) ms", r.stderr, re.M)}
    return {
        "wall": took,
        "idle": idle,
        "left": left,
        "self_mib": stats["self_kib"] / 1024,
        "children_mib": stats["children_kib"] / 1024,
        "python": stages.get("load+model", 0) + stages.get("render", 0),
        "passes": _passes(r.stderr),
    }


def _passes(stderr: str) -> int:
    m = re.search(r"(\d+) pass(?:es)?\b", stderr)
    return int(m.group(1)) if m else 0


PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>


def adopt_orphans() -> bool:
    """Become the child subreaper of everything this benchmark starts (Linux): a background
    job a build leaves (the format dump, the font map: own sessions, their parent gone) is
    then re-parented to us instead of init, so waitpid() sees exactly when the last one ends."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


ADOPTING = False  # set by main(): adopt_orphans() worked


def wait_idle(start: float, out: Path, limit: float = 120.0) -> tuple[float, int]:
    """(seconds from `start` until every process the build started has ended, how many were
    still running after `limit`). Nothing else runs meanwhile: the next step (a floor, a
    build) never shares the CPU with the last build's background work."""
    deadline = time.monotonic() + limit
    if not ADOPTING:  # no subreaper: the marker files the background jobs leave while they run
        cache = out.parent / ".cache"
        while list(cache.glob("fmt/fmt-*")) or list(cache.glob("fonts/pending-*")):
            if time.monotonic() > deadline:
                return time.perf_counter() - start, 1
            time.sleep(0.002)
        return time.perf_counter() - start, 0
    last = time.perf_counter()  # the build itself was reaped by subprocess.run
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:  # no child left: an orphan's own children are ours once it ends
            return last - start, 0
        if pid:
            last = time.perf_counter()
        elif time.monotonic() > deadline:
            return time.perf_counter() - start, _children()
        else:
            time.sleep(0.002)


def _children() -> int:
    try:
        return len(Path(f"/proc/self/task/{os.getpid()}/children").read_text().split())
    except OSError:
        return -1


def toggle(data: Path, i: int) -> None:
    """Edit one field: the position line, alternating between two values."""
    text = data.read_text(encoding="utf-8")
    text = re.sub(r"^(  position: ).*$", rf"\g<1>Ph.D. Student (edit {i})", text, count=1, flags=re.M)
    data.write_text(text, encoding="utf-8")


def measure(mode: str, kind: str, binary: str, size: str, reps: int, tmp: Path) -> dict:
    rows: dict[str, list[dict]] = {"cold": [], "warm": [], "no-op": []}
    floors: list[float] = []
    yardsticks: list[float] = []
    rewritten = False
    for rep in range(reps):
        where = Path(tempfile.mkdtemp(dir=tmp))
        data = make_input(where, size)
        out = where / "output" / "cv.pdf"
        floors.append(floor(kind, binary, tmp))
        rows["cold"].append(build(data, out, mode))
        yardsticks.append(yardstick())
        floors.append(floor(kind, binary, tmp))
        toggle(data, rep)
        rows["warm"].append(build(data, out, mode))
        floors.append(floor(kind, binary, tmp))
        before = out.stat().st_mtime_ns
        rows["no-op"].append(build(data, out, mode))
        rewritten |= out.stat().st_mtime_ns != before
        shutil.rmtree(where, ignore_errors=True)
    f = statistics.median(floors)
    result = {"floor": f, "rewritten": rewritten, "yardstick": statistics.median(yardsticks)}
    for case, runs in rows.items():
        med = statistics.median(r["wall"] for r in runs)
        idle = statistics.median(r["idle"] for r in runs)
        result[case] = {
            "median": med,
            "ratio": med / f,
            "idle": idle,
            "idle_ratio": idle / f,
            "left": sum(r["left"] for r in runs),
            "self_mib": max(r["self_mib"] for r in runs),
            "children_mib": max(r["children_mib"] for r in runs),
            "python": statistics.median(r["python"] for r in runs),
            "passes": statistics.median(r["passes"] for r in runs),
        }
    return result


TARGETS = [
    # (label, engine mode, size, case, limit on the ratio to the floor)
    ("default CV, cold, pdflatex", "pdflatex", "default", "cold", 2.4),
    ("default CV, warm (one field edited)", "pdflatex", "default", "warm", 1.5),
    ("default CV, no-op", "pdflatex", "default", "no-op", 0.6),
    ("default CV, cold, Unicode path (lualatex)", "lualatex", "default", "cold", 1.6),
    ("1,000 publications, cold, pdflatex", "pdflatex", "1000", "cold", 8.0),
    ("2,000 publications, cold, pdflatex", "pdflatex", "2000", "cold", 10.0),  # issue 19: 119 pages
]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reps", type=int, default=5, help="repetitions per case (medians are reported)")
    p.add_argument("--quick", action="store_true", help="1 repetition, default CV and 100 publications")
    p.add_argument("--engines", default="", help="comma-separated subset of pdflatex,embedded,lualatex")
    p.add_argument("--sizes", default="", help="comma-separated subset of default,100,1000,2000")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the results as JSON")
    args = p.parse_args(argv)
    reps = 1 if args.quick else max(1, args.reps)
    sizes = [s for s in (args.sizes or ("default,100" if args.quick else "default,100,1000,2000")).split(",") if s]
    present = engine_paths()
    wanted = [e for e in (args.engines.split(",") if args.engines else present) if e in present]
    if not wanted:
        print("no TeX engine found", file=sys.stderr)
        return 1
    global ADOPTING
    ADOPTING = adopt_orphans()
    results = {}
    # As after a user's first run: bytecode written (PYTHONDONTWRITEBYTECODE would otherwise
    # make every child compile cv_builder's modules from source).
    import compileall

    compileall.compile_dir(str(ROOT / "cv_builder"), quiet=1)
    with tempfile.TemporaryDirectory(prefix="cv-bench-") as tmp:
        for mode in wanted:
            for size in sizes:
                kind, binary = present[mode]
                print(f"measuring {mode} / {size} ({reps}x) ...", file=sys.stderr, flush=True)
                results[(mode, size)] = measure(mode, kind, binary, size, reps, Path(tmp))
                r = results[(mode, size)]
                print(
                    f"  floor {r['floor']:.2f} s; "
                    + ", ".join(
                        f"{case} {r[case]['median']:.2f} s ({r[case]['ratio']:.2f}x), idle {r[case]['idle']:.2f} s"
                        for case in ("cold", "warm", "no-op")
                    ),
                    file=sys.stderr,
                    flush=True,
                )
    report(results, reps)
    if args.json:
        args.json.write_text(json.dumps({f"{m}/{s}": r for (m, s), r in results.items()}, indent=1))
    return 0


def report(results: dict, reps: int) -> None:
    print(
        f"\nMedians of {reps} run(s); ratio = time / the engine's floor in the same run. return: until the"
        f" command returned; idle: until every process it started had ended ("
        + ("waited for as their subreaper" if ADOPTING else "the background jobs' marker files")
        + ")."
    )
    print(
        f"{'engine':<9} {'input':<8} {'floor':>6} | {'case':<6} {'return':>7} {'ratio':>6} {'idle':>6} "
        f"{'ratio':>6} {'passes':>6} {'load→render':>11} {'py MiB':>7} {'TeX MiB':>8}"
    )
    for (mode, size), r in results.items():
        for case in ("cold", "warm", "no-op"):
            c = r[case]
            print(
                f"{mode:<9} {size:<8} {r['floor']:6.2f} | {case:<6} {c['median']:7.2f} {c['ratio']:6.2f} "
                f"{c['idle']:6.2f} {c['idle_ratio']:6.2f} {c['passes']:6.0f} {c['python']:11.2f} "
                f"{c['self_mib']:7.1f} {c['children_mib']:8.1f}"
            )
    left = sum(r[case]["left"] for r in results.values() for case in ("cold", "warm", "no-op"))
    if left:
        print(f"WARNING: {left} background process(es) still ran 120 s after a build; later timings shared the CPU")
    print("\nTargets")
    for label, mode, size, case, limit in TARGETS:
        r = results.get((mode, size))
        if not r:
            print(f"  {label:<46} not measured")
            continue
        ratio = r[case]["ratio"]
        extra = ""
        if case == "no-op":
            extra = "; PDF " + ("REWRITTEN" if r["rewritten"] else "not rewritten")
        ok = ratio <= limit and not (case == "no-op" and r["rewritten"])
        print(f"  {label:<46} {ratio:5.2f}x floor (≤ {limit}x){extra}: {'pass' if ok else 'MISS'}")
    big = results.get(("pdflatex", "1000"))
    if big:
        py = big["cold"]["python"]
        slower = statistics.median(r["yardstick"] for r in results.values()) / YARDSTICK_THERE
        verdict = "pass" if py <= 0.3 else "MISS"
        print(f"  {'1,000 publications, Python load→render':<46} {py:5.2f} s (≤ 0.3 s): {verdict}")
        print(
            f"  {'  the same, scaled to the issue machine':<46} {py / slower:5.2f} s (≤ 0.3 s; this machine ran the "
            f"issue's 0.1 s import yardstick {slower:.1f}x slower): {'pass' if py / slower <= 0.3 else 'MISS'}"
        )
    # issue 6's memory target was set for inputs up to 1,000 publications; 2,000 is shown beside it
    peaks = {
        size: max(
            c["self_mib"] for (_, s), r in results.items() if s == size for c in (r["cold"], r["warm"], r["no-op"])
        )
        for size in {s for _, s in results}
    }
    small = [mib for size, mib in peaks.items() if size != "2000"]
    if small:
        peak = max(small)
        verdict = "pass" if peak <= 60 else "MISS"
        print(f"  {'peak memory of the Python process':<46} {peak:5.1f} MiB (≤ 60 MiB): {verdict}")
    if "2000" in peaks:
        print(f"  {'  the same, 2,000 publications':<46} {peaks['2000']:5.1f} MiB (no target)")


if __name__ == "__main__":
    sys.exit(main())
