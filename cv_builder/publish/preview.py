"""PNG previews of the PDF's pages (`--png`): output/cv-1.png, cv-2.png, ...

poppler's pdftoppm is used where installed (it is what most TeX users have);
otherwise pypdfium2 (PDFium in a wheel), so previews work on a fresh machine
without poppler. Both run on the finished PDF's bytes in a private temporary
directory; the PNGs are published together with the PDF.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

from ..errors import CVError


def png_path(output: Path, page: int) -> Path:
    return output.with_name(f"{output.stem}-{page}.png")


def pages(pdf: bytes, output: Path, dpi: int = 110) -> dict[Path, bytes]:
    """Every page of `pdf` as PNG bytes, keyed by the path it is published to."""
    images = _pdftoppm(pdf, dpi) if shutil.which("pdftoppm") else _pdfium(pdf, dpi)
    return {png_path(output, i + 1): data for i, data in enumerate(images)}


def stale(output: Path, count: int) -> list[Path]:
    """Previews left by an earlier, longer build (cv-3.png when the CV now has 2 pages)."""
    pattern = re.compile(rf"^{re.escape(output.stem)}-(\d+)\.png$")
    found = []
    if output.parent.is_dir():
        for p in output.parent.iterdir():
            m = pattern.match(p.name)
            if m and int(m.group(1)) > count:
                found.append(p)
    return sorted(found)


def _pdftoppm(pdf: bytes, dpi: int) -> list[bytes]:
    with tempfile.TemporaryDirectory(prefix="cv_builder-png-") as tmp:
        src = Path(tmp) / "cv.pdf"
        src.write_bytes(pdf)
        proc = subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), str(src), str(Path(tmp) / "page")],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
        if proc.returncode != 0:
            raise CVError(f"pdftoppm failed: {proc.stderr.strip()[:300]}")
        files = sorted(Path(tmp).glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        return [f.read_bytes() for f in files]


def _pdfium(pdf: bytes, dpi: int) -> list[bytes]:
    try:
        import pypdfium2 as pdfium  # ~31 ms, only for --png where pdftoppm is missing
    except ImportError:
        raise CVError(
            "--png needs pdftoppm (Debian: apt install poppler-utils) or pypdfium2 (pip install pypdfium2)"
        ) from None
    document = pdfium.PdfDocument(pdf)
    images = []
    try:
        for page in document:
            bitmap = page.render(scale=dpi / 72, rev_byteorder=True)  # RGB rows
            images.append(
                encode_png(bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride, bitmap.n_channels)
            )
    finally:
        document.close()
    return images


def encode_png(pixels: bytes, width: int, height: int, stride: int, channels: int) -> bytes:
    """A PNG from raw 8-bit RGB/RGBA rows (stdlib only: no Pillow needed)."""
    color_type = {3: 2, 4: 6}[channels]
    row = width * channels
    raw = b"".join(b"\x00" + pixels[y * stride : y * stride + row] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
