#!/usr/bin/env python3
"""Compare what two PDFs show a reader: pages, text, fonts, links and metadata.

A change that should not alter the output (a refactor, another way of writing links) is
checked by building the same CV before and after and comparing the two PDFs:

    python benchmarks/compare_output.py before.pdf after.pdf [more pairs...]
    python benchmarks/compare_output.py --dirs before/ after/     # every *.pdf in both

It compares the page count and page sizes, the text (pdftotext -layout, page by page),
the fonts (pdffonts: name without the subset tag, type, encoding, embedded/subset/Unicode
flags), the links (each page's /URI targets and their rectangles, to 0.01pt) and the
document information (/Title, /Author, /Subject, /Keywords, /Creator, /Producer as
decoded strings). It also says whether the files are byte-identical. Exit status 0 when
every pair matches, 1 when one differs (each difference is printed), 2 on bad usage.
Needs pypdf and poppler-utils (pdftotext, pdffonts).
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader

INFO_KEYS = ("/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/Producer")


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=True, encoding="utf-8", errors="replace").stdout


def pages(reader: PdfReader) -> list[tuple[float, float]]:
    return [(round(float(p.mediabox.width), 2), round(float(p.mediabox.height), 2)) for p in reader.pages]


def text(path: Path, count: int) -> list[str]:
    return [
        _run("pdftotext", "-layout", "-enc", "UTF-8", "-f", str(n), "-l", str(n), str(path), "-")
        for n in range(1, count + 1)
    ]


def fonts(path: Path) -> list[str]:
    """pdffonts' rows without the object numbers and with the subset tag (ABCDEF+) dropped."""
    rows = _run("pdffonts", str(path)).splitlines()[2:]
    out = []
    for row in rows:
        fields = row.split()
        name = fields[0].split("+", 1)[-1]
        out.append(" ".join([name] + fields[1:-2]))  # the last two fields: object id and generation
    return sorted(out)


def links(reader: PdfReader) -> list[tuple[int, str, tuple[float, ...]]]:
    found = []
    for number, page in enumerate(reader.pages, 1):
        for annot in page.get("/Annots") or []:
            a = annot.get_object()
            action = a.get("/A")
            if action is not None and "/URI" in action:
                rect = tuple(round(float(v), 2) for v in a.get("/Rect", []))
                found.append((number, str(action["/URI"]), rect))
    return found


def info(reader: PdfReader) -> dict[str, str]:
    meta = reader.metadata or {}
    return {key: str(meta[key]) for key in INFO_KEYS if key in meta}


def compare(before: Path, after: Path) -> list[str]:
    """The differences between the two PDFs, as lines for a person; [] when they match."""
    a, b = PdfReader(str(before)), PdfReader(str(after))
    problems: list[str] = []

    def check(what: str, x: object, y: object) -> None:
        if x != y:
            problems.append(f"{what} differ:\n  before: {x}\n  after:  {y}")

    check("pages (count and sizes)", pages(a), pages(b))
    for n, (ta, tb) in enumerate(zip(text(before, len(a.pages)), text(after, len(b.pages)), strict=False), 1):
        if ta != tb:
            diff = difflib.unified_diff(ta.splitlines(), tb.splitlines(), "before", "after", lineterm="", n=0)
            problems.append(f"text of page {n} differs:\n" + "\n".join(list(diff)[:40]))
    check("fonts", fonts(before), fonts(after))
    la, lb = links(a), links(b)
    check("link targets", [(p, u) for p, u, _ in la], [(p, u) for p, u, _ in lb])
    if [(p, u) for p, u, _ in la] == [(p, u) for p, u, _ in lb]:
        moved = [(p, u, ra, rb) for (p, u, ra), (_, _, rb) in zip(la, lb, strict=True) if ra != rb]
        if moved:
            problems.append(
                "link areas differ:\n" + "\n".join(f"  page {p} {u}: {ra} -> {rb}" for p, u, ra, rb in moved[:20])
            )
    check("document information", info(a), info(b))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pdfs", nargs="*", type=Path, help="pairs: BEFORE.pdf AFTER.pdf ...")
    parser.add_argument(
        "--dirs",
        nargs=2,
        type=Path,
        metavar=("BEFORE", "AFTER"),
        help="compare every *.pdf of BEFORE with the file of the same name in AFTER",
    )
    args = parser.parse_args(argv)
    if not (shutil.which("pdftotext") and shutil.which("pdffonts")):
        parser.error("needs pdftotext and pdffonts (poppler-utils)")
    pairs = list(zip(args.pdfs[::2], args.pdfs[1::2], strict=False))
    if len(args.pdfs) % 2:
        parser.error("give the PDFs in pairs: BEFORE AFTER")
    if args.dirs:
        pairs += [(p, args.dirs[1] / p.name) for p in sorted(args.dirs[0].glob("*.pdf"))]
    if not pairs:
        parser.error("nothing to compare")
    failed = 0
    for before, after in pairs:
        if not after.is_file():
            print(f"{after}: missing")
            failed += 1
            continue
        problems = compare(before, after)
        same_bytes = before.read_bytes() == after.read_bytes()
        if problems:
            failed += 1
            print(f"{before} vs {after}: DIFFERENT")
            for line in problems:
                print("  " + line.replace("\n", "\n  "))
        else:
            links_count = len(links(PdfReader(str(after))))
            print(
                f"{before.name}: same pages, text, fonts, {links_count} link targets and metadata"
                + (" (byte-identical)" if same_bytes else "")
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
