"""Command line: parse arguments, wire the stages, print problems without tracebacks."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from ..errors import EXIT_OK, EXIT_USAGE, CVError, InputError, UsageError
from ..incremental import ahead, interpreter, noop
from ..publish.atomic import atomic_write
from .args import COMMANDS, default_data, options, parser

# A command imports its stages when chosen (the imports inside _dispatch, _build_all and
# _targets): cv_builder.build costs ~60 ms (jinja2 ~34, yaml ~11), which a no-op build
# never pays and the engine started ahead must not wait for.

START_HINT = (
    "no data/cv.yaml here, so there is nothing to build. To start:\n"
    "  python -m cv_builder init               a blank CV to fill in (data/cv.yaml, data/publications.bib)\n"
    "  python -m cv_builder import FILE        your RenderCV or JSON Resume CV, converted\n"
    "  python -m cv_builder --data FILE        build a cv.yaml kept elsewhere"
)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "build")  # `python -m cv_builder --engine lualatex` means build
    try:
        args = parser(argv[0] if argv[0] in COMMANDS else None).parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else EXIT_USAGE
    try:
        with contextlib.nullcontext() if getattr(args, "watch", False) else interpreter.relaxed_gc():
            return _dispatch(args)  # --watch relaxes the collector for each rebuild only
    except CVError as exc:
        if getattr(args, "debug", False):
            import traceback  # ~2 ms (with linecache, tokenize), only for --debug

            traceback.print_exc()
        _print_error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        print("cv_builder: interrupted; output/ was left as it was", file=sys.stderr)
        return 130


def run() -> None:
    """The `python -m cv_builder` and `cv-builder` entry point."""
    interpreter.exit_fast(main())


def _print_error(exc: CVError) -> None:
    if isinstance(exc, InputError):
        n = len(exc.problems)
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"cv_builder: {n} problem{'s' if n != 1 else ''} in the input; nothing was written", file=sys.stderr)
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
        from ..model.schema import schema_text

        if str(args.output) == "-":
            sys.stdout.write(schema_text())
        else:
            atomic_write(args.output, schema_text().encode("utf-8"))
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

        return watch(args, data, _print_error, start_build)
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
    if (
        args.no_cache or args.variant or args.all_variants or args.site or args.al_folio or args.strict
    ):  # those check in the build
        return False, None, False
    opts = options(args, data)  # variant None: the one build a no-op check stands for
    output = opts.output
    key, dirs = noop.build_key(opts)
    # An edited data file: the build runs, no need for the full no-op check. Otherwise
    # that check first; a build that has to run then starts its engine, which loads
    # while the build stages import and render.
    if not noop.data_changed(key, output) and _up_to_date(args, output, key, dirs):
        return True, None, True
    return False, ahead.start_early(key, data, output, args.engine), True


def _build_all(args: argparse.Namespace, data: Path, early, checked: bool = False) -> int:
    from ..build import run_build

    quiet = args.quiet

    def progress(line: str) -> None:
        if not quiet:
            print(line, file=sys.stderr)

    def build_one(output: Path, variant: str | None) -> None:
        result = run_build(options(args, data, output, variant, progress=progress, early=early, checked=checked))
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        if result.summary and not quiet:
            print(result.summary, file=sys.stderr)
        if not quiet:
            print(
                f"wrote {result.pdf} ({result.pages} page{'s' if result.pages != 1 else ''}) "
                f"and {result.tex}{' and PNG previews' if args.png else ''}"
                + (f"; updated {args.site}" if args.site else "")
                + (f"; published to {args.al_folio}" if args.al_folio else ""),
                file=sys.stderr,
            )

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
    hit = noop.unchanged(key, output, dirs)
    if not hit:
        return False
    for warning in hit["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    if not args.quiet:
        print(
            f"{output} is up to date ({hit['pages']} page{'s' if hit['pages'] != 1 else ''}); nothing to do",
            file=sys.stderr,
        )
    return True
