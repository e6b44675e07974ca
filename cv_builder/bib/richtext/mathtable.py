"""The math whitelist: every command a .bib formula may use, its LaTeX and its Unicode text.

Only what is named here reaches TeX from a formula; the LaTeX is ours (this
table's), never the .bib's.  Everything is in the LaTeX kernel's fonts (so
pdflatex, xelatex, lualatex and the embedded TinyTeX all set it), except
\\mathbb and \\mathfrak, which fall back to bold and upright letters where
amssymb is not installed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Characters set in a formula as themselves (brackets braced: never an optional argument).
_SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-=()<>,./|'!:;?*@ "

_GREEK = (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi "
    "varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi "
    "Pi Sigma Upsilon Phi Psi Omega"
).split()
_GREEK_TEXT = "αβγδϵεζηθϑικλμνξπϖρϱσςτυϕφχψωΓΔΘΛΞΠΣΥΦΨΩ"

_NAMED = {
    # operators and relations
    "pm": "±",
    "mp": "∓",
    "times": "×",
    "div": "÷",
    "cdot": "·",
    "ast": "∗",
    "star": "⋆",
    "circ": "∘",
    "bullet": "•",
    "oplus": "⊕",
    "otimes": "⊗",
    "cup": "∪",
    "cap": "∩",
    "wedge": "∧",
    "vee": "∨",
    "setminus": "∖",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "ne": "≠",
    "equiv": "≡",
    "sim": "∼",
    "simeq": "≃",
    "approx": "≈",
    "cong": "≅",
    "propto": "∝",
    "ll": "≪",
    "gg": "≫",
    "subset": "⊂",
    "subseteq": "⊆",
    "supset": "⊃",
    "supseteq": "⊇",
    "in": "∈",
    "notin": "∉",
    "ni": "∋",
    "perp": "⊥",
    "parallel": "∥",
    "mid": "∣",
    "models": "⊨",
    "vdash": "⊢",
    # arrows
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "gets": "←",
    "leftrightarrow": "↔",
    "Rightarrow": "⇒",
    "Leftarrow": "⇐",
    "Leftrightarrow": "⇔",
    "mapsto": "↦",
    "uparrow": "↑",
    "downarrow": "↓",
    "longrightarrow": "⟶",
    "implies": "⟹",
    "iff": "⟺",
    # letters and other symbols
    "ell": "ℓ",
    "hbar": "ℏ",
    "infty": "∞",
    "partial": "∂",
    "nabla": "∇",
    "forall": "∀",
    "exists": "∃",
    "emptyset": "∅",
    "neg": "¬",
    "lnot": "¬",
    "prime": "′",
    "aleph": "ℵ",
    "Re": "ℜ",
    "Im": "ℑ",
    "wp": "℘",
    "surd": "√",
    "angle": "∠",
    "triangle": "△",
    "dagger": "†",
    "ddagger": "‡",
    "degree": "°",
    "sum": "∑",
    "prod": "∏",
    "int": "∫",
    "oint": "∮",
    "langle": "⟨",
    "rangle": "⟩",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "lceil": "⌈",
    "rceil": "⌉",
    "vert": "|",
    "Vert": "‖",
    "ldots": "…",
    "dots": "…",
    "cdots": "⋯",
    "colon": ":",
    # operator names
    **{
        n: n
        for n in "log ln lg exp sin cos tan cot sec csc sinh cosh tanh arcsin arccos arctan max min "
        "lim sup inf det dim ker deg arg gcd Pr mod".split()
    },
}

# name -> (LaTeX, Unicode text).  Keys: a safe character, or a command with its backslash.
SYMBOLS: dict[str, tuple[str, str]] = {
    **{c: (c, c) for c in _SAFE},
    "[": ("{[}", "["),
    "]": ("{]}", "]"),
    **{"\\" + n: ("\\" + n + " ", t) for n, t in zip(_GREEK, _GREEK_TEXT, strict=True)},
    **{"\\" + n: ("\\" + n + " ", t) for n, t in _NAMED.items()},
    "\\mod": (r"\bmod ", "mod"),
    "\\degree": (r"{}^{\circ}", "°"),
    "\\implies": (r"\Longrightarrow ", "⟹"),
    "\\iff": (r"\Longleftrightarrow ", "⟺"),
    # amssymb's, with a kernel look-alike where it is not installed
    "\\lesssim": (r"\ifdefined\lesssim\lesssim\else\mathrel{<\!\sim}\fi ", "≲"),
    "\\gtrsim": (r"\ifdefined\gtrsim\gtrsim\else\mathrel{>\!\sim}\fi ", "≳"),
    "\\varnothing": (r"\ifdefined\varnothing\varnothing\else\emptyset\fi ", "∅"),
    "\\checkmark": (r"\ifdefined\checkmark\checkmark\else\surd\fi ", "✓"),
    # control symbols
    "\\{": (r"\{", "{"),
    "\\}": (r"\}", "}"),
    "\\|": (r"\|", "‖"),
    "\\%": (r"\%", "%"),
    "\\&": (r"\&", "&"),
    "\\#": (r"\#", "#"),
    "\\$": (r"\$", "$"),
    "\\_": (r"\_", "_"),
    "\\,": (r"\,", "\u2009"),
    "\\:": (r"\:", " "),
    "\\;": (r"\;", " "),
    "\\ ": (r"\ ", " "),
    "\\!": (r"\!", ""),
    "\\quad": (r"\quad ", " "),
    "\\qquad": (r"\qquad ", " "),
}

# Unicode typed inside a formula that a command stands for ("$α$", "$≤$").
BY_TEXT: dict[str, str] = {}
for _name, (_tex, _text) in SYMBOLS.items():
    if len(_text) == 1 and not _text.isascii() and _name.startswith("\\"):
        BY_TEXT.setdefault(_text, _name)

_SUP = dict(zip("0123456789+-=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ", strict=True))
_SUB = dict(zip("0123456789+-=()aeoxhklmnpstijruv", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥ", strict=True))


def plain_script(kind: str, text: str) -> str:
    """A super- or subscript as text: Unicode's raised or lowered forms where every
    character has one ("n²", "H₂O"), else the characters themselves ("5th", "W±")."""
    table = _SUP if kind == "^" else _SUB
    text = text.replace("\u2212", "-")
    if text and all(c in table for c in text):
        return "".join(table[c] for c in text)
    return text


def _alphabet(upper: int, lower: int | None, holes: dict[str, str], digits: int | None = None) -> Callable[[str], str]:
    """A Mathematical Alphanumeric Symbols alphabet (letters missing from the block are in `holes`)."""

    def convert(text: str) -> str:
        out = []
        for c in text:
            if c in holes:
                out.append(holes[c])
            elif "A" <= c <= "Z":
                out.append(chr(upper + ord(c) - 65))
            elif "a" <= c <= "z" and lower is not None:
                out.append(chr(lower + ord(c) - 97))
            elif "0" <= c <= "9" and digits is not None:
                out.append(chr(digits + ord(c) - 48))
            else:
                out.append(c)
        return "".join(out)

    return convert


_DOUBLE_STRUCK = _alphabet(0x1D538, 0x1D552, dict(zip("CHNPQRZ", "ℂℍℕℙℚℝℤ", strict=True)), 0x1D7D8)
_SCRIPT = _alphabet(0x1D49C, None, dict(zip("BEFHILMR", "ℬℰℱℋℐℒℳℛ", strict=True)))


def _wrap(text: str) -> str:
    """An argument as text: parenthesised when it is more than one symbol ("√(x+1)")."""
    return text if len(text) <= 1 or text.isalnum() and len(text) <= 2 else f"({text})"


def _combining(mark: str) -> Callable[[str], str]:
    return lambda text: text + mark if text else ""


@dataclass(frozen=True)
class Function:
    """A command with arguments: its LaTeX (the arguments as {0}, {1}) and its text."""

    arity: int
    latex: str
    plain: Callable[..., str]


def _SAME(text: str) -> str:
    """The text of a font switch: its argument's."""
    return text


FUNCTIONS: dict[str, Function] = {
    "\\sqrt": Function(1, r"\sqrt{{{0}}}", lambda a: "√" + _wrap(a)),
    "\\frac": Function(2, r"\frac{{{0}}}{{{1}}}", lambda a, b: f"{_wrap(a)}/{_wrap(b)}"),
    "\\tfrac": Function(2, r"\frac{{{0}}}{{{1}}}", lambda a, b: f"{_wrap(a)}/{_wrap(b)}"),
    "\\dfrac": Function(2, r"\frac{{{0}}}{{{1}}}", lambda a, b: f"{_wrap(a)}/{_wrap(b)}"),
    "\\mathbb": Function(1, r"\ifdefined\mathbb\mathbb{{{0}}}\else\mathbf{{{0}}}\fi ", _DOUBLE_STRUCK),
    "\\mathfrak": Function(1, r"\ifdefined\mathfrak\mathfrak{{{0}}}\else\mathrm{{{0}}}\fi ", _SAME),
    "\\mathcal": Function(1, r"\mathcal{{{0}}}", _SCRIPT),
    "\\mathscr": Function(1, r"\mathcal{{{0}}}", _SCRIPT),
    "\\mathrm": Function(1, r"\mathrm{{{0}}}", _SAME),
    "\\operatorname": Function(1, r"\mathrm{{{0}}}", _SAME),
    "\\mathbf": Function(1, r"\mathbf{{{0}}}", _SAME),
    "\\boldsymbol": Function(1, r"\mathbf{{{0}}}", _SAME),
    "\\bm": Function(1, r"\mathbf{{{0}}}", _SAME),
    "\\mathit": Function(1, r"\mathit{{{0}}}", _SAME),
    "\\mathsf": Function(1, r"\mathsf{{{0}}}", _SAME),
    "\\mathtt": Function(1, r"\mathtt{{{0}}}", _SAME),
    "\\hat": Function(1, r"\hat{{{0}}}", _combining("\u0302")),
    "\\widehat": Function(1, r"\widehat{{{0}}}", _combining("\u0302")),
    "\\bar": Function(1, r"\bar{{{0}}}", _combining("\u0304")),
    "\\overline": Function(1, r"\overline{{{0}}}", _combining("\u0305")),
    "\\underline": Function(1, r"\underline{{{0}}}", _combining("\u0332")),
    "\\tilde": Function(1, r"\tilde{{{0}}}", _combining("\u0303")),
    "\\widetilde": Function(1, r"\widetilde{{{0}}}", _combining("\u0303")),
    "\\vec": Function(1, r"\vec{{{0}}}", _combining("\u20d7")),
    "\\dot": Function(1, r"\dot{{{0}}}", _combining("\u0307")),
    "\\ddot": Function(1, r"\ddot{{{0}}}", _combining("\u0308")),
}

# Commands whose argument is text, not math: \text{if}, DBLP's \mbox{th}.
TEXT_ARGUMENT = frozenset(
    {"\\text", "\\mbox", "\\textrm", "\\textit", "\\textbf", "\\textsf", "\\texttt", "\\textnormal", "\\hbox"}
)
# Commands that only size or space things: dropped, what follows stays.
IGNORED = frozenset(
    {
        "\\left",
        "\\right",
        "\\big",
        "\\Big",
        "\\bigg",
        "\\Bigg",
        "\\bigl",
        "\\bigr",
        "\\Bigl",
        "\\Bigr",
        "\\displaystyle",
        "\\textstyle",
        "\\scriptstyle",
        "\\limits",
        "\\nolimits",
        "\\mathrel",
        "\\mathbin",
        "\\mathop",
        "\\mathord",
        "\\ensuremath",
        "\\relax",
        # plain TeX's font switches ({\\rm GeV}): the letters stay, in math italic
        "\\rm",
        "\\bf",
        "\\it",
        "\\cal",
        "\\sf",
        "\\tt",
        "\\mit",
        "\\boldmath",
    }
)
