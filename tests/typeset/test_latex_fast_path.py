"""Speed-ups that must not change a byte: the plain-text fast path of latex.escape."""

from __future__ import annotations

import random
import string

import pytest

from cv_builder.errors import Report
from cv_builder.typeset import latex


def slow(text: str, target: latex.Target) -> str:
    return latex._assemble(latex._tokens(text, target, Report(), ""), latex._WORD_BREAK_AFTER, latex.LONG_WORD)


@pytest.mark.parametrize("engine", ["pdflatex", "lualatex"])
def test_plain_fast_path_equals_the_full_escaper(engine):
    target = latex.Target.for_engine(engine)
    rnd = random.Random(6)
    alphabet = string.printable + "–—’“”é机"
    plain = " !'()+,-./0123456789:;=?@" + string.ascii_letters
    samples = ["Zero-Shot Reasoning, at Scale", "Don't Stop: a--b", "x" * 31, "x" * 30, "What?! No.", "a  b", ""]
    for _ in range(4000):
        pool = plain if rnd.random() < 0.8 else alphabet
        samples.append("".join(rnd.choice(pool) for _ in range(rnd.randint(0, 45))))
    fast = 0
    for text in samples:
        assert latex.escape(text, target) == slow(text, target), repr(text)
        fast += latex._plain(text)
    assert fast > 1000  # the fast path is really taken
    for ch in map(chr, range(32, 127)):
        if latex._plain(ch):
            assert slow("a" + ch + "a", target) == "a" + ch + "a"


def test_fast_path_knows_every_ligature_character_it_lets_through():
    plain_ligature_chars = {c for c in latex._LIG_CLASS if latex._PLAIN_RE.fullmatch(c)}
    assert all(latex._NOT_PLAIN_RE.search(a + b) for a in plain_ligature_chars for b in plain_ligature_chars)


def test_plain_url_fast_path_equals_the_full_encoder(monkeypatch):
    rnd = random.Random(6)
    alphabet = string.printable + "é机%#"
    urls = [
        "https://arxiv.org/abs/2502.12067",
        "https://x.org/a#b#c",
        "https://x.org/%zz",
        "mailto:a@b.c",
        "https://x.org/a b",
        "https://例え.jp/パス",
        "",
    ]
    for _ in range(5000):
        pool = alphabet if rnd.random() < 0.3 else string.ascii_letters + "/:.#%?=&"
        urls.append("".join(rnd.choice(pool) for _ in range(rnd.randint(0, 40))))
    fast = [latex.normalize_url(u) for u in urls]

    class Never:
        @staticmethod
        def match(_):
            return None

    monkeypatch.setattr(latex, "_PLAIN_URL", Never)
    assert fast == [latex.normalize_url(u) for u in urls]
    assert sum(u == f for u, f in zip(urls, fast, strict=True)) > 1000  # the fast path is taken
