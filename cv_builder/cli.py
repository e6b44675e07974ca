"""Command line: parse arguments, wire the stages, print problems without tracebacks."""
from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

from . import __version__
from .errors import EXIT_OK, EXIT_USAGE, CVError, InputError, UsageError

COMMANDS = ("build", "check", "themes", "init", "schema")


def _build_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, default=None, metavar="FILE",
                   help="the CV's YAML file (default: data/cv.yaml)")
    p.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                   help="where to write the PDF (default: output/cv.pdf, or output/cv-VARIANT.pdf "
                        "with --variant); cv.tex goes beside it")
    p.add_argument("--engine", default="auto", choices=["auto", "pdflatex", "xelatex", "lualatex", "embedded"],
                   help="TeX engine (default: auto, the fastest that can set every character)")
    p.add_argument("--theme", default=None, help="theme name (default: design.theme in the YAML)")
    p.add_argument("--template-dir", type=Path, default=None, metavar="DIR",
                   help="your own templates; files here shadow the theme's by name")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="stop the TeX engine after this long a pass (default: 60, and 30 more "
                        "per MB of LaTeX past the first, for very long lists)")
    p.add_argument("--max-pages", type=_positive, default=None, metavar="N",
                   help="fail with exit code 4, writing nothing, when the PDF has more than N pages")
    p.add_argument("--site", type=Path, default=None, metavar="FILE",
                   help="also update this HTML or Markdown page between its <!-- cv:start/end --> "
                        "and <!-- publications:start/end --> markers")
    p.add_argument("--pdf-url", default=None, metavar="URL",
                   help="the --site page's link to the PDF (default: the relative path from the page)")
    p.add_argument("--variant", default=None, metavar="NAME",
                   help="build one of the variants defined in the YAML (to output/cv-NAME.pdf)")
    p.add_argument("--all-variants", action="store_true",
                   help="build every variant, each to output/cv-NAME.pdf")
    p.add_argument("--png", action="store_true",
                   help="also write PNG previews of the pages beside the PDF (cv-1.png, cv-2.png, ...)")
    p.add_argument("--png-dpi", type=_dpi, default=110, metavar="DPI", help="resolution of --png (default: 110)")
    p.add_argument("--no-cache", action="store_true",
                   help="ignore and do not update the build cache in output/.cache/")
    p.add_argument("--watch", action="store_true",
                   help="rebuild whenever the data, the .bib or a template changes (Ctrl-C stops)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only warnings and errors")
    p.add_argument("--debug", action="store_true", help="show a traceback on errors")


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
        epilog="Exit codes: 0 ok, 1 bad input, 2 usage, 3 engine failure, 4 more pages than --max-pages.")
    p.add_argument("--version", action="version", version=f"cv_builder {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    wanted = COMMANDS if command is None else (command,)
    if "build" in wanted:
        _build_args(sub.add_parser("build", help="build the PDF (the default command)"))
    if "check" in wanted:
        c = sub.add_parser("check", help="validate the YAML and .bib without running TeX")
        c.add_argument("--data", type=Path, default=None, metavar="FILE")
        c.add_argument("--debug", action="store_true")
    if "themes" in wanted:
        t = sub.add_parser("themes", help="list the themes (built-in, and yours beside the data)")
        t.add_argument("--data", type=Path, default=None, metavar="FILE")
        t.add_argument("--debug", action="store_true")
    if "init" in wanted:
        i = sub.add_parser("init", help="write a starter cv.yaml and publications.bib that build right away")
        i.add_argument("dir", nargs="?", type=Path, default=Path("data"), metavar="DIR",
                       help="where to write them (default: data, which the build reads by default)")
        i.add_argument("--debug", action="store_true")
    if "schema" in wanted:
        s = sub.add_parser("schema", help="write the JSON Schema of cv.yaml (for editors)")
        s.add_argument("-o", "--output", type=Path, default=Path("cv.schema.json"), metavar="FILE",
                       help="where to write it (default: cv.schema.json; - for stdout)")
        s.add_argument("--debug", action="store_true")
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
        args = parser(argv[0] if argv[0] in COMMANDS else None).parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else EXIT_USAGE
    # A build makes some 10^5 short-lived objects and ends with the process: the cyclic
    # collector's default (a pass every 700 allocations) took ~15% of the 1,000-publication
    # stages, for no memory saved. Rarer passes, as mypy sets them; back as they were after.
    thresholds = gc.get_threshold()
    gc.set_threshold(200_000, 30, 30)
    try:
        return _dispatch(args)
    except CVError as exc:
        if getattr(args, "debug", False):
            import traceback

            traceback.print_exc()
        _print_error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        print("cv_builder: interrupted; output/ was left as it was", file=sys.stderr)
        return 130
    finally:
        gc.set_threshold(*thresholds)


def run() -> None:
    """The `python -m cv_builder` and `cv-builder` entry point: main(), then exit_fast()."""
    exit_fast(main())


def exit_fast(code: int) -> None:
    """End the process without tearing the interpreter down: freeing every module and
    object costs ~30 ms after the work is done, and the OS frees them anyway. All files
    are closed by then (`with`); the standard streams are flushed here."""
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`): nothing left to say
            pass
    os._exit(code)


def _print_error(exc: CVError) -> None:
    if isinstance(exc, InputError):
        n = len(exc.problems)
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"cv_builder: {n} problem{'s' if n != 1 else ''} in the input; nothing was written",
              file=sys.stderr)
    else:
        print(f"error: {exc}", file=sys.stderr)
        if type(exc).__name__ != "ExistsError":  # init: the message already says nothing was written
            print("cv_builder: the build failed; output/ was left as it was", file=sys.stderr)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "init":
        from .starter import init

        for line in init(args.dir):
            print(line, file=sys.stderr)
        return EXIT_OK
    if args.command == "schema":
        from .schema import write_schema

        write_schema(args.output)
        if str(args.output) != "-":
            print(f"wrote {args.output}", file=sys.stderr)
        return EXIT_OK
    data = args.data or default_data()
    if args.command == "themes":
        from .render import themes

        for name, description in themes(data.parent).items():
            print(f"{name:<10} {description}")
        return EXIT_OK
    if args.command == "check":
        from .build import check

        for warning in check(data):
            print(f"warning: {warning}", file=sys.stderr)
        print(f"{data}: ok", file=sys.stderr)
        return EXIT_OK
    if args.watch:
        from .watch import watch

        return watch(args, data, _print_error)
    done, early, checked = start_build(args, data)
    if done:
        return EXIT_OK
    try:
        return _build_all(args, data, early, checked=checked)
    finally:
        if early is not None:
            early.close()


def start_build(args: argparse.Namespace, data: Path):
    """(up to date, engine started ahead or None, no-op check done): what a build does
    before the build stages are even imported (also each rebuild of --watch)."""
    if args.no_cache or args.variant or args.all_variants or args.site:  # those check in the build
        return False, None, False
    from . import cache

    output = args.output or Path("output/cv.pdf")
    key, dirs = cache.build_key(data, output, args.engine, args.template_dir, args.theme, None, args.png,
                                args.png_dpi, args.max_pages, args.pdf_url)
    # An edited data file: the build runs, no need for the full no-op check. Otherwise
    # that check first; a build that has to run then starts its engine, which loads
    # while the build stages import and render.
    if not cache.data_changed(key, output) and _up_to_date(args, output, key, dirs):
        return True, None, True
    return False, cache.start_early(key, data, output, args.engine), True


def _build_all(args: argparse.Namespace, data: Path, early, checked: bool = False) -> int:
    from .build import Options, run_build

    quiet = args.quiet

    def progress(line: str) -> None:
        if not quiet:
            print(line, file=sys.stderr)

    def build_one(output: Path, variant: str | None) -> None:
        result = run_build(Options(data=data, output=output, engine=args.engine, theme=args.theme,
                                   template_dir=args.template_dir, timeout=args.timeout, progress=progress,
                                   max_pages=args.max_pages, site=args.site, pdf_url=args.pdf_url,
                                   variant=variant, png=args.png, png_dpi=args.png_dpi,
                                   cache=not args.no_cache, early=early, checked=checked))
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        if not quiet:
            print(f"wrote {result.pdf} ({result.pages} page{'s' if result.pages != 1 else ''}) "
                  f"and {result.tex}{' and PNG previews' if args.png else ''}"
                  + (f"; updated {args.site}" if args.site else ""), file=sys.stderr)

    for output, variant in _targets(args, data):
        build_one(output, variant)
    return EXIT_OK


def _targets(args: argparse.Namespace, data: Path) -> list[tuple[Path, str | None]]:
    """(output, variant) pairs: one build, one variant, or every variant."""
    from .variants import output_for, variant_names

    base = args.output or Path("output/cv.pdf")
    if args.all_variants:
        if args.variant:
            raise UsageError("use either --variant NAME or --all-variants")
        return [(output_for(base, name), name) for name in variant_names(data)]
    if args.variant:
        variant_names(data, args.variant)  # an unknown name fails before anything is built
        return [(args.output or output_for(base, args.variant), args.variant)]
    return [(base, None)]


def _up_to_date(args: argparse.Namespace, output: Path, key: str, dirs: list[Path]) -> bool:
    """Nothing changed since the last build: say so, without importing the build stages."""
    from . import cache

    hit = cache.unchanged(key, output, dirs)
    if not hit:
        return False
    for warning in hit["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    if not args.quiet:
        print(f"{output} is up to date ({hit['pages']} page{'s' if hit['pages'] != 1 else ''}); "
              "nothing to do", file=sys.stderr)
    return True
