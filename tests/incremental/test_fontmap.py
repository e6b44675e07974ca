"""fontmap: reading a pdfTeX log for its fonts, and cutting the font map down to them."""

from __future__ import annotations

import json

from cv_builder.incremental import fontmap

LOG = """Output written on cv.pdf (2 pages, 73511 bytes).
 {/var/lib/texmf/fonts/map/pdftex/updmap/pdftex.map}] [2] (./cv.aux) )</usr/share/
texmf/fonts/type1/public/lm/lmbx10.pfb></usr/share/texmf/fonts/type1/public/lm/l
mr10.pfb></usr/share/texlive/texmf-dist/fonts/pk/ljfour/public/cm/dpi600/cmr10.pk>
"""


def test_fonts_of_reads_wrapped_paths_and_bitmaps():
    full, folders, bitmaps = fontmap.fonts_of(LOG)
    assert full == "/var/lib/texmf/fonts/map/pdftex/updmap/pdftex.map"
    assert folders == ["/usr/share/texmf/fonts/type1/public/lm"]
    assert bitmaps == ["cmr10.pk"]
    assert fontmap.fonts_of("no fonts here") is None


def test_map_lines_keep_every_font_of_the_folders_used(tmp_path):
    lm = tmp_path / "lm"
    lm.mkdir()
    for name in ("lmr10.pfb", "lmss10.pfb"):
        (lm / name).write_bytes(b"")
    full = tmp_path / "pdftex.map"
    full.write_text(
        'ec-lmr10 LMRoman10-Regular "enc ReEncodeFont" <lm-ec.enc <lmr10.pfb\n'
        'ec-lmss10 LMSans10-Regular "enc ReEncodeFont" <lm-ec.enc <lmss10.pfb\n'
        'phvr8r NimbusSanL-Regu " .82 ExtendFont " <uhvr8a.pfb\n'
        "cmr10 CMR10 <[cmr10.pfb\n"
    )
    lines = fontmap.map_lines(full, [str(lm)])
    assert "lmr10.pfb" in lines and "lmss10.pfb" in lines  # a font the CV has not used yet, same family
    assert "uhvr8a" not in lines and "CMR10" not in lines


def test_remembered_fonts_make_one_map_per_font_set(tmp_path):
    noted = tmp_path / "work.fonts"
    full = tmp_path / "pdftex.map"
    lm = tmp_path / "lm"
    lm.mkdir()
    (lm / "lmr10.pfb").write_bytes(b"")
    full.write_text("ec-lmr10 LMRoman10-Regular <lmr10.pfb\nother Other <other.pfb\n")
    log = f"{{{full}}} <{lm}/lmr10.pfb>"
    assert fontmap.font_map(tmp_path / "fonts", noted) is None  # nothing noted yet: the full map
    fontmap.remember(noted, log)
    assert json.loads(noted.read_text())["folders"] == [str(lm)]
    made = fontmap.font_map(tmp_path / "fonts", noted)
    assert made.read_text() == "ec-lmr10 LMRoman10-Regular <lmr10.pfb\n"
    fontmap.remember(noted, "{cvfonts.map} <other/x.pfb>")  # a pass with our own map changes nothing
    assert fontmap.font_map(tmp_path / "fonts", noted) == made
    assert not fontmap.new_bitmaps(noted, log)
    assert fontmap.new_bitmaps(noted, log + "<x/cmr10.600pk>")


def test_font_errors_are_told_from_others():
    assert fontmap.font_error("! pdfTeX error (font expansion): auto expansion is only possible with scalable")
    assert fontmap.font_error("!pdfTeX error: pdflatex (file uhvr8r): Font uhvr8r at 600 not found")
    assert not fontmap.font_error("! Undefined control sequence.\nl.12 \\foo")
