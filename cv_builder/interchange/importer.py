"""`python -m cv_builder import SOURCE [DIR]`: a RenderCV or JSON Resume file into DIR/cv.yaml
and DIR/publications.bib, which build as they are."""

from __future__ import annotations

from pathlib import Path

from ..errors import CVError, InputError, Problem
from ..model.schema import schema_text
from . import jsonresume_in, rendercv_in
from .detect import JSONRESUME, RENDERCV, kind_of
from .intake import Imported, read_source
from .write_bib import bib_text
from .write_yaml import cv_yaml_text

FILES = ("cv.yaml", "publications.bib")


class ExistsError(CVError):
    """import would overwrite a file: exit 1, nothing written."""


def convert(source: Path) -> Imported:
    shown = str(source)
    if not source.is_file():
        raise InputError([Problem("file not found", shown, hint="give the path of a RenderCV or JSON Resume file")])
    tree = read_source(source, shown)
    kind = kind_of(tree)
    if kind == RENDERCV:
        return rendercv_in.convert(tree, shown)
    if kind == JSONRESUME:
        return jsonresume_in.convert(tree, shown)
    hint = (
        "it is already a cv_builder cv.yaml: build it with --data"
        if "person" in tree.items
        else "import reads RenderCV files (cv:, design:) and JSON Resume files (basics:, work:, ...)"
    )
    raise InputError([Problem("neither a RenderCV nor a JSON Resume file", shown, 1, 1, hint=hint)])


def run_import(source: Path, directory: Path, force: bool = False) -> tuple[list[str], list[str]]:
    """Write the two files; returns (warnings, lines to print). Refuses to overwrite without `force`."""
    imp = convert(source)
    if not imp.person.get("name"):
        raise InputError(
            [
                Problem(
                    "the file names no person (RenderCV cv.name, JSON Resume basics.name)",
                    str(source),
                    1,
                    1,
                    hint="add the name to the source and import again",
                )
            ]
        )
    targets = {
        directory / "cv.yaml": cv_yaml_text(imp, source.name),
        directory / "publications.bib": bib_text(imp.publications, source.name),
    }
    existing = [str(p) for p in targets if p.exists()]
    if existing and not force:
        raise ExistsError(
            f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
            "nothing was written (choose another directory, or add --force to replace them)"
        )
    schema = directory / "cv.schema.json"  # what the cv.yaml's first line points editors at
    if not schema.exists():
        targets[schema] = schema_text()
    directory.mkdir(parents=True, exist_ok=True)
    for path, text in targets.items():
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    warnings = [f"{item} (kept as a comment at the end of {directory / 'cv.yaml'})" for item in imp.leftovers]
    warnings += [str(item) for item in imp.notes]
    data = directory / "cv.yaml"
    build = "python -m cv_builder" if data == Path("data/cv.yaml") else f"python -m cv_builder --data {data}"
    lines = [
        (f"read {source} as a {imp.kind} file: {len(imp.sections)} sections, {len(imp.publications)} publications"),
        f"wrote {', '.join(str(p) for p in targets)}",
        f"check it: {build.replace('cv_builder', 'cv_builder check', 1)}",
        f"build it: {build}",
    ]
    return warnings, lines
