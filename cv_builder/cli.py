"""Command line: parse arguments, wire the stages, print problems without tracebacks."""
from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from . import __version__
from .errors import EXIT_OK, EXIT_USAGE, CVError, InputError

COMMANDS = ("build", "check", "themes")


def _build_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, default=None, metavar="FILE",
                   help="the CV's YAML file (default: data/cv.yaml)")
    p.add_argument("-o", "--output", type=Path, default=Path("output/cv.pdf"), metavar="FILE",
                   help="where to write the PDF (default: output/cv.pdf); cv.tex goes beside it")
    p.add_argument("--engine", default="auto", choices=["auto", "pdflatex", "xelatex", "lualatex", "embedded"],
                   help="TeX engine (default: auto, the fastest that can set every character)")
    p.add_argument("--theme", default=None, help="theme name (default: design.theme in the YAML)")
    p.add_argument("--template-dir", type=Path, default=None, metavar="DIR",
                   help="your own templates; files here shadow the theme's by name")
    p.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                   help="stop the TeX engine after this long (default: 60)")
    p.add_argument("--no-cache", action="store_true",
                   help="ignore and do not update the build cache in output/.cache/")
    p.add_argument("--watch", action="store_true",
                   help="rebuild whenever the data, the .bib or a template changes (Ctrl-C stops)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only warnings and errors")
    p.add_argument("--debug", action="store_true", help="show a traceback on errors")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cv_builder",
        description="Build a typeset CV (PDF) from data/cv.yaml and a BibTeX file.",
        epilog="Exit codes: 0 ok, 1 bad input, 2 usage, 3 engine failure.")
    p.add_argument("--version", action="version", version=f"cv_builder {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    b = sub.add_parser("build", help="build the PDF (the default command)")
    _build_args(b)
    c = sub.add_parser("check", help="validate the YAML and .bib without running TeX")
    c.add_argument("--data", type=Path, default=None, metavar="FILE")
    c.add_argument("--debug", action="store_true")
    t = sub.add_parser("themes", help="list the built-in themes")
    t.add_argument("--debug", action="store_true")
    return p


def default_data() -> Path:
    """data/cv.yaml in the working directory, else the sample shipped with the package."""
    local = Path("data/cv.yaml")
    if local.is_file():
        return local
    from .render import PACKAGE_DIR

    for candidate in (PACKAGE_DIR / "data" / "cv.yaml", PACKAGE_DIR.parent / "data" / "cv.yaml"):
        if candidate.is_file():
            return candidate
    return local


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "build")  # `python -m cv_builder --engine lualatex` means build
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else EXIT_USAGE
    try:
        return _dispatch(args)
    except CVError as exc:
        if getattr(args, "debug", False):
            traceback.print_exc()
        _print_error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        print("cv_builder: interrupted; output/ was left as it was", file=sys.stderr)
        return 130


def _print_error(exc: CVError) -> None:
    if isinstance(exc, InputError):
        n = len(exc.problems)
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"cv_builder: {n} problem{'s' if n != 1 else ''} in the input; nothing was written",
              file=sys.stderr)
    else:
        print(f"error: {exc}", file=sys.stderr)
        print("cv_builder: the build failed; output/ was left as it was", file=sys.stderr)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "themes":
        from .render import themes

        for name, description in themes().items():
            print(f"{name:<10} {description}")
        return EXIT_OK
    data = args.data or default_data()
    if args.command == "check":
        from .build import check

        for warning in check(data):
            print(f"warning: {warning}", file=sys.stderr)
        print(f"{data}: ok", file=sys.stderr)
        return EXIT_OK
    if args.watch:
        from .watch import watch

        return watch(args, data, _print_error)
    if not args.no_cache and _up_to_date(args, data):
        return EXIT_OK
    from .build import Options, run_build

    quiet = args.quiet

    def progress(line: str) -> None:
        if not quiet:
            print(line, file=sys.stderr)

    result = run_build(Options(data=data, output=args.output, engine=args.engine, theme=args.theme,
                               template_dir=args.template_dir, timeout=args.timeout,
                               cache=not args.no_cache, progress=progress))
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not quiet:
        print(f"wrote {result.pdf} ({result.pages} page{'s' if result.pages != 1 else ''}) "
              f"and {result.tex}", file=sys.stderr)
    return EXIT_OK


def _up_to_date(args: argparse.Namespace, data: Path) -> bool:
    """Nothing changed since the last build: say so without importing the build stages."""
    from . import cache

    key = cache.noop_key(data, args.output, args.engine, args.theme, args.template_dir)
    hit = cache.unchanged(key, args.output, args.template_dir)
    if not hit:
        return False
    for warning in hit["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    if not args.quiet:
        print(f"{args.output} is up to date ({hit['pages']} page{'s' if hit['pages'] != 1 else ''}); "
              "nothing to do", file=sys.stderr)
    return True
