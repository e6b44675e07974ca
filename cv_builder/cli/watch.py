"""--watch: rebuild whenever the data, the .bib or a template changes.

Each rebuild is an ordinary cached build (warm .aux, precompiled preamble), so it
runs at warm-build speed. A failed build prints its located error and leaves the
last good PDF in place; watching goes on until Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import watchfiles

from ..build import run_build
from ..errors import EXIT_OK, CVError
from ..incremental import interpreter, noop
from ..paths import display_path, templates_root
from .args import options


def watch(
    args: argparse.Namespace,
    data: Path,
    print_error: Callable[[CVError], None],
    start_build: Callable[[argparse.Namespace, Path], tuple],
) -> int:
    """Build, then rebuild on every change; `start_build`: the command line's no-op check and early start."""

    def say(line: str) -> None:
        if not args.quiet:
            print(line, file=sys.stderr, flush=True)

    opts = options(args, data, variant=args.variant, progress=say)
    output_dir = opts.output.resolve().parent

    def build() -> None:
        early = None
        try:
            # As a command-line build: the engine starts (and begins the document) while
            # the data is read and rendered.
            done, early, opts.checked = start_build(args, data)
            if done:
                return
            opts.early = early
            with interpreter.relaxed_gc():
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
        paths.update(Path(p).parent for p in noop.watched_bibs(opts) if Path(p).parent.is_dir())
        say(f"watching {', '.join(sorted(display_path(p) for p in paths))} (Ctrl-C to stop)")
        for _changes in watchfiles.watch(*paths, watch_filter=relevant, debounce=150, step=50, raise_interrupt=True):
            build()
    except KeyboardInterrupt:
        say("stopped watching")
    return EXIT_OK
