"""--watch: rebuild whenever the data, the .bib or a template changes.

Each rebuild is an ordinary cached build (warm .aux, precompiled preamble), so it
runs at warm-build speed. A failed build prints its located error and leaves the
last good PDF in place; watching goes on until Ctrl-C.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from ..errors import EXIT_OK, CVError
from ..paths import display_path, templates_root


def watch(args: argparse.Namespace, data: Path, print_error: Callable[[CVError], None]) -> int:
    import watchfiles

    from ..incremental import cache
    from ..build import Options, run_build

    def say(line: str) -> None:
        if not args.quiet:
            print(line, file=sys.stderr, flush=True)

    output = args.output or Path("output/cv.pdf")
    opts = Options(data=data, output=output, engine=args.engine, theme=args.theme,
                   template_dir=args.template_dir, timeout=args.timeout, cache=not args.no_cache,
                   max_pages=args.max_pages, site=args.site, pdf_url=args.pdf_url,
                   al_folio=args.al_folio, al_folio_pdf=args.al_folio_pdf, variant=args.variant, png=args.png,
                   png_dpi=args.png_dpi, progress=say, strict=args.strict)
    output_dir = output.resolve().parent

    def build() -> None:
        from .main import start_build

        early = None
        try:
            # As a command-line build: the engine starts (and begins the document) while
            # the data is read and rendered.
            done, early, opts.checked = start_build(args, data)
            if done:
                return
            opts.early = early
            result = run_build(opts)
        except CVError as exc:
            print_error(exc)
            sys.stderr.flush()
            return
        except OSError as exc:  # e.g. a file vanished mid-save: report it, keep watching
            print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr, flush=True)
            return
        finally:
            if early is not None:
                early.close()  # run_build has closed it, unless it failed before
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        say(f"wrote {result.pdf} ({result.pages} page{'s' if result.pages != 1 else ''})")

    def relevant(change, path: str) -> bool:
        p = Path(path)
        if p.name.startswith(".") or p.name.endswith(("~", ".swp", ".tmp")):
            return False  # editors' and our own temporary files
        return output_dir not in p.resolve().parents  # our own writes never trigger a build

    try:
        build()
        paths = {data.resolve().parent, templates_root()}
        if args.template_dir:
            paths.add(args.template_dir.resolve())
        paths.update(Path(p).parent for p in bib_paths(opts) if Path(p).parent.is_dir())
        say(f"watching {', '.join(sorted(display_path(p) for p in paths))} (Ctrl-C to stop)")
        for _changes in watchfiles.watch(*paths, watch_filter=relevant, debounce=150, step=50,
                                         raise_interrupt=True):
            build()
    except KeyboardInterrupt:
        say("stopped watching")
    return EXIT_OK


def bib_paths(opts) -> list[str]:
    """The .bib the last build read (recorded by the cache), to watch it where it lives."""
    from ..incremental import cache

    from ..build import build_key

    key, _ = build_key(opts)
    state = cache.read_json(cache.root(opts.output) / "noop" / f"{key[:32]}.json") or {}
    return [p for p in state.get("deps_list", []) if p.endswith(".bib")]

