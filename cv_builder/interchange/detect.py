"""Which format a YAML or JSON file is in, judged by its top-level keys."""

from __future__ import annotations

from ..errors import Problem
from ..model.load import Map

RENDERCV = "RenderCV"
JSONRESUME = "JSON Resume"

_RENDERCV_TOP = {"cv", "design", "locale", "locale_catalog", "settings", "rendercv_settings"}
_JSONRESUME_TOP = {
    "basics",
    "work",
    "volunteer",
    "education",
    "awards",
    "certificates",
    "publications",
    "skills",
    "languages",
    "interests",
    "references",
    "projects",
    "meta",
    "$schema",
}


def kind_of(tree: Map) -> str | None:
    """RENDERCV, JSONRESUME, or None for anything else (cv_builder's own format included)."""
    keys = set(tree.items)
    if "person" in keys:
        return None
    if isinstance(tree.items.get("cv"), Map) and keys <= _RENDERCV_TOP:
        return RENDERCV
    if isinstance(tree.items.get("basics"), Map) or (
        keys and keys <= _JSONRESUME_TOP and not isinstance(tree.items.get("publications"), Map)
    ):
        return JSONRESUME
    return None


def foreign_file(tree: Map, file: str) -> Problem | None:
    """For check and build: a RenderCV or JSON Resume file named as cv.yaml, and how to import it."""
    kind = kind_of(tree)
    if kind is None:
        return None
    return Problem(
        f"this looks like a {kind} file, not a cv_builder cv.yaml",
        file,
        1,
        1,
        hint=f"convert it once, then build the result: python -m cv_builder import {file} "
        f"(writes data/cv.yaml and data/publications.bib)",
    )
