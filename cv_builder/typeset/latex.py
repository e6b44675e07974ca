"""The single escaping point between data and LaTeX.

No string from the user's files may reach a TeX engine except through this
module.  Everything it returns is `Latex` (trusted code that the renderer
passes through untouched); every other string is data and must go through
`escape`, `markup`, `href` or `url_text` first.

What the output is safe against
-------------------------------
* the ten specials (``\\ { } $ & # % _ ~ ^``) and ``< > | " `` ` `` -- always
  replaced by text commands, so no data can become a command, a group, math,
  an alignment, a parameter, a comment or a ``^^5c``-style escape;
* ligatures that would change typed text (``--``, ``''``, ``<<``, ``!```...):
  a ``\\kern0pt{}`` between the characters stops them in pdfLaTeX, XeLaTeX and
  LuaLaTeX alike;
* ``[``, ``]`` and ``*`` being read as optional arguments or stars after a
  command (``\\\\``, ``\\item``): they are always emitted braced;
* control, zero-width and bidi characters, lone surrogates: dropped, with a
  warning; newlines become spaces (a blank line never becomes ``\\par``);
* characters pdflatex cannot set: replaced by something visible, with a
  warning that suggests a Unicode engine (see `unsupported_chars`).

Measured facts the tables below rely on are in the comment above
`_PDF_EXACT_RANGES`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from ..bib.richtext import Func, Group, Link, Math, MText, Name, RichText, Script, Span, Sym, math_plain
from ..bib.richtext.mathtable import FUNCTIONS, SYMBOLS
from ..errors import Report, warn_at
from .fonts import CJK_RANGES

__all__ = [
    "Latex",
    "Target",
    "PDFLATEX",
    "LUALATEX",
    "XELATEX",
    "escape",
    "markup",
    "href",
    "url_text",
    "normalize_url",
    "pdf_string",
    "tex_string",
    "unsupported_chars",
    "LINK_SCHEMES",
]


class Latex(str):
    """A string that is already LaTeX code; the renderer passes it through unescaped.

    Only this module should construct `Latex` from data.  ``Latex + Latex`` and
    ``Latex.join`` of `Latex` parts stay `Latex`; mixing in a plain `str` gives a
    plain `str` (data), so trust is never gained by accident.
    """

    __slots__ = ()

    def __add__(self, other: str) -> str:
        joined = str.__add__(self, other)
        return Latex(joined) if isinstance(other, Latex) else joined

    def join(self, parts: Iterable[str]) -> str:
        parts = list(parts)
        joined = str.join(self, parts)
        return Latex(joined) if all(isinstance(p, Latex) for p in parts) else joined

    def __html__(self) -> str:
        # Lets Jinja2/markupsafe autoescaping recognise it as already safe.
        return str(self)

    def __repr__(self) -> str:
        return f"Latex({str.__repr__(self)})"


@dataclass(frozen=True)
class Target:
    """What the chosen engine can typeset.

    unicode=False: pdflatex with ``\\usepackage[T1]{fontenc}``, ``lmodern``,
    ``textcomp`` and LaTeX's standard UTF-8 input (LaTeX >= 2018).
    unicode=True: lualatex/xelatex with fontspec (fonts chosen by the template).
    """

    unicode: bool = False
    engine: str = ""

    @classmethod
    def for_engine(cls, engine: str) -> Target:
        name = engine.rsplit("/", 1)[-1].lower()
        return cls(unicode=name.startswith(("lualatex", "xelatex", "luatex", "xetex", "lualatex-dev")), engine=name)


PDFLATEX = Target(False, "pdflatex")
LUALATEX = Target(True, "lualatex")
XELATEX = Target(True, "xelatex")

# ---------------------------------------------------------------------------
# Measured tables (pdflatex, T1 + lmodern + textcomp + hyperref, utf8 input)
# ---------------------------------------------------------------------------
# How they were measured (pdfTeX 1.40.24 / TeX Live 2022 Debian and pdfTeX
# 1.40.26 / TeX Live 2024 TinyTeX gave identical results): every code point
# declared by any *.dfu file of LaTeX's base plus the blocks U+00A0-03FF,
# 0400-045F, 1E00-1EFF, 2000-206F, 20A0-20CF, 2100-27BF (part), 3000-303F,
# FB00-FB06 (2984 NFC-stable candidates) was typeset, one per paragraph, in one
# document with the preamble above, each preceded by \typeout{@@XXXX}; a
# candidate "sets" when its log segment has no "! ..." error ("Unicode
# character ... not set up", "Command ... unavailable in encoding T1") and no
# "Missing character", and it "extracts" when pdftotext's output for its line,
# NFC-normalised, is the character itself.  Results: 266 set and extract
# (below), 80 set but extract differently, 2638 fail.  tests/typeset/test_latex.py
# re-checks the table against the engine (test_pdf_exact_table_roundtrip).
_PDF_EXACT_RANGES: tuple[tuple[int, int], ...] = (
    (0x00A1, 0x00AC),
    (0x00AE, 0x00B1),
    (0x00B4, 0x00B8),
    (0x00BA, 0x010F),
    (0x0111, 0x0121),
    (0x0124, 0x0125),
    (0x0128, 0x0128),
    (0x012A, 0x012A),
    (0x012C, 0x012C),
    (0x0130, 0x0134),
    (0x0139, 0x013A),
    (0x013D, 0x013E),
    (0x0141, 0x0144),
    (0x0147, 0x0148),
    (0x014A, 0x0155),
    (0x0158, 0x0165),
    (0x0168, 0x0171),
    (0x0174, 0x017E),
    (0x0192, 0x0192),
    (0x01CD, 0x01CF),
    (0x01D1, 0x01D4),
    (0x01E2, 0x01E3),
    (0x01E6, 0x01E9),
    (0x01F4, 0x01F5),
    (0x0232, 0x0233),
    (0x0237, 0x0237),
    (0x02C7, 0x02C7),
    (0x02D8, 0x02D9),
    (0x02DD, 0x02DD),
    (0x1E02, 0x1E03),
    (0x1E1E, 0x1E21),
    (0x1E30, 0x1E31),
    (0x1E45, 0x1E45),
    (0x1E8E, 0x1E91),
    (0x1EF2, 0x1EF3),
    (0x2013, 0x2014),
    (0x2016, 0x2016),
    (0x2018, 0x201A),
    (0x201C, 0x201E),
    (0x2020, 0x2022),
    (0x2030, 0x2030),
    (0x2039, 0x203B),
    (0x203D, 0x203D),
    (0x2044, 0x2044),
    (0x20A1, 0x20A1),
    (0x20A4, 0x20A4),
    (0x20A9, 0x20A9),
    (0x20AB, 0x20AC),
    (0x2103, 0x2103),
    (0x2116, 0x2116),
    (0x2122, 0x2122),
    (0x212E, 0x212E),
    (0x2190, 0x2193),
    (0x2423, 0x2423),
    (0x25E6, 0x25E6),
    (0x266A, 0x266A),
    (0x3008, 0x3009),
)

# Set correctly; the PDF text is an acceptable equivalent (compatibility
# decomposition or the plain dash): '…' -> '. . .', '²' -> '2', 'ﬁ' -> 'fi',
# 'ǆ' -> 'dž', '‐' -> '-', '―' -> '—'.  Passed through silently.
_PDF_NEAR = frozenset("¹²³…‐‑‒―ǄǅǆǇǈǉǊǋǌﬀﬁﬂﬃﬄﬅﬆ")

# Of those, the ones whose PDF text is another text ("…" as ". . .", "²" as "2"): the themes'
# \cvactualtext makes them copy as themselves (the letter ligatures copy as their letters),
# invisible glyphs at both ends giving the text the whole width (no space after "…").
_COPY_AS_ITSELF = frozenset("¹²³…‐‑‒―")

# Set (the glyph looks right) but the PDF text is wrong: 'ș' -> 's,',
# 'Đ' -> 'Ð', 'ī' -> 'ı̄', 'ḍ' -> 'd.', 'Ų' -> 'U ˛', '₱' -> a control code...
# Passed through, with a warning that suggests a Unicode engine.
_PDF_WRONG_TEXT = frozenset("ĐĢģĩīĭĮįĵĶķĻļŅņŖŗŲųǐǪǫǰȘșȚțˆ˛˜฿ḍḥḷṃṇṛṣṭẞ‱⁎⁒₦₱℗℞℠℧␢◯⟨⟩")

# Replacements for characters pdflatex cannot set: latexcodec 3.0.1's mapping
# (codecs.encode(ch, "ulatex"); "$x$" written as \ensuremath{x}), kept only
# where the result compiled and pdftotext read back the character, plus a few
# hand fixes (ε/φ take the \var forms that look like them, Greek capitals that
# look like Latin ones are Latin letters).  test_pdf_subst_table_compiles
# re-checks every entry.
_M = r"\ensuremath{%s}"
_PDF_SUBST: dict[str, str] = {
    **{
        g: _M % ("\\" + n)
        for g, n in zip(
            "αβγδζηθικλνξπρστυχψωϑϖϱϵϕςεφμ",
            "alpha beta gamma delta zeta eta theta iota kappa lambda nu xi pi rho sigma tau upsilon chi psi omega "
            "vartheta varpi varrho epsilon phi varsigma varepsilon varphi mu".split(),
            strict=True,
        )
    },
    "ο": _M % "o",
    **{
        g: _M % ("\\" + n)
        for g, n in zip(
            "ΓΔΘΛΞΠΣΥΦΨΩ", "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split(), strict=True
        )
    },
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΧ", "ABEZHIKMNOPTX", strict=True)),
    **{
        g: _M % ("\\" + n)
        for g, n in zip(
            "ℓ⇐⇒⇔↔∀∂∃∅∇∈∉∋∏∑∗∞∧∨∩∪∼≈≠≤≥⊂⊃⊆⊇≡≪≫∘⋅∓⊕⊗⊥∝",
            "ell Leftarrow Rightarrow Leftrightarrow leftrightarrow forall partial exists emptyset nabla in notin ni "
            "prod sum ast infty wedge vee cap cup sim approx neq leq geq subset supset subseteq supseteq equiv ll gg "
            "circ cdot mp oplus otimes perp propto".split(),
            strict=True,
        )
    },
    "−": _M % "-",
    "√": _M % r"\surd",
    "∫": _M % r"\int",
    "˚": r"\r{}",
    "′": _M % r"{}^{\prime}",
    "″": _M % r"{}^{\prime\prime}",
}

# Emoji and dingbats -> fontawesome5 icons (names checked against
# fontawesome5-mapping.def).  Emitted as \ifdefined\faX\faX\else[U+...]\fi so a
# template that does not load fontawesome5 still compiles.
_FA_ICONS: dict[str, str] = {}
for _icon, _chars in {
    "faStar": "🌟⭐★✨",
    "faFire": "🔥",
    "faGlassCheers": "🎉🎊🥂",
    "faBookOpen": "📖",
    "faBook": "📚📕📗📘📙",
    "faThumbsUp": "👍👏",
    "faRocket": "🚀",
    "faHeart": "❤♥💙💚💛💜🧡🖤",
    "faCheck": "✅✔✓☑",
    "faLaptop": "💻",
    "faGraduationCap": "🎓",
    "faTrophy": "🏆",
    "faLightbulb": "💡",
    "faEnvelope": "📧✉📨📩",
    "faPhone": "📞☎📱",
    "faGlobe": "🌍🌎🌏🌐",
    "faBriefcase": "💼",
    "faMapMarker": "📍",
    "faLink": "🔗",
    "faSmile": "😀😃😄😊🙂",
    "faMicroscope": "🔬",
    "faFlask": "🧪⚗",
    "faChartLine": "📈",
    "faCalendar": "📅📆",
    "faMedal": "🏅🥇🥈🥉🎖",
    "faBolt": "⚡",
    "faMicrophone": "🎤🎙",
    "faMusic": "🎵🎶",
    "faHandshake": "🤝",
    "faCoffee": "☕",
    "faCamera": "📷📸",
    "faHome": "🏠🏡",
    "faCode": "⌨",
    "faPaperPlane": "✈",
    "faSeedling": "🌱",
    "faGift": "🎁",
    "faBell": "🔔",
    "faLock": "🔒",
    "faKey": "🔑",
    "faTools": "🛠",
    "faWrench": "🔧",
    "faCog": "⚙",
    "faPen": "✏🖊",
    "faSearch": "🔍🔎",
    "faClock": "⏰🕐",
    "faSun": "☀",
    "faBrain": "🧠",
    "faUsers": "👥",
    "faUser": "👤",
    "faExclamationTriangle": "⚠",
    "faTimes": "❌✖",
    "faFlag": "🚩🏁",
    "faRobot": "🤖",
    "faDatabase": "🗄",
    "faGamepad": "🎮",
    "faPalette": "🎨",
    "faPuzzlePiece": "🧩",
    "faLanguage": "🈯",
    "faUniversity": "🏛",
    "faSchool": "🏫",
    "faChalkboardTeacher": "👨‍🏫",
    "faNewspaper": "📰",
    "faVideo": "📹🎥",
    "faCrown": "👑",
    "faGem": "💎",
    "faBullhorn": "📣📢",
    "faMagic": "🪄",
    "faDna": "🧬",
    "faChartBar": "📊",
    "faComments": "💬",
}.items():
    for _ch in _chars:
        if len(_ch) == 1:
            _FA_ICONS[_ch] = _icon

# Combining marks pdflatex can build with a T1 accent command (on a base it can set).
_ACCENTS: dict[str, str] = {
    "\u0300": "\\`",
    "\u0301": "\\'",
    "\u0302": "\\^",
    "\u0303": "\\~",
    "\u0304": "\\=",
    "\u0306": "\\u",
    "\u0307": "\\.",
    "\u0308": '\\"',
    "\u030a": "\\r",
    "\u030b": "\\H",
    "\u030c": "\\v",
    "\u0323": "\\d",
    "\u0327": "\\c",
    "\u0328": "\\k",
    "\u0331": "\\b",
}

# ASCII: what each printable character becomes, on every target.
_ASCII: dict[str, str] = {chr(c): chr(c) for c in range(0x20, 0x7F)}
_ASCII.update(
    {
        "\\": r"\textbackslash{}",
        "{": r"\{",
        "}": r"\}",
        "$": r"\$",
        "&": r"\&",
        "#": r"\#",
        "%": r"\%",
        "_": r"\_",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
        "<": r"\textless{}",
        ">": r"\textgreater{}",
        "|": r"\textbar{}",
        '"': r"\textquotedbl{}",
        "`": r"\textasciigrave{}",
        "[": "{[}",
        "]": "{]}",
        "*": "{*}",
    }
)

# Pairs that a T1 font or fontspec's TeX ligatures would merge ("--" -> "–",
# "''" -> "”", "!`" -> "¡", "<<" -> "«"...).  Typographic quotes count as their
# ASCII forms: in T1, ’’ is two \textquoteright, i.e. two "'" glyphs, which
# ligature into ”.
_LIG_CLASS = {"-": "-", "'": "'", "’": "'", "`": "`", "‘": "`", "!": "!", "?": "!", "<": "<", ">": ">", ",": ","}
_LIG_PAIRS = {("-", "-"), ("'", "'"), ("`", "`"), ("!", "`"), ("<", "<"), (">", ">"), (",", ",")}
_KERN = r"\kern0pt{}"
_BREAK = r"\allowbreak{}"

LONG_WORD = 30  # a word longer than this gets break points
_BREAK_EVERY = 10
_WORD_BREAK_AFTER = frozenset("/.-_\\?&=#@:;,")
_URL_BREAK_AFTER = frozenset("/.-_?&=#@:;,+%")

# Invisible characters dropped on every target (with a warning).
_ALWAYS_DROP = frozenset(
    [0x061C, 0x180E, 0x200B, 0x200E, 0x200F, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF, 0xFFF9, 0xFFFA, 0xFFFB]
    + list(range(0x202A, 0x202F))  # LRE RLE PDF LRO RLO
    + list(range(0x2066, 0x2070))  # LRI RLI FSI PDI, deprecated format controls
)
_WHITESPACE = frozenset("\t\n\r\x0b\x0c\x85\u2028\u2029")
# pdflatex: other Unicode spaces become an ordinary space, a thin space, or a
# non-breaking space (all of which pdflatex can set).
_PDF_SPACES = {
    "\u2000": " ",
    "\u2001": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u2004": " ",
    "\u2005": " ",
    "\u2006": r"\,",
    "\u2007": "~",
    "\u2008": " ",
    "\u2009": r"\,",
    "\u200a": r"\,",
    "\u202f": r"\,",
    "\u205f": " ",
    "\u3000": " ",
    "\u1680": " ",
}

# A thin space ("10 000" with U+202F, "10\\,000") set as TeX's \\, on every engine (LuaLaTeX's
# fonts lack U+202F: it copied out as U+FFFD), copied as a plain space: an invisible
# zero-width glyph carries it (pdflinks.tex: \\cvactualtext, \\cvinvisible).
_THIN_SPACE = (
    r"{\ifdefined\cvactualtext\nobreak\cvactualtext{<20>}{\rlap{\cvinvisible{.}}}\nobreak\,"
    r"\else\nobreak\,\fi}"
)

LINK_SCHEMES = ("http", "https", "mailto")  # markup links
HREF_SCHEMES = ("http", "https", "mailto", "tel")  # href()


# ---------------------------------------------------------------------------
# Warnings
# ---------------------------------------------------------------------------
def _warn(report: Report | None, where: str, message: str) -> None:
    """Report `message` located at `where` ("file:line:col path" or free text)."""
    warn_at(report, where, message)


def _u(ch: str) -> str:
    return " ".join(f"U+{ord(c):04X}" for c in ch)


def _code_fallback(ch: str) -> str:
    return r"{\footnotesize{[}" + _u(ch).replace(" ", "{]}{[}") + r"{]}}"


# ---------------------------------------------------------------------------
# Per-character decisions
# ---------------------------------------------------------------------------
def _in_exact(cp: int) -> bool:
    for lo, hi in _PDF_EXACT_RANGES:
        if cp < lo:
            return False
        if cp <= hi:
            return True
    return False


def _is_noncharacter(cp: int) -> bool:
    return 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Mc", "Me")


def _is_variation_selector(cp: int) -> bool:
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF


def _is_emoji_modifier(cp: int) -> bool:
    return 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F  # skin tones, tag characters


def _drop_reason(ch: str, unicode_target: bool) -> str | None:
    """Why `ch` is dropped on this target ("" = silently), or None to keep it."""
    cp = ord(ch)
    if ch in _WHITESPACE:
        return None
    cat = unicodedata.category(ch)
    if cat == "Cs" or cat == "Cc" or cp in _ALWAYS_DROP or _is_noncharacter(cp):
        return "control"
    if not unicode_target:
        if _is_variation_selector(cp) or _is_emoji_modifier(cp):
            return ""  # presentation hints for emoji we cannot show anyway
        if cat == "Cf" and cp != 0x00AD:
            return "control"
    return None


@lru_cache(maxsize=4096)
def _pdf_char(ch: str) -> tuple[str, str | None, bool]:
    """pdflatex output for one (NFC) character or cluster.

    Returns (latex, how it is shown when not exact or None, set-but-wrong-text).
    """
    if len(ch) == 1:
        cp = ord(ch)
        if ch in _COPY_AS_ITSELF:
            return (
                (
                    r"{\ifdefined\cvactualtext\cvactualtext{"
                    + pdf_string(ch)
                    + r"}{\rlap{\cvinvisible{.}}"
                    + ch
                    + r"\llap{\cvinvisible{.}}}\else "
                    + ch
                    + r"\fi}"
                ),
                None,
                False,
            )
        if _in_exact(cp) or ch in _PDF_NEAR:
            return ch, None, False
        if ch in _PDF_WRONG_TEXT:
            return ch, None, True
        if ch in _PDF_SUBST:
            tex = _PDF_SUBST[ch]
            return _copied_as(ch, tex), tex, False
        if ch in _FA_ICONS:
            icon = "\\" + _FA_ICONS[ch]
            return (
                r"{\ifdefined" + icon + icon + r"{}\else" + _code_fallback(ch) + r"\fi}",
                f"the fontawesome5 icon {icon} where the theme loads fontawesome5, else as [{_u(ch)}]",
                False,
            )
    # Letters with diacritics: decompose and rebuild with T1 accent commands.
    accented = _accented(ch)
    if accented is not None:
        return accented, accented, False
    base = unicodedata.normalize("NFD", ch)[0]
    if base != ch and base in _PDF_SUBST:  # e.g. Greek with tonos -> plain letter
        tex = _PDF_SUBST[base]
        return _copied_as(base, tex), tex, False
    tex = _code_fallback(ch)
    return tex, "[" + _u(ch) + "]", False


def _copied_as(ch: str, tex: str) -> str:
    """A math-font stand-in (\\ensuremath{\\surd}) that copies out of the PDF as `ch`: big
    operators and relations from the math fonts have no text, or the wrong one (≠ as "̸=").
    \\cvmath is the themes' (math.tex); without it the stand-in is set as it is."""
    if not tex.startswith("\\ensuremath{"):
        return tex
    inner = tex[len("\\ensuremath{") : -1]
    return r"{\ifdefined\cvmath\cvmath{" + pdf_string(ch) + "}{" + inner + r"}\else " + tex + r"\fi}"


def _accented(ch: str) -> str | None:
    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[0], decomposed[1:]
    if not marks or any(m not in _ACCENTS for m in marks):
        return None
    if base.isascii() and base.isalpha():
        tex = {"i": r"\i", "j": r"\j"}.get(base, base) if any(unicodedata.combining(m) == 230 for m in marks) else base
    elif _in_exact(ord(base)) and base.isalpha():
        tex = base
    else:
        return None
    for m in marks:
        tex = _ACCENTS[m] + "{" + tex + "}"
    return "{" + tex + "}"


# ---------------------------------------------------------------------------
# The escaper
# ---------------------------------------------------------------------------
def _clusters(text: str, unicode_target: bool) -> list[str]:
    """Split into characters, keeping combining marks with a base they may combine with.

    Marks never attach to an ASCII special (``\\``, ``{``...: the special must
    still be escaped), to a space or to a control; under pdflatex only to a
    letter (which may then be built with accent commands).  A mark left alone
    is a cluster of its own.
    """
    out: list[str] = []
    for ch in text:
        if out and _is_mark(ch) and not _is_variation_selector(ord(ch)):
            base = out[-1][0]
            ok = (
                base.isalpha()
                if not unicode_target
                else (
                    not _is_mark(base)
                    and _ASCII.get(base, base) == base
                    and _drop_reason(base, True) is None
                    and not base.isspace()
                )
            )
            if ok:
                out[-1] += ch
                continue
        out.append(ch)
    return out


def _tokens(text: str, target: Target, report: Report | None, where: str) -> list[tuple[str, str]]:
    """(source, latex) pairs; source is the character (cluster) typed, or " "."""
    # Lone surrogates first: they would make every later step (and UTF-8) fail.
    kept = []
    for ch in text:
        if 0xD800 <= ord(ch) <= 0xDFFF:
            _warn(report, where, f"dropped control character U+{ord(ch):04X} (lone surrogate)")
        else:
            kept.append(ch)
    text = unicodedata.normalize("NFC", "".join(kept))
    unicode_target = target.unicode
    toks: list[tuple[str, str]] = []
    prev_emoji = False
    for cl in _clusters(text, unicode_target):
        ch = cl[0]
        if ch in _ASCII and len(cl) == 1:
            toks.append((ch, _ASCII[ch]))
            prev_emoji = False
            continue
        if ch in _WHITESPACE:
            toks.append((" ", " "))
            continue
        if ch == "\u00a0":
            toks.append(("\u00a0", "~"))
            continue
        if ch == "\u00ad":
            toks.append(("\u00ad", r"\-"))
            continue
        reason = _drop_reason(ch, unicode_target)
        if reason is not None:
            if reason:
                name = unicodedata.name(ch, "")
                _warn(report, where, f"dropped {reason} character U+{ord(ch):04X}" + (f" ({name})" if name else ""))
            elif not prev_emoji and not _is_variation_selector(ord(ch)):
                # a skin-tone or tag character on its own: show it like any other
                toks.append(_pdf_token(ch, report, where))
            continue
        if ch in _PDF_SPACES and len(cl) == 1:
            tex = _PDF_SPACES[ch]
            toks.append((ch, _THIN_SPACE if tex == r"\," else tex))
            continue
        if unicode_target:
            toks.append((cl, cl))
            continue
        toks.append(_pdf_token(cl, report, where))
        prev_emoji = cl in _FA_ICONS or unicodedata.category(ch) == "So"
    return _group_unicode(toks, target) if unicode_target else toks


# Emoji that have emoji presentation by default in the Basic Multilingual Plane.
_BMP_EMOJI = frozenset(
    [
        0x231A,
        0x231B,
        0x23E9,
        0x23EA,
        0x23EB,
        0x23EC,
        0x23F0,
        0x23F3,
        0x25FD,
        0x25FE,
        0x2614,
        0x2615,
        *range(0x2648, 0x2654),
        0x267F,
        0x2693,
        0x26A1,
        0x26AA,
        0x26AB,
        0x26BD,
        0x26BE,
        0x26C4,
        0x26C5,
        0x26CE,
        0x26D4,
        0x26EA,
        0x26F2,
        0x26F3,
        0x26F5,
        0x26FA,
        0x26FD,
        0x2705,
        0x270A,
        0x270B,
        0x2728,
        0x274C,
        0x274E,
        0x2753,
        0x2754,
        0x2755,
        0x2757,
        0x2795,
        0x2796,
        0x2797,
        0x27B0,
        0x27BF,
        0x2B1B,
        0x2B1C,
        0x2B50,
        0x2B55,
    ]
)
_ZWJ = "\u200d"


def _is_emoji(ch: str, nxt: str = "") -> bool:
    """A character drawn from the colour emoji font (emoji presentation, or asked for with U+FE0F)."""
    cp = ord(ch)
    if 0x1F300 <= cp <= 0x1FAFF or 0x1F1E6 <= cp <= 0x1F1FF or cp in (0x1F004, 0x1F0CF, 0x1F18E):
        return True
    if 0x1F191 <= cp <= 0x1F19A or cp in _BMP_EMOJI:
        return True
    return nxt == "\ufe0f" and unicodedata.category(ch) == "So"


def _emoji_tail(cp: int) -> bool:
    return cp in (0xFE0E, 0xFE0F, 0x20E3) or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F


def _cjk(src: str) -> bool:
    cp = ord(src[0])
    return any(lo <= cp <= hi for lo, hi in CJK_RANGES)


def _rtl(src: str) -> bool:
    return unicodedata.bidirectional(src[0]) in ("R", "AL")


def _neutral(src: str) -> bool:
    return unicodedata.bidirectional(src[0]) not in ("L", "R", "AL", "LRE", "LRO", "RLE", "RLO")


def _group_unicode(toks: list[tuple[str, str]], target: Target) -> list[tuple[str, str]]:
    r"""Unicode engines: whole emoji sequences in the emoji font, right-to-left runs set right to left.

    An emoji goes to ``\cvemoji{UTF-16 hex}{sequence}`` (themes define it: the
    colour font plus /ActualText so the PDF's text reads as typed); a run of
    Chinese, Japanese or Korean to ``\cvcjk{run}`` (the CJK font, chosen
    explicitly: a font fallback chain costs LuaLaTeX a second a pass); a run of
    Arabic or Hebrew, with the spaces and punctuation between its words, is
    set in a right-to-left box, so its words come out in the right order.
    """
    out: list[tuple[str, str]] = []
    i, n = 0, len(toks)
    while i < n:
        src = toks[i][0]
        nxt = toks[i + 1][0] if i + 1 < n else ""
        if len(src) == 1 and _is_emoji(src, nxt):
            j = i + 1
            if 0x1F1E6 <= ord(src) <= 0x1F1FF and j < n and len(nxt) == 1 and 0x1F1E6 <= ord(nxt) <= 0x1F1FF:
                j += 1  # a flag: two regional indicators
            while j < n:
                s = toks[j][0]
                if len(s) == 1 and _emoji_tail(ord(s)):
                    j += 1
                elif s == _ZWJ and j + 1 < n and unicodedata.category(toks[j + 1][0][0]) == "So":
                    j += 2
                else:
                    break
            seq = "".join(t[0] for t in toks[i:j])
            hexa = seq.encode("utf-16-be").hex().upper()
            body = "".join(t[1] for t in toks[i:j])
            out.append((seq, r"{\ifdefined\cvemoji\cvemoji{" + hexa + "}{" + body + r"}\else " + body + r"\fi}"))
            i = j
            continue
        if _cjk(src):
            j = i + 1
            while j < n and _cjk(toks[j][0]):
                j += 1
            body = "".join(t[1] for t in toks[i:j])
            out.append(
                ("".join(t[0] for t in toks[i:j]), r"{\ifdefined\cvcjk\cvcjk{" + body + r"}\else " + body + r"\fi}")
            )
            i = j
            continue
        if _rtl(src):
            j = last = i
            while j < n and (_rtl(toks[j][0]) or _neutral(toks[j][0])):
                if _rtl(toks[j][0]):
                    last = j
                j += 1
            body = "".join(t[1] for t in toks[i : last + 1])
            seq = "".join(t[0] for t in toks[i : last + 1])
            if target.engine.startswith(("xelatex", "xetex")):
                out.append((seq, r"{\TeXXeTstate=1\relax\beginR " + body + r"\endR}"))
            else:
                out.append((seq, r"{\textdir TRT " + body + "}"))
            i = last + 1
            continue
        out.append(toks[i])
        i += 1
    return out


def _pdf_token(cl: str, report: Report | None, where: str) -> tuple[str, str]:
    tex, shown, wrong_text = _pdf_char(cl)
    if wrong_text:
        _warn(
            report,
            where,
            f"pdflatex sets '{cl}' ({_u(cl)}) but the PDF text (copy, search) will read it "
            f"differently; use --engine lualatex",
        )
    elif shown is not None:
        _warn(report, where, f"pdflatex cannot set '{cl}' ({_u(cl)}); shown as {shown}; use --engine lualatex")
    return cl, tex


def _assemble(toks: list[tuple[str, str]], break_after: frozenset[str] | None, long_word: int) -> str:
    """Join tokens, adding ligature-breaking kerns and line-break points."""
    breaks: set[int] = set()  # break after token i
    if break_after is not None:
        i, n = 0, len(toks)
        while i < n:
            if toks[i][0] == " ":
                i += 1
                continue
            j = i
            while j < n and toks[j][0] != " ":
                j += 1
            if j - i > long_word:
                since = 0
                for k in range(i, j - 1):
                    since += 1
                    src, nxt = toks[k][0], toks[k + 1][0]
                    if (src in break_after and nxt not in break_after) or since >= _BREAK_EVERY:
                        breaks.add(k)
                        since = 0
            i = j
    out: list[str] = []
    prev = None
    for k, (src, tex) in enumerate(toks):
        cls = _LIG_CLASS.get(src[0])
        if prev is not None and cls is not None and (prev, cls) in _LIG_PAIRS:
            out.append(_KERN)
        out.append(tex)
        prev = cls
        if k in breaks:
            out.append(_BREAK)
    return "".join(out)


# ASCII that every target sets as itself (checked against the full path in tests/typeset/test_latex_fast_path.py).
_PLAIN_RE = re.compile(r"[ !'()+,\-./0-9:;=?@A-Za-z]*")
_NOT_PLAIN_RE = re.compile(rf"[-'!?,]{{2}}|[^ ]{{{LONG_WORD + 1}}}")  # a kern; a long word


def _plain(text: str) -> bool:
    """True when escaping cannot change `text`: plain ASCII, no two ligature characters
    side by side (no kerns), no word long enough to get break points. Most titles and
    names are such text; the character-by-character path costs ~0.1 ms a string."""
    return _PLAIN_RE.fullmatch(text) is not None and _NOT_PLAIN_RE.search(text) is None


def escape(text: object, target: Target, report: Report | None = None, where: str = "") -> Latex:
    """Text as LaTeX that typesets exactly that text (plain text, no markup).

    A `Latex` argument is already code and is returned unchanged; None gives "".
    Other non-strings are converted with str().  Words longer than 30
    characters get invisible break points.  Every character that had to be
    dropped or replaced is reported to `report` at `where`.
    """
    if isinstance(text, Latex):
        return text
    if text is None:
        return Latex("")
    if isinstance(text, RichText):
        return Latex(_rich(text.nodes, target, report, where or text.where))
    if isinstance(text, Name):
        return _name(text, target, report, where)
    text = str(text)
    same = _as_plain(text)
    if same is not None:
        return same
    done = _ESCAPED.get((text, target))
    if done is not None:
        return done
    said = Report()  # so that only a text escaped without a warning is reused (warnings name `where`)
    out = Latex(_assemble(_tokens(text, target, said, where), _WORD_BREAK_AFTER, LONG_WORD))
    if said.warnings:
        if report is not None:
            for w in said.warnings:
                report.warn(w.message, w.file, w.line, w.column, w.path)
    elif len(_ESCAPED) < 8192:
        _ESCAPED[(text, target)] = out
    return out


# ---------------------------------------------------------------------------
# Rich text (decoded .bib fields): formatting, links and whitelisted math
# ---------------------------------------------------------------------------
_STYLE_TEX = {
    "i": r"\textit{",
    "b": r"\textbf{",
    "sc": r"\textsc{",
    "tt": r"\texttt{",
    "sup": r"\textsuperscript{",
    "sub": r"\textsubscript{",
}


def _rich(nodes: tuple, target: Target, report: Report | None, where: str) -> str:
    """Rich text nodes as LaTeX: text escaped, styles and links as text commands, math
    rebuilt from the whitelist (richtext.mathtable), never copied from the .bib."""
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(escape(node, target, report, where))
        elif isinstance(node, Span):
            inner = _rich(node.children, target, report, where)
            out.append(_STYLE_TEX[node.style] + inner + "}" if node.style in _STYLE_TEX else "{" + inner + "}")
        elif isinstance(node, Link):
            out.append(href(node.url, Latex(_rich(node.children, target, report, where)), target, report, where))
        elif isinstance(node, Math):
            # \cvmath (math.tex) sets it and makes it copy as its Unicode reading ("W±", "n²"):
            # math fonts' glyphs have no reliable Unicode in pdflatex and LuaLaTeX.
            formula = _math(node.nodes, target, report, where)
            out.append(
                r"{\ifdefined\cvmath\cvmath{"
                + pdf_string(math_plain(node.nodes))
                + "}{"
                + formula
                + r"}\else$"
                + formula
                + r"$\fi}"
            )
    return "".join(out)


def _math(nodes: tuple, target: Target, report: Report | None, where: str) -> str:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Sym):
            entry = SYMBOLS.get(node.name)
            out.append(entry[0] if entry else r"\textrm{" + escape(node.name, target, report, where) + "}")
        elif isinstance(node, MText):
            out.append(r"\textrm{" + escape(node.text, target, report, where) + "}")
        elif isinstance(node, Group):
            out.append("{" + _math(node.body, target, report, where) + "}")
        elif isinstance(node, Script):
            inner = "{" + _math(node.body, target, report, where) + "}"
            out.append((node.kind if node.kind in ("^", "_") else "") + inner)
        elif isinstance(node, Func):
            args = [_math(a, target, report, where) for a in node.args]
            function = FUNCTIONS.get(node.name)
            if function is not None and len(args) == function.arity:
                out.append(function.latex.format(*args))
            else:
                out.append("{" + "".join(args) + "}")
    return "".join(out)


def _name(text: str, target: Target, report: Report | None, where: str) -> Latex:
    """A name whose words never break across lines (ties between them); a right-to-left
    name stays one run, set right to left as a whole. (Boxing the words against
    hyphenation too left long author lists no way to fit a justified line.)"""
    text = str(text)
    same = _as_plain(text)
    if same is not None:  # the common case: ASCII that escaping leaves as it is
        return Latex(text.replace(" ", "~"))
    if not text.isascii() and any(_rtl(c) for c in text):
        return escape(text, target, report, where)
    return Latex("~".join(escape(word, target, report, where) for word in text.split(" ")))


# Texts that needed the character-by-character path and gave no warning, by target: names
# with accents repeat across a long publication list (761 such escapes, 69 distinct texts,
# for 1,000 generated publications).
_ESCAPED: dict[tuple[str, Target], Latex] = {}


@lru_cache(maxsize=8192)
def _as_plain(text: str) -> Latex | None:
    """`text` as `Latex` if escaping cannot change it (`_plain`), else None. Cached: names,
    venues and link labels repeat across a long publication list."""
    return Latex(text) if _plain(text) else None


def unsupported_chars(text: str) -> set[str]:
    """Characters of `text` that pdflatex (T1 + lmodern + textcomp) cannot set exactly.

    These are the ones `escape` would replace or warn about on a pdflatex
    target (Greek, Cyrillic, CJK, emoji, most of Latin Extended-B, letters
    whose PDF text comes out wrong such as 'ș' or 'Đ'); an empty set means
    pdflatex will do.  Characters dropped on every engine (controls) are not
    counted.  Combining sequences that NFC cannot compose are returned whole.
    """
    found: set[str] = set()
    text = "".join(ch for ch in str(text) if not 0xD800 <= ord(ch) <= 0xDFFF)
    for cl in _clusters(unicodedata.normalize("NFC", text), False):
        ch = cl[0]
        if (len(cl) == 1 and (ch in _ASCII or ch in _WHITESPACE or ch in _PDF_SPACES)) or ch in "\u00a0\u00ad":
            continue
        if _drop_reason(ch, False) is not None:
            continue
        _, shown, wrong = _pdf_char(cl)
        if shown is not None or wrong:
            found.add(cl)
    return found


# ---------------------------------------------------------------------------
# URLs
# ---------------------------------------------------------------------------
# Characters that may stand unencoded in a URI (RFC 3986: unreserved,
# gen-delims, sub-delims); everything else is percent-encoded as UTF-8.
_URI_OK = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=")
_HEX = frozenset("0123456789abcdefABCDEF")
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_PLAIN_URL = re.compile(r"[A-Za-z0-9\-._~:/?\[\]@!$&'()*+,;=]*(?:#[A-Za-z0-9\-._~:/?\[\]@!$&'()*+,;=]*)?\Z")


def _scheme(url: str) -> str:
    m = _SCHEME_RE.match(url)
    return m.group(1).lower() if m else ""


def normalize_url(url: str) -> str:
    """The URL as a PDF link must carry it: ASCII, percent-encoded where needed.

    Characters a URI may contain are kept exactly as given (including existing
    %XX escapes), so an already valid URL comes out unchanged.  Spaces, other
    non-URI ASCII (``\\ { } ^ | " < >`` and backtick), controls and non-ASCII
    (also in the host, as browsers accept) are percent-encoded as UTF-8; a
    ``%`` not followed by two hex digits becomes ``%25``; a second ``#``
    becomes ``%23`` (a URI has one fragment).
    """
    url = str(url).strip()
    if _PLAIN_URL.match(url):  # the common case: nothing to encode
        return url
    out: list[str] = []
    seen_hash = False
    for i, ch in enumerate(url):
        if ch == "%":
            hexpair = url[i + 1 : i + 3]
            out.append("%" if len(hexpair) == 2 and set(hexpair) <= _HEX else "%25")
        elif ch == "#":
            out.append("%23" if seen_hash else "#")
            seen_hash = True
        elif ch in _URI_OK:
            out.append(ch)
        else:
            data = ch.encode("utf-8", "surrogatepass") if 0xD800 <= ord(ch) <= 0xDFFF else ch.encode("utf-8")
            out.append("".join(f"%{b:02X}" for b in data))
    return "".join(out)


def pdf_string(text: str) -> Latex:
    """`text` as a PDF string in hex, ``<...>``: its ASCII bytes, or UTF-16BE after a
    byte-order mark when it has other characters (a PDF text string).

    Hex digits only: TeX reads no character of `text` (no catcode, no escaping to get
    right), and the PDF holds exactly `text`. The links and metadata of pdflinks.tex take these.
    """
    data = text.encode("ascii") if text.isascii() else b"\xfe\xff" + text.encode("utf-16-be", "surrogatepass")
    return Latex("<" + data.hex().upper() + ">")


_TEX_STRING_ESCAPED = frozenset("\\{}%#^")


def tex_string(text: str) -> Latex:
    """`text` as the argument of pdflinks.tex's \\cvhref (a URL) or a \\cvpdfmeta value:
    readable, with a backslash before ``\\ { } % # ^`` and before a space not between two
    other characters (TeX would merge or drop it); a control character is written as
    ``\\^^xx``.

    TeX reads the argument only as a string (never run; in a \\cvpdfmeta value a backslash
    takes the next character literally, in a URL, which `normalize_url` made ASCII with
    no space, ``\\ { } ^``, only ``\\%`` and ``\\#`` occur), so the PDF holds exactly `text`.
    An argument has balanced braces, no comment, no parameter and no ``^^`` notation of
    its own.
    """
    text = str(text)
    out: list[str] = []
    last = len(text) - 1
    for i, ch in enumerate(text):
        if ch in _TEX_STRING_ESCAPED:
            out.append("\\" + ch)
        elif ch == " ":
            inner = 0 < i < last and text[i - 1] != " " and text[i + 1] != " "
            out.append(" " if inner else "\\ ")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\^^{ord(ch):02x}")
        else:
            out.append(ch)
    return Latex("".join(out))


def href(url: str, label: Latex | str | None, target: Target, report: Report | None = None, where: str = "") -> Latex:
    """``\\cvhref{url}{label}``; the PDF link opens exactly `url` (see `normalize_url`),
    written readably (`tex_string`: only ``%`` and ``#`` get a backslash, the rest of
    what TeX would read as code is percent-encoded); the templates' pdflinks.tex defines
    \\cvhref.

    A `Latex` label is used as is, a `str` label is escaped, None shows the URL
    itself (without ``mailto:``/``tel:``) via `url_text`.  URLs whose scheme is
    not http, https, mailto or tel are not linked: the label (or the URL as
    text) is returned with a warning.
    """
    raw = str(url).strip()
    if label is None:
        shown = raw
        if _scheme(raw) in ("mailto", "tel"):
            shown = raw.split(":", 1)[1]
        label_tex = url_text(shown, target, report, where)
    elif isinstance(label, Latex):
        label_tex = label
    else:
        label_tex = escape(label, target, report, where)
    scheme = _scheme(raw)
    if scheme not in HREF_SCHEMES or len(raw) <= len(scheme) + 1:
        _warn(report, where, f"not linking '{raw}': only {', '.join(HREF_SCHEMES)} links are allowed")
        return label_tex
    return Latex(r"\cvhref{" + tex_string(normalize_url(raw)) + "}{" + label_tex + "}")


def url_text(url: str, target: Target | None = None, report: Report | None = None, where: str = "") -> Latex:
    """A URL (or e-mail address) shown as text, breakable after ``/ . - _ ? & = # @`` and the like.

    Never hyphenated (no hyphen can appear that is not in the URL); the break
    points add no characters to the PDF text.  `target` defaults to pdflatex.
    """
    if isinstance(url, Latex):
        return url
    target = target or PDFLATEX
    toks = _tokens(str(url).strip(), target, report, where)
    # \nobreak{} first: TeX only hyphenates a word that directly follows glue;
    # a penalty in between stops that for the first part of the URL, and the
    # break points stop it for the others.
    return Latex(r"\nobreak{}" + _assemble(toks, _URL_BREAK_AFTER, 0))


# ---------------------------------------------------------------------------
# Safe inline markup
# ---------------------------------------------------------------------------
def _can_open(s: str, i: int, n: int, end: int) -> bool:
    prev = s[i - 1] if i > 0 else " "
    nxt = s[i + n] if i + n < end else " "
    return not prev.isalnum() and not nxt.isspace()


def _star_run(s: str, i: int, end: int) -> int:
    j = i
    while j < end and s[j] == "*":
        j += 1
    return j - i


def _find_closer(s: str, i: int, end: int, n: int) -> int:
    k = i
    while k < end:
        c = s[k]
        if c == "\\" and k + 1 < end and s[k + 1] in "*`[]":
            k += 2
            continue
        if c == "`":
            j = s.find("`", k + 1, end)
            if j > k + 1:
                k = j + 1
                continue
        if c == "*":
            r = _star_run(s, k, end)
            if r == n and k > i and not s[k - 1].isspace() and (k + n >= end or not s[k + n].isalnum()):
                return k
            k += r
            continue
        k += 1
    return -1


def _link_at(s: str, i: int, end: int) -> tuple[int, int, int, int] | None:
    """For "[label](url)" at i: (label_start, label_end, url_start, url_end)."""
    k, depth = i + 1, 0
    while k < end:
        c = s[k]
        if c == "\\" and k + 1 < end and s[k + 1] in "*`[]":
            k += 2
            continue
        if c == "[":
            depth += 1
        elif c == "]":
            if depth == 0:
                break
            depth -= 1
        k += 1
    else:
        return None
    if k == i + 1 or k + 1 >= end or s[k + 1] != "(":
        return None
    u, depth = k + 2, 0
    while u < end:
        c = s[u]
        if c.isspace():
            return None
        if c == "(":
            depth += 1
        elif c == ")":
            if depth == 0:
                break
            depth -= 1
        u += 1
    else:
        return None
    return i + 1, k, k + 2, u


def _link_ok(url: str) -> bool:
    scheme = _scheme(url)
    if scheme in ("http", "https"):
        return re.match(r"^[A-Za-z]+://[^/?#\s]+", url) is not None
    if scheme == "mailto":
        return re.match(r"^mailto:[^@\s]+@[^@\s]+$", url, re.IGNORECASE) is not None
    return False


def _parse(s: str, i: int, end: int, links: bool) -> list:
    nodes: list = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            nodes.append(("text", "".join(buf)))
            buf.clear()

    while i < end:
        c = s[i]
        if c == "\\" and i + 1 < end and s[i + 1] in "*`[]":
            buf.append(s[i + 1])
            i += 2
            continue
        if c == "`":
            j = s.find("`", i + 1, end)
            if j > i + 1:
                flush()
                nodes.append(("code", s[i + 1 : j]))
                i = j + 1
                continue
        elif c == "*":
            run = _star_run(s, i, end)
            if run <= 3 and _can_open(s, i, run, end):
                j = _find_closer(s, i + run, end, run)
                if j >= 0:
                    flush()
                    inner = _parse(s, i + run, j, links)
                    if run == 1:
                        nodes.append(("i", inner))
                    elif run == 2:
                        nodes.append(("b", inner))
                    else:
                        nodes.append(("b", [("i", inner)]))
                    i = j + run
                    continue
            buf.append("*" * run)
            i += run
            continue
        elif c == "[" and links:
            m = _link_at(s, i, end)
            if m is not None and _link_ok(s[m[2] : m[3]]):
                flush()
                nodes.append(("link", s[m[2] : m[3]], _parse(s, m[0], m[1], False)))
                i = m[3] + 1
                continue
        buf.append(c)
        i += 1
    flush()
    return nodes


def _render(nodes: list, target: Target, report: Report | None, where: str) -> str:
    out: list[str] = []
    for node in nodes:
        kind = node[0]
        if kind == "text":
            out.append(escape(node[1], target, report, where))
        elif kind == "code":
            out.append(r"\texttt{" + escape(node[1], target, report, where) + "}")
        elif kind == "b":
            out.append(r"\textbf{" + _render(node[1], target, report, where) + "}")
        elif kind == "i":
            out.append(r"\textit{" + _render(node[1], target, report, where) + "}")
        elif kind == "link":
            out.append(href(node[1], Latex(_render(node[2], target, report, where)), target, report, where))
    return "".join(out)


def markup(text: object, target: Target, report: Report | None = None, where: str = "") -> Latex:
    """Text with a small, safe inline markup, as LaTeX; all text is escaped.

    * ``**bold**`` -> ``\\textbf``, ``*italic*`` -> ``\\textit``,
      ``***both***``, ```code``` -> ``\\texttt`` (no markup inside code);
    * ``[label](url)`` -> a link, for http(s):// and mailto: URLs only;
      anything else (``[x](not a url)``, ``javascript:``...) stays literal text.

    Nothing is ever eaten: a ``*`` only opens emphasis when it is not preceded
    by a letter or digit and is followed by a non-space, and only closes it
    after a non-space and when not followed by a letter or digit, so ``Xia*``,
    ``2*3*4``, ``a * b`` and an unclosed ``**`` stay as typed.  ``_`` is never
    markup (``snake_case`` stays).  To write a literal ``*``, backtick or
    bracket where it would be read as markup, put a backslash before it:
    ``\\*not italic\\*`` gives ``*not italic*``; ``\\```, ``\\[`` and ``\\]``
    likewise.  Any other backslash is a literal backslash.
    """
    if isinstance(text, Latex):
        return text
    if text is None:
        return Latex("")
    s = str(text)
    return Latex(_render(_parse(s, 0, len(s), True), target, report, where))


def inline_nodes(text: str) -> list:
    """The inline markup of `text` as the nodes markup() typesets, for other outputs
    (plain text, Markdown): ("text", s), ("code", s), ("b", nodes), ("i", nodes), ("link", url, nodes)."""
    return _parse(text, 0, len(text), True)
