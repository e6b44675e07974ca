"""A shared corpus of strings that are hard to put into LaTeX safely.

Each `Item` says which targets can set it *exactly*, i.e. the PDF text that
pdftotext reads back equals `expected` (NFC, whitespace collapsed, and with
the one typographic change the escaper makes on purpose: a typed ``'``
prints as ``’``):

* ``pdflatex``: pdfLaTeX with T1 + lmodern + textcomp;
* ``unicode``: LuaLaTeX with fontspec and fonts covering the script (the
  tests use Latin Modern with Noto fallbacks).

Items that are not exact on a target must still compile there (the escaper
replaces or drops what cannot be set, with a warning).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    text: str
    pdflatex: bool = True
    unicode: bool = True
    expect: str | None = None  # PDF text when it differs from `text` (dropped characters)
    note: str = ""

    @property
    def expected(self) -> str:
        return self.text if self.expect is None else self.expect


SPECIALS = "\\{}$&#%_~^"

CORPUS: list[Item] = [
    # the ten specials, alone and in pairs
    *[Item(c, note="special") for c in SPECIALS],
    *[Item(a + b, note="special pair") for a in SPECIALS for b in SPECIALS],
    Item("\\\\", note="double backslash (a line break if raw)"),
    Item("{}", note="empty group"),
    Item("a\\b c\\\\d \\ e\\"),
    # ligatures that must not change the text
    Item("--", note="en-dash ligature"),
    Item("---", note="em-dash ligature"),
    Item("a--b and c---d"),
    Item("``", note="open-quote ligature"),
    Item("''", note="close-quote ligature"),
    Item("!`", note="inverted ! ligature"),
    Item("?`", note="inverted ? ligature"),
    Item("<<>>,,", note="guillemet and low-quote ligatures"),
    Item("’’‘‘", note="curly quotes that T1 would ligature"),
    Item('<>|"', note="T1 text symbols"),
    Item("It's O'Brien's \"quote\" `tick`"),
    Item("[note] *star* item[1] \\item[x]"),
    Item("office affine fluff ffi", note="letter ligatures must extract as letters"),
    # spaces and invisible characters
    Item("a\u00a0b", expect="a b", note="no-break space"),
    Item(
        "zero\u200bwidth\u200cjoin\u200dx\ufeffy\u2060z",
        unicode=False,
        expect="zerowidthjoinxyz",
        note="zero-width characters are dropped (ZWJ/ZWNJ kept on Unicode engines)",
    ),
    Item("zero\u200bwidth\ufeffy\u2060z", expect="zerowidthyz", note="always dropped"),
    Item("bidi\u202eevil\u202c\u200fmark", expect="bidievilmark", note="bidi controls dropped"),
    Item("bell\x07nul\x00esc\x1bdel\x7fc1\x85end", expect="bellnulescdelc1 end", note="C0/C1 controls"),
    Item("line\nbreak\r\ntab\there\n\npara", expect="line break tab here para", note="newlines are spaces"),
    Item("soft\u00adhyphen", expect="softhyphen", note="soft hyphen is a hyphenation point"),
    # combining marks
    Item("Re\u0301sume\u0301", expect="Résumé", note="combining acute; NFC composes it"),
    Item("Zoe\u0308 Mu\u0308ller", expect="Zoë Müller"),
    # long unbreakable words
    Item("Pneumonoultramicroscopicsilicovolcanoconiosis_and_" + "x" * 40, note="long word"),
    Item("https://example.org/a/very/long/path/that/never/ends/index.html?q=1&r=2"),
    # typographic punctuation and symbols
    Item("“double” ‘single’ «guillemets» ‹single›"),
    Item("dashes – and — here"),
    Item("ellipsis…", pdflatex=False, note="pdflatex sets it, the text reads '. . .'"),
    Item("• € © ® ™ ° ± × ÷ § ¶ † ‡ ‰ £ ¥ ¢ ¿ ¡ µ ½ ¼ ¾ ¬ ¦ ¤"),
    Item("← ↑ → ↓ № ℃ ™"),
    # names
    Item("Zoë Müller"),
    Item("Antonín Dvořák"),
    Item("Łukasz Żółć"),
    Item("Sinéad Ó Súilleabháin"),
    Item("Ærøskøbing Þór Ðórr ß Œuvre"),
    Item("Gülşen Çağrı İstanbul"),
    Item("Ştefan Ţara"),
    Item("Ștefan Țara", pdflatex=False, note="comma-below letters: right glyph, text 's,'"),
    Item("Jānis Bērziņš", pdflatex=False, note="ņ: cedilla below extracts as 'n,'"),
    Item("Đorđe", pdflatex=False, note="Đ extracts as Ð"),
    Item("Nguyễn Việt", pdflatex=False, note="Vietnamese stacked accents"),
    # everyday specials
    Item("C#"),
    Item("C++ & F#"),
    Item("50%"),
    Item("100 % sure"),
    Item("R&D"),
    Item("a_b^c~d"),
    Item("$5 (US$)"),
    Item("x^2 ~ y_1"),
    Item("~user"),
    Item("key=value; a+b=c, 3*4 @home /path\\to\\file"),
    # injection attempts
    Item("\\input{/etc/passwd}"),
    Item("\\write18{touch x}"),
    Item("\\immediate\\write18{rm -rf ~}"),
    Item("^^5cinput{/etc/passwd}"),
    Item("^^5c^^5c"),
    Item("\\catcode`\\{=12"),
    Item("\\csname input\\endcsname"),
    Item("\\directlua{os.exit()}"),
    Item("\\def\\x{\\x}\\x"),
    Item("\\end{document}"),
    Item("\\makeatletter\\@@end"),
    Item("$\\alpha$ and \\(x\\) and \\[y\\]"),
    Item("%comment"),
    Item("#1 ## #"),
    Item("}{\\bf open"),
    Item("\\\\[-10pt]"),
    Item("＼input{x}", pdflatex=False, note="fullwidth backslash"),
    # other scripts
    Item("αβγ Ελληνικά", pdflatex=False),
    Item("Кириллица Москва", pdflatex=False),
    Item("机器之心", pdflatex=False),
    Item("日本語のテキスト", pdflatex=False),
    Item("한국어", pdflatex=False),
    Item("مرحبا بالعالم", pdflatex=False, note="RTL run, Arabic shaping"),
    Item("שלום עולם", pdflatex=False, note="RTL run"),
    Item("Dept. of שלום עולם, 2024 and مرحبا بالعالم end", pdflatex=False, note="mixed directions"),
    Item("مرحبا (بالعالم) end", pdflatex=False, unicode=False, note="brackets at a run's edge: poppler reorders them"),
    Item("emoji 🌟🔥🎉📖👏", pdflatex=False, note="colour emoji, text via /ActualText"),
    Item("👍🏽 ❤️ 👨‍💻 🇨🇳 ⭐", pdflatex=False, note="skin tone, VS16, ZWJ sequence, flag"),
    Item("math ∑ ∞ ≤ ≠ √", pdflatex=False),
    Item(
        "\U0001d4b3 \ue000 \uffff", pdflatex=False, unicode=False, note="math alphanumeric, private use, noncharacter"
    ),
]

# Strings only the escaper's lone-surrogate handling can take (Python str, not UTF-8).
SURROGATES = ["a\ud800b", "\udfff"]
