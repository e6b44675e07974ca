"""One build's settings, as the command line (or a caller of build.run_build) gives them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for the annotation: incremental imports this module
    from .incremental.ahead import Early


@dataclass
class Options:
    """One build's settings (the command line's, as the build reads them)."""

    data: Path = Path("data/cv.yaml")
    output: Path = Path("output/cv.pdf")
    engine: str = "auto"
    theme: str | None = None
    template_dir: Path | None = None
    timeout: float | None = None  # seconds a pass; None: engine.default_timeout
    max_pages: int | None = None  # fail (exit 4) when the PDF is longer
    site: Path | None = None  # an HTML/Markdown page whose marked regions the build fills
    al_folio: Path | None = None  # an al-folio checkout that gets the PDF, _data/resume.json and cv_pdf
    al_folio_pdf: str = "cv.pdf"  # the PDF's name in its assets/pdf/
    pdf_url: str | None = None  # the site's link to the PDF (default: relative path)
    variant: str | None = None  # a name from variants: in the YAML
    png: bool = False  # also write PNG previews of the pages
    png_dpi: int = 110
    cache: bool = True  # output/.cache/ (cv_builder/incremental/); --no-cache turns it off
    early: Early | None = None  # the engine the CLI started ahead; run_build closes it
    checked: bool = False  # the CLI found the last build out of date just now: no second no-op check
    strict: bool = False  # an imperfect .bib entry is an error (exit 1), not a warning: for CI
    progress: Callable[[str], None] = lambda line: None

    def key_options(self) -> tuple:
        """Every setting besides data, output, engine and templates that changes what the
        build writes: part of the no-op key (incremental.noop.build_key)."""
        # --al-folio adds to the key (its site files and warnings are not a plain build's);
        # without it the key stays the one the CLI's no-op check computes.
        site = (str(self.al_folio.resolve()), self.al_folio_pdf) if self.al_folio else ()
        return (self.theme, self.variant, self.png, self.png_dpi, self.max_pages, self.pdf_url, *site)
