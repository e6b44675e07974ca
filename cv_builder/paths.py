"""Where things are: the package's own folders, the built-in templates, paths as users type them."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import CVError

PACKAGE_DIR = Path(__file__).resolve().parent
STARTER_DIR = PACKAGE_DIR / "starter"
HOMEPAGE_TEMPLATES_DIR = PACKAGE_DIR / "homepage_templates"


def templates_root() -> Path:
    """latex_templates/ inside the installed package, else beside it in a checkout."""
    for candidate in (PACKAGE_DIR / "latex_templates", PACKAGE_DIR.parent / "latex_templates"):
        if candidate.is_dir():
            return candidate
    raise CVError("the built-in templates are missing (latex_templates/); reinstall cv_builder")


def display_path(path: Path | str) -> str:
    """A path as the user would type it: relative to the working directory when possible."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)
