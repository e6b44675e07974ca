"""Themes: folders of templates plus a theme.yaml (description, design defaults).

Themes are data, not code paths. A template name is looked up in this order,
the first file found wins:

1. ``--template-dir DIR``
2. ``latex_templates/<theme>/`` beside the data file (also how a user adds a theme)
3. ``latex_templates/`` beside the data file (shadows the file in every theme)
4. the built-in theme's folder
5. the built-in ``classic`` folder: a theme only holds the files it changes.

Design defaults: the user's cv.yaml (or variant) wins over the theme's
``defaults``, which win over the model's defaults.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, Problem, UsageError, parse_where
from ..model import cv as model
from ..model import load
from ..paths import display_path, templates_root

BASE_THEME = "classic"
USER_DIR = "latex_templates"


@dataclass
class ThemeFile:
    """theme.yaml, validated like cv.yaml (located errors)."""

    name: str | None = model.doc("the theme's name (its folder name)", None)
    description: str = model.doc("one line shown by `python -m cv_builder themes`", "")
    defaults: model.Design | None = model.doc("design options this theme sets unless cv.yaml does", None)


@dataclass
class Theme:
    """A theme: its templates' folders and its design defaults (theme.yaml)."""

    name: str
    description: str
    folders: list[Path]  # most specific first: user's folder, built-in folder
    defaults: list[model.Design]  # built-in first, user's last (later wins)


def _user_root(data_dir: Path | None) -> Path | None:
    if data_dir is None:
        return None
    root = (data_dir / USER_DIR).resolve()
    if not root.is_dir() or root == templates_root().resolve():
        return None  # data beside the built-in themes: nothing extra
    return root


def _read(theme_yaml: Path) -> ThemeFile:
    tree = load.load_yaml(theme_yaml, display_path(theme_yaml))
    v = model.Validator(str(theme_yaml))
    meta = v.record(ThemeFile, tree, "")
    if v.problems:
        raise InputError(v.problems)
    return meta


def descriptions(data_dir: Path | None = None) -> dict[str, str]:
    """Theme names (built-in, and the user's beside the data) with their one-line descriptions."""
    return {name: t.description for name, t in available(data_dir).items()}


def available(data_dir: Path | None = None) -> dict[str, Theme]:
    """Every theme by name: built-in ones, then the user's beside the data (sorted)."""
    found: dict[str, Theme] = {}
    user = _user_root(data_dir)
    roots = [templates_root()] + ([user] if user else [])
    for root in roots:
        for theme_yaml in sorted(root.glob("*/theme.yaml")):
            meta = _read(theme_yaml)
            name = theme_yaml.parent.name
            theme = found.setdefault(name, Theme(name, "", [], []))
            theme.folders.insert(0, theme_yaml.parent)
            theme.description = meta.description or theme.description
            if meta.defaults is not None:
                theme.defaults.append(meta.defaults)
    return dict(sorted(found.items()))


def get(name: str, data_dir: Path | None = None, where: str = "") -> Theme:
    """The named theme; an unknown name is an error located at `where` (design.theme)."""
    found = available(data_dir)
    if name in found:
        return found[name]
    close = difflib.get_close_matches(name, list(found), 1, 0.5)
    hint = f"did you mean {close[0]!r}?" if close else "themes: " + ", ".join(found)
    message = f"unknown theme {name!r}"
    if where:
        raise InputError([problem_at(where, message, hint)])
    raise UsageError(f"{message} (--theme); {hint}")


def problem_at(where: str, message: str, hint: str = "") -> Problem:
    """A Problem at a value's recorded `where` ("FILE:LINE:COL: path", errors.parse_where)."""
    at = parse_where(where)
    if at is None:
        return Problem(message, where, hint=hint)  # free text: printed as given
    file, line, column, path = at
    return Problem(message, file, line, column, path, hint)


def search_path(theme: Theme, template_dir: Path | None = None, data_dir: Path | None = None) -> list[Path]:
    dirs: list[Path] = [template_dir] if template_dir else []
    user = _user_root(data_dir)
    builtin = [f for f in theme.folders if f.parent.resolve() == templates_root().resolve()]
    dirs += [f for f in theme.folders if f not in builtin]  # the user's latex_templates/<theme>/
    if user:
        dirs.append(user)
    dirs += builtin
    base = templates_root() / BASE_THEME
    if base not in dirs:
        dirs.append(base)
    return dirs


def with_defaults(design: model.Design, theme: Theme) -> model.Design:
    """The design with the theme's defaults filled in where cv.yaml is silent."""
    values = {}
    for defaults in theme.defaults:
        values.update({k: getattr(defaults, k) for k in defaults.given})
    values.update({k: getattr(design, k) for k in design.given})
    return dataclasses.replace(design, **values)
