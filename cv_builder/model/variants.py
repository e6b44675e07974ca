"""Variants: several CVs from one cv.yaml (`--variant NAME`, `--all-variants`).

A variant is a selection made on the model before anything is rendered:
which sections (by id or title), which tagged sections and entries, which
publications (a filter laid over every publications section), and design
options that replace the file's. Nothing here knows about LaTeX.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
from pathlib import Path

from ..errors import InputError, Problem
from ..paths import display_path
from . import cv as model
from .load import load_yaml


def variant_names(data: Path, wanted: str | None = None) -> list[str]:
    """The variants defined in the data file (validated); checks `wanted` exists."""
    shown = display_path(data)
    cv = model.build(load_yaml(data, shown), shown)
    if wanted is not None:
        check_name(cv, wanted)
    if not cv.variants:
        raise InputError(
            [
                Problem(
                    "no variants are defined",
                    shown,
                    0,
                    0,
                    "variants",
                    "add variants: with one entry per CV to build (see README, Variants)",
                )
            ]
        )
    return list(cv.variants)


def check_name(cv: model.CV, name: str) -> model.Variant:
    """The variant called `name`, or a located error with a did-you-mean."""
    if name in cv.variants:
        return cv.variants[name]
    close = difflib.get_close_matches(name, list(cv.variants), 1, 0.5)
    if close:
        hint = f"did you mean {close[0]!r}?"
    elif cv.variants:
        hint = "variants: " + ", ".join(cv.variants)
    else:
        hint = "define it under variants: in the YAML (see README, Variants)"
    file, line, col = cv.variants_at
    raise InputError([Problem(f"no variant named {name!r}", file, line, col, "variants", hint)])


def apply(cv: model.CV, name: str | None) -> model.CV:
    """A copy of `cv` reduced to the variant `name` (None: the CV as written)."""
    if name is None:
        return cv
    variant = check_name(cv, name)
    out = copy.copy(cv)
    wanted = None
    if variant.sections:
        wanted = {model.find_section(cv.sections, ref) for ref in variant.sections}
    sections = []
    for index, section in enumerate(cv.sections):
        if wanted is not None:
            if index not in wanted:
                continue
            section = dataclasses.replace(section, hidden=False)  # listed by name: shown
        if section.hidden or not _keep(section.tags, variant):
            continue
        kept = _filter_entries(section, variant)
        if kept is not None:
            sections.append(kept)
    out.sections = sections
    if variant.design is not None:
        out.design = override(cv.design, variant.design)
    return out


def _keep(tags: list[str], variant: model.Variant) -> bool:
    if set(tags) & set(variant.exclude_tags):
        return False
    if variant.include_tags and tags and not set(tags) & set(variant.include_tags):
        return False
    return True


def _filter_entries(section: model.Section, variant: model.Variant) -> model.Section | None:
    if section.kind == "publications":
        if variant.publications is None:
            return section
        return dataclasses.replace(section, filter=_merge_filter(section.filter, variant.publications))
    if section.kind == "text":
        return section
    entries = [e for e in section.entries if _keep(e.tags, variant)]
    groups = [dataclasses.replace(g, entries=[e for e in g.entries if _keep(e.tags, variant)]) for g in section.groups]
    groups = [g for g in groups if g.entries]
    if not entries and not groups:
        return None  # every entry was left out: no empty heading
    return dataclasses.replace(section, entries=entries, groups=groups)


def _merge_filter(base: model.PublicationFilter | None, top: model.PublicationFilter) -> model.PublicationFilter:
    merged = dataclasses.replace(base) if base is not None else model.PublicationFilter()
    for f in dataclasses.fields(model.PublicationFilter):
        value = getattr(top, f.name)
        if value not in (None, []):
            setattr(merged, f.name, value)
    return merged


def output_for(base: Path, name: str) -> Path:
    """output/cv.pdf -> output/cv-NAME.pdf"""
    return base.with_name(f"{base.stem}-{name}{base.suffix or '.pdf'}")


def override(design: model.Design, top: model.Design) -> model.Design:
    """`design` with every key `top` sets replaced (a variant's design)."""
    values = {k: getattr(top, k) for k in top.given}
    return dataclasses.replace(design, **values, given=design.given | top.given)
