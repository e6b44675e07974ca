"""`python -m cv_builder export --format rendercv|jsonresume [-o FILE]`: the CV in another format."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import build
from ..errors import CVError, Report
from ..interchange import jsonresume_out, rendercv_out
from ..model import variants
from ..paths import display_path
from ..publish.atomic import atomic_write


def default_output(fmt: str, variant: str | None) -> Path:
    """output/resume.json (as the build writes it) or output/cv.rendercv.yaml; per variant
    output/cv-NAME-resume.json, output/cv-NAME.rendercv.yaml."""
    pdf = variants.output_for(Path("output/cv.pdf"), variant) if variant else Path("output/cv.pdf")
    return build.resume_path(pdf) if fmt == "jsonresume" else pdf.with_suffix(".rendercv.yaml")


def render(data: Path, fmt: str, variant: str | None = None) -> tuple[bytes, list[str]]:
    """The exported file's bytes and the warnings reading the data gave."""
    report = Report()
    cv, lists = build.load_model(data, report, variant)
    if fmt == "jsonresume":
        body = jsonresume_out.dumps(jsonresume_out.resume(cv, lists, build.source_date(cv, data)))
    else:
        body = rendercv_out.dumps(rendercv_out.document(cv, lists), display_path(data))
    return body, [str(w) for w in report.warnings]


def export(data: Path, fmt: str, output: Path | None, variant: str | None = None) -> str | None:
    """Write the export; returns the path written (None for stdout)."""
    body, warnings = render(data, fmt, variant)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(body)
        return None
    target = output or default_output(fmt, variant)
    try:
        atomic_write(target, body)
    except OSError as exc:
        raise CVError(f"cannot write {display_path(target)}: {exc.strerror}") from None
    return display_path(target)
