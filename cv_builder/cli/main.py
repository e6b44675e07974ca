"""Command line: parse arguments, wire the stages, print problems without tracebacks."""
from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

from .. import __version__
from ..errors import EXIT_OK, EXIT_USAGE, CVError, InputError, UsageError

COMMANDS = ("build", "check", "themes", "init", "schema", "import", "export")


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
    p.add_argument("--al-folio", type=Path, default=None, metavar="SITE_DIR",
                   help="also publish into this al-folio checkout: the PDF to assets/pdf/, "
                        "_data/resume.json, and cv_pdf: in the CV page's front matter")
    p.add_argument("--al-folio-pdf", default="cv.pdf", metavar="NAME",
                   help="the PDF's file name in the site's assets/pdf/ (default: cv.pdf)")
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
    p.add_argument("--strict", action="store_true", help=STRICT_HELP)
    p.add_argument("--debug", action="store_true", help="show a traceback on errors")


STRICT_HELP = ("an imperfect .bib entry (no year, no author, a duplicated key, ...) is an error (exit 1) "
               "instead of a warning; for CI")


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
        c.add_argument("--strict", action="store_true", help=STRICT_HELP)
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
    if "import" in wanted:
        m = sub.add_parser("import", help="convert a RenderCV or JSON Resume file into cv.yaml and publications.bib")
        m.add_argument("source", type=Path, metavar="SOURCE", help="the RenderCV YAML or JSON Resume file")
        m.add_argument("dir", nargs="?", type=Path, default=Path("data"), metavar="DIR",
                       help="where to write them (default: data, which the build reads by default)")
        m.add_argument("--force", action="store_true", help="replace DIR's cv.yaml and publications.bib")
        m.add_argument("--debug", action="store_true")
    if "schema" in wanted:
        s = sub.add_parser("schema", help="write the JSON Schema of cv.yaml (for editors)")
        s.add_argument("-o", "--output", type=Path, default=Path("cv.schema.json"), metavar="FILE",
                       help="where to write it (default: cv.schema.json; - for stdout)")
        s.add_argument("--debug", action="store_true")
    if "export" in wanted:
        e = sub.add_parser("export", help="write the CV in another format: RenderCV YAML or JSON Resume")
        e.add_argument("--format", required=True, choices=["rendercv", "jsonresume"])
        e.add_argument("--data", type=Path, default=None, metavar="FILE")
        e.add_argument("--variant", default=None, metavar="NAME", help="export this variant of the CV")
        e.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                       help="where to write it (default: output/cv.rendercv.yaml or output/resume.json; - for stdout)")
        e.add_argument("--debug", action="store_true")
    return p


def default_data() -> Path:
    """data/cv.yaml in the working directory (build and check say how to start when it is missing)."""
    return Path("data/cv.yaml")


START_HINT = ("no data/cv.yaml here, so there is nothing to build. To start:\n"
              "  python -m cv_builder init               a blank CV to fill in (data/cv.yaml, data/publications.bib)\n"
              "  python -m cv_builder import FILE        your RenderCV or JSON Resume CV, converted\n"
              "  python -m cv_builder --data FILE        build a cv.yaml kept elsewhere")


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
        if type(exc).__name__ != "ExistsError":  # init, import: the message says nothing was written
            print("cv_builder: the build failed; output/ was left as it was", file=sys.stderr)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "init":
        from .init import init

        for line in init(args.dir):
            print(line, file=sys.stderr)
        return EXIT_OK
    if args.command == "import":
        from ..interchange.importer import run_import

        warnings, lines = run_import(args.source, args.dir, args.force)
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        for line in lines:
            print(line, file=sys.stderr)
        return EXIT_OK
    if args.command == "schema":
        from ..model.schema import write_schema

        write_schema(args.output)
        if str(args.output) != "-":
            print(f"wrote {args.output}", file=sys.stderr)
        return EXIT_OK
    data = args.data or default_data()
    if args.data is None and args.command in ("build", "check") and not data.is_file():
        print(f"cv_builder: {START_HINT}", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "themes":
        from ..typeset.themes import descriptions

        for name, description in descriptions(data.parent).items():
            print(f"{name:<10} {description}")
        return EXIT_OK
    if args.command == "export":
        from .export import export

        written = export(data, args.format, args.output, args.variant)
        if written:
            print(f"wrote {written}", file=sys.stderr)
        return EXIT_OK
    if args.command == "check":
        from ..build import check

        stats: dict = {}
        for warning in check(data, args.strict, stats):
            print(f"warning: {warning}", file=sys.stderr)
        if stats.get("summary"):
            print(stats["summary"], file=sys.stderr)
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
    if args.no_cache or args.variant or args.all_variants or args.site or args.al_folio or args.strict:  # those check in the build
        return False, None, False
    from ..incremental import cache

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
    from ..build import Options, run_build

    quiet = args.quiet

    def progress(line: str) -> None:
        if not quiet:
            print(line, file=sys.stderr)

    def build_one(output: Path, variant: str | None) -> None:
        result = run_build(Options(data=data, output=output, engine=args.engine, theme=args.theme,
                                   template_dir=args.template_dir, timeout=args.timeout, progress=progress,
                                   max_pages=args.max_pages, site=args.site, pdf_url=args.pdf_url,
                                   al_folio=args.al_folio, al_folio_pdf=args.al_folio_pdf,
                                   variant=variant, png=args.png, png_dpi=args.png_dpi,
                                   cache=not args.no_cache, early=early, checked=checked, strict=args.strict))
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        if result.summary and not quiet:
            print(result.summary, file=sys.stderr)
        if not quiet:
            print(f"wrote {result.pdf} ({result.pages} page{'s' if result.pages != 1 else ''}) "
                  f"and {result.tex}{' and PNG previews' if args.png else ''}"
                  + (f"; updated {args.site}" if args.site else "")
                  + (f"; published to {args.al_folio}" if args.al_folio else ""), file=sys.stderr)

    for output, variant in _targets(args, data):
        build_one(output, variant)
    return EXIT_OK


def _targets(args: argparse.Namespace, data: Path) -> list[tuple[Path, str | None]]:
    """(output, variant) pairs: one build, one variant, or every variant."""
    from ..model.variants import output_for, variant_names

    base = args.output or Path("output/cv.pdf")
    if args.al_folio and args.all_variants:
        raise UsageError("--al-folio publishes one CV: use it with one --variant NAME, or without")
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
    from ..incremental import cache

    hit = cache.unchanged(key, output, dirs)
    if not hit:
        return False
    for warning in hit["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    if not args.quiet:
        print(f"{output} is up to date ({hit['pages']} page{'s' if hit['pages'] != 1 else ''}); "
              "nothing to do", file=sys.stderr)
    return True
