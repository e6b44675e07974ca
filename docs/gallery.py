"""Regenerate the README gallery: page 1 of the default CV in every theme, as PNG.

    python docs/gallery.py            # writes docs/gallery/<theme>.png

Each theme is built through the normal pipeline (engine auto, so the Unicode
path when LuaLaTeX is installed) with a fixed 'Last updated' date, then page 1
is rasterised with the same code as `--png`.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cv_builder.build import Options, run_build  # noqa: E402
from cv_builder.publish import preview  # noqa: E402
from cv_builder.typeset.themes import descriptions as themes  # noqa: E402

DPI = 60


def main() -> int:
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1764028800")  # 2025-11-25: stable images
    out_dir = ROOT / "docs" / "gallery"
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for theme in themes():
            pdf = Path(tmp) / theme / "cv.pdf"
            result = run_build(Options(data=ROOT / "data" / "cv.yaml", output=pdf, theme=theme))
            first = preview.pages(pdf.read_bytes(), pdf, DPI)[preview.png_path(pdf, 1)]
            (out_dir / f"{theme}.png").write_bytes(first)
            print(f"{theme}: {result.pages} pages with {result.engine.label} -> docs/gallery/{theme}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
