"""The command line's arguments: the parser, and the build Options they stand for."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import __version__
from ..options import Options

COMMANDS = ("build", "check", "themes", "init", "schema", "import", "export")


def _build_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, default=None, metavar="FILE", help="the CV's YAML file (default: data/cv.yaml)")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        metavar="FILE",
        help="where to write the PDF (default: output/cv.pdf, or output/cv-VARIANT.pdf "
        "with --variant); cv.tex goes beside it",
    )
    p.add_argument(
        "--engine",
        default="auto",
        choices=["auto", "pdflatex", "xelatex", "lualatex", "embedded"],
        help="TeX engine (default: auto, the fastest that can set every character)",
    )
    p.add_argument("--theme", default=None, help="theme name (default: design.theme in the YAML)")
    p.add_argument(
        "--template-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="your own templates; files here shadow the theme's by name",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop the TeX engine after this long a pass (default: 60, and 30 more "
        "per MB of LaTeX past the first, for very long lists)",
    )
    p.add_argument(
        "--max-pages",
        type=_positive,
        default=None,
        metavar="N",
        help="fail with exit code 4, writing nothing, when the PDF has more than N pages",
    )
    p.add_argument(
        "--site",
        type=Path,
        default=None,
        metavar="FILE",
        help="also update this HTML or Markdown page between its <!-- cv:start/end --> "
        "and <!-- publications:start/end --> markers",
    )
    p.add_argument(
        "--pdf-url",
        default=None,
        metavar="URL",
        help="the --site page's link to the PDF (default: the relative path from the page)",
    )
    p.add_argument(
        "--al-folio",
        type=Path,
        default=None,
        metavar="SITE_DIR",
        help="also publish into this al-folio checkout: the PDF to assets/pdf/, "
        "_data/resume.json, and cv_pdf: in the CV page's front matter",
    )
    p.add_argument(
        "--al-folio-pdf",
        default="cv.pdf",
        metavar="NAME",
        help="the PDF's file name in the site's assets/pdf/ (default: cv.pdf)",
    )
    p.add_argument(
        "--variant",
        default=None,
        metavar="NAME",
        help="build one of the variants defined in the YAML (to output/cv-NAME.pdf)",
    )
    p.add_argument("--all-variants", action="store_true", help="build every variant, each to output/cv-NAME.pdf")
    p.add_argument(
        "--png",
        action="store_true",
        help="also write PNG previews of the pages beside the PDF (cv-1.png, cv-2.png, ...)",
    )
    p.add_argument("--png-dpi", type=_dpi, default=110, metavar="DPI", help="resolution of --png (default: 110)")
    p.add_argument("--no-cache", action="store_true", help="ignore and do not update the build cache in output/.cache/")
    p.add_argument(
        "--watch", action="store_true", help="rebuild whenever the data, the .bib or a template changes (Ctrl-C stops)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print only warnings and errors")
    p.add_argument("--strict", action="store_true", help=STRICT_HELP)
    p.add_argument("--debug", action="store_true", help="show a traceback on errors")


STRICT_HELP = (
    "an imperfect .bib entry (no year, no author, a duplicated key, ...) is an error (exit 1) "
    "instead of a warning; for CI"
)


def _dir_arg(p: argparse.ArgumentParser) -> None:
    """DIR of init and import: where cv.yaml and publications.bib are written."""
    p.add_argument(
        "dir",
        nargs="?",
        type=Path,
        default=Path("data"),
        metavar="DIR",
        help="where to write them (default: data, which the build reads by default)",
    )


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of pages (1 or more), got {text!r}")
    return int(text)


def _dpi(text: str) -> int:
    value = int(text) if text.isdigit() else 0
    if not 20 <= value <= 1200:
        raise argparse.ArgumentTypeError(f"{text!r} is not a resolution from 20 to 1200")
    return value


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with `command`, only that command's part (building all costs ~10 ms)."""
    p = argparse.ArgumentParser(
        prog="cv_builder",
        description="Build a typeset CV (PDF) from data/cv.yaml and a BibTeX file.",
        epilog="Exit codes: 0 ok, 1 bad input, 2 usage, 3 engine failure, 4 more pages than --max-pages.",
    )
    p.add_argument("--version", action="version", version=f"cv_builder {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    wanted = COMMANDS if command is None else (command,)
    if "build" in wanted:
        _build_args(sub.add_parser("build", help="build the PDF (the default command)"))
    if "check" in wanted:
        c = sub.add_parser("check", help="validate the YAML and .bib without running TeX")
        c.add_argument("--data", type=Path, default=None, metavar="FILE")
        c.add_argument("--strict", action="store_true", help=STRICT_HELP)
        c.add_argument("--debug", action="store_true")
    if "themes" in wanted:
        t = sub.add_parser("themes", help="list the themes (built-in, and yours beside the data)")
        t.add_argument("--data", type=Path, default=None, metavar="FILE")
        t.add_argument("--debug", action="store_true")
    if "init" in wanted:
        i = sub.add_parser("init", help="write a starter cv.yaml and publications.bib that build right away")
        _dir_arg(i)
        i.add_argument("--debug", action="store_true")
    if "import" in wanted:
        m = sub.add_parser("import", help="convert a RenderCV or JSON Resume file into cv.yaml and publications.bib")
        m.add_argument("source", type=Path, metavar="SOURCE", help="the RenderCV YAML or JSON Resume file")
        _dir_arg(m)
        m.add_argument("--force", action="store_true", help="replace DIR's cv.yaml and publications.bib")
        m.add_argument("--debug", action="store_true")
    if "schema" in wanted:
        s = sub.add_parser("schema", help="write the JSON Schema of cv.yaml (for editors)")
        s.add_argument(
            "-o",
            "--output",
            type=Path,
            default=Path("cv.schema.json"),
            metavar="FILE",
            help="where to write it (default: cv.schema.json; - for stdout)",
        )
        s.add_argument("--debug", action="store_true")
    if "export" in wanted:
        e = sub.add_parser("export", help="write the CV in another format: RenderCV YAML or JSON Resume")
        e.add_argument("--format", required=True, choices=["rendercv", "jsonresume"])
        e.add_argument("--data", type=Path, default=None, metavar="FILE")
        e.add_argument("--variant", default=None, metavar="NAME", help="export this variant of the CV")
        e.add_argument(
            "-o",
            "--output",
            type=Path,
            default=None,
            metavar="FILE",
            help="where to write it (default: output/cv.rendercv.yaml or output/resume.json; - for stdout)",
        )
        e.add_argument("--debug", action="store_true")
    return p


def default_data() -> Path:
    """data/cv.yaml in the working directory (build and check say how to start when it is missing)."""
    return Path("data/cv.yaml")


def options(
    args: argparse.Namespace, data: Path, output: Path | None = None, variant: str | None = None, **extra
) -> Options:
    """The build `args` ask for (`output` and `variant`: one of the targets; `extra`: progress, early...)."""
    return Options(
        data=data,
        output=output or args.output or Path("output/cv.pdf"),
        engine=args.engine,
        theme=args.theme,
        template_dir=args.template_dir,
        timeout=args.timeout,
        max_pages=args.max_pages,
        site=args.site,
        pdf_url=args.pdf_url,
        al_folio=args.al_folio,
        al_folio_pdf=args.al_folio_pdf,
        variant=variant,
        png=args.png,
        png_dpi=args.png_dpi,
        cache=not args.no_cache,
        strict=args.strict,
        **extra,
    )
