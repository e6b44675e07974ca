"""The .bib load stage: parsing, decoding and located errors."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SEED, needs_seed

from cv_builder.bib.reader import BibEntry, decode_latex, load_bib, normalise_month, parse_bib
from cv_builder.errors import InputError, Report

DATA = Path(__file__).resolve().parents[1] / "data"


def parse(text: str, report: Report | None = None, strict: bool = False) -> list[BibEntry]:
    return parse_bib(text, "pubs.bib", report if report is not None else Report(), strict)


def one(text: str, report: Report | None = None) -> dict[str, str]:
    entries = parse(text, report)
    assert len(entries) == 1
    return entries[0].fields


def problems(text: str, strict: bool = False) -> list:
    with pytest.raises(InputError) as err:
        parse(text, strict=strict)
    return err.value.problems


def warnings(text: str) -> tuple[list[BibEntry], list[str]]:
    """Entries and warnings (as printed) of a file parsed without --strict."""
    report = Report()
    entries = parse(text, report)
    return entries, [str(w) for w in report.warnings]


def entry(fields: str, kind: str = "article", key: str = "k") -> str:
    return f"@{kind}{{{key},\n  author = {{Ann Author}},\n  year = 2020,\n{fields}\n}}\n"


# --------------------------------------------------------------------------
# Seed and al-folio files


@needs_seed
def test_seed_loads_17_entries_in_order_without_warnings():
    report = Report()
    entries = load_bib(SEED, report, display_name="data/publications.bib")
    assert len(entries) == 17
    assert report.warnings == []
    first = entries[0]
    assert (first.key, first.type, first.line, first.file) == (
        "xia2025tokenskip",
        "article",
        7,
        "data/publications.bib",
    )
    assert first.fields["author"].startswith("Xia, Heming and Li, Yongqi")
    assert first.fields["code"] == "https://github.com/hemingkx/TokenSkip"
    assert first.fields["archiveprefix"] == "arXiv"  # field names are lower-cased
    by_key = {e.key: e for e in entries}
    assert by_key["wang2025beyond"].fields["equal_contribution"] == "1,2"
    assert by_key["wang2024appbench"].fields["pages"] == "15322–15336"
    assert by_key["dong2024survey"].fields["jiqizhixin"] == "https://mp.weixin.qq.com/s/_eqK9bSlDSkIxaE0wb9sfA"


def test_alfolio_file_loads_with_no_warnings():
    report = Report()
    entries = load_bib(DATA / "alfolio.bib", report)
    assert report.warnings == []
    keys = [e.key for e in entries]
    # the crossref'd proceedings volume stays (the bibliography stage decides whether it is listed)
    assert keys == [
        "mueller2023bert",
        "mueller2024survey",
        "neurips2022",
        "mueller2022tiny",
        "mueller2025agents",
        "mueller2023workshop",
        "mueller2021thesis",
    ]
    bert = entries[0].fields
    assert bert["title"] == "Probing BERT for Morphology in Low-Resource Languages"
    assert bert["author"] == "Müller*, Zoë and García*, José and Åström, Björn and Dupont, Jean-Paul"
    assert bert["booktitle"].startswith("Proceedings of the 61st Annual Meeting")  # @string
    assert bert["month"] == "7"
    assert bert["pdf"] == "mueller2023bert.pdf"
    assert bert["abstract"] == "We probe BERT's representations of morphology in 12\u00a0languages."
    survey = entries[1].fields
    assert survey["title"] == "A Survey of Tokenization — Past, Present & Future"
    assert survey["month"] == "9"
    assert survey["doi"] == "10.1162/tacl_a_00600"
    tiny = entries[3].fields
    assert tiny["booktitle"] == "Advances in Neural Information Processing Systems 35"  # NIPS # " 35"
    assert tiny["year"] == "2022" and tiny["publisher"] == "Curran Associates, Inc."  # crossref
    assert tiny["title"].startswith("Tiny Models, Big Gains: 95% of the Accuracy")
    assert entries[4].fields["author"] == "Z. Müller and {OpenAI Team}"
    assert entries[5].fields["month"] == "3"
    assert entries[6].fields["school"] == "Université de Montréal"


def test_a_build_with_a_cached_parse_never_imports_bibtexparser(tmp_path):
    """bibtexparser is imported only to parse (~25 ms): a build whose .bib is unchanged reads
    the parsed entries from the cache and never imports it."""
    bib = tmp_path / "x.bib"
    bib.write_text(
        "@inproceedings{a,\n title = {T},\n author = {A. B and C. D},\n year = 2024,\n title = {again}}\n",
        encoding="utf-8",
    )
    code = (
        "import sys; from pathlib import Path; from cv_builder.incremental import stores; "
        "from cv_builder.bib.reader import load_bib; from cv_builder.errors import Report; "
        f"bib, out = Path({str(bib)!r}), Path({str(tmp_path / 'out' / 'cv.pdf')!r}); r = Report(); "
        "e = stores.parsed_bib(out, bib, 'x.bib', r, lambda sink: load_bib(bib, sink, 'x.bib')); "
        "stores.write_pending(); "
        "print(e[0].fields['title'], len(r.warnings), 'bibtexparser' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
        ).stdout.split()
        for _ in range(2)
    ]
    assert runs == [["T", "1", "True"], ["T", "1", "False"]]  # the duplicate title still warned about


# --------------------------------------------------------------------------
# Values: @string, #, months, crossref


def test_string_macros_and_concatenation():
    fields = one(
        '@string{ACL = "Proceedings of ACL"}\n@STRING{yr = {2023}}\n'
        '@inproceedings{k, author = {A B}, title = "Part " # {One}, '
        "booktitle = acl # { } # yr, year = yr, month = jan}\n"
    )
    assert fields["title"] == "Part One"
    assert fields["booktitle"] == "Proceedings of ACL 2023"  # macro names are case-insensitive
    assert fields["year"] == "2023"
    assert fields["month"] == "1"


def test_string_used_before_its_definition_and_redefinition():
    report = Report()
    fields = one(
        "@article{k, author = {A B}, title = t, year = 2020}\n@string{t = {First}}\n@string{t = {Second}}\n", report
    )
    assert fields["title"] == "Second"
    assert "defined twice" in str(report.warnings[0])


@pytest.mark.parametrize(
    "raw, month",
    [
        ("jan", "1"),
        ("{January}", "1"),
        ("{Jan.}", "1"),
        ("{01}", "1"),
        ("12", "12"),
        ("{sept}", "9"),
        ("{Sep}", "9"),
        ("dec", "12"),
        ("{may}", "5"),
        ("{ 7 }", "7"),
    ],
)
def test_month_is_normalised(raw, month):
    assert one(entry(f"  title = {{T}},\n  month = {raw}"))["month"] == month


def test_bad_month_is_dropped_with_a_warning():
    report = Report()
    fields = one(entry("  title = {T},\n  month = {Spring}"), report)
    assert "month" not in fields
    assert "Spring" in str(report.warnings[0])
    assert normalise_month("13") is None and normalise_month("ja") is None


def test_date_field_gives_year_and_month():
    fields = one("@online{k, author = {A B}, title = {T}, date = {2024-05-17}}\n")
    assert (fields["year"], fields["month"]) == ("2024", "5")


def test_crossref_child_inherits_missing_fields():
    entries = parse(
        "@inproceedings{child, author = {A B}, title = {Child}, crossref = {Conf22}, pages = {1--2}}\n"
        "@proceedings{conf22, title = {Proc. of Conf}, year = 2022, publisher = {P},\n"
        "  editor = {E Ditor}}\n"
    )
    assert [e.key for e in entries] == ["child", "conf22"]  # the bibliography stage decides about the volume
    assert entries[0].fields["crossref"] == "conf22"  # as the parent spells its key
    fields = entries[0].fields
    assert fields["title"] == "Child"  # own fields win
    assert fields["booktitle"] == "Proc. of Conf"  # a proceedings' title is the child's booktitle
    assert (fields["year"], fields["publisher"]) == ("2022", "P")


def test_missing_crossref_parent_is_a_warning():
    report = Report()
    one("@article{k, author = {A B}, title = {T}, year = 2020, crossref = {nowhere}}\n", report)
    assert "nowhere" in str(report.warnings[0])


def test_preamble_warns_with_file_and_line_and_comment_is_silent():
    report = Report()
    entries = parse(
        '@comment{ignore me {nested}}\n\n@preamble{"\\newcommand{\\noopsort}[1]{}"}\n' + entry("  title = {T}"), report
    )
    assert len(entries) == 1
    assert len(report.warnings) == 1
    w = report.warnings[0]
    assert (w.file, w.line) == ("pubs.bib", 3) and "@preamble" in w.message


@pytest.mark.parametrize("text", ["", "   \n\n", "% only a comment\n", "@comment{nothing here}\n"])
def test_empty_files_are_not_an_error(text):
    assert parse(text) == []


def test_empty_file_on_disk(tmp_path):
    path = tmp_path / "bib_empty.bib"
    path.write_bytes(b"")
    assert load_bib(path, Report()) == []


def test_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.bib"
    path.write_bytes(b"\xef\xbb\xbf" + entry("  title = {T}").encode())
    assert load_bib(path, Report())[0].fields["title"] == "T"


def test_duplicate_field_keeps_first_and_warns():
    report = Report()
    fields = one(entry("  title = {First},\n  title = {Second}"), report)
    assert fields["title"] == "First"
    assert "twice" in str(report.warnings[0])


def test_parenthesised_entries_and_trailing_comma():
    fields = one("@article(k, author = {A B}, title = {T}, year = 2020,)\n")
    assert fields["title"] == "T"


# --------------------------------------------------------------------------
# LaTeX decoding


@pytest.mark.parametrize(
    "latex, text",
    [
        (r"{\"o}", "ö"),
        (r"\'e", "é"),
        (r"{\aa}", "å"),
        (r"\ss", "ß"),
        (r"Stra\ss e", "Straße"),
        (r"a--b", "a–b"),
        (r"a---b", "a—b"),
        ("a~b", "a\u00a0b"),
        (r"\&", "&"),
        (r"\%", "%"),
        (r"\_", "_"),
        (r"\#", "#"),
        (r"\$", "$"),
        ("{BERT}", "BERT"),
        ("{{BERT}} and {GPT}", "BERT and GPT"),
        (r"Schr\"{o}dinger", "Schrödinger"),
        (r"G{\"o}del", "Gödel"),
        (r"{\'\i}", "í"),
        (r"\c{c}", "ç"),
        (r"{\v{C}}apek", "Čapek"),
        (r"\v s", "š"),
        (r"\o", "ø"),
        (r"\L{}\'od\'z", "Łódź"),
        (r"\H{o}", "ő"),
        (r"\textbf{bold} \emph{it}", "bold it"),
        (r"{\em x}", "x"),
        (r"$\alpha$-decay", "α-decay"),
        (r"\LaTeX\ rocks", "LaTeX rocks"),
        ("``quoted''", "“quoted”"),
        (r"\href{http://x}{text}", "text"),
        (r"100\,000", "100\u202f000"),
        (r"\textsuperscript{th}", "th"),
        ("trailing\\", "trailing"),
    ],
)
def test_decode_latex(latex, text):
    assert decode_latex(latex) == (text, [])


def test_unknown_command_is_kept_as_text_and_warned_once():
    report = Report()
    entries = parse(
        "@article{a, author = {A B}, year = 2020, title = {The \\foo{} method}}\n"
        "@article{b, author = {A B}, year = 2020, title = {\\foo bar}}\n",
        report,
    )
    assert entries[0].fields["title"] == "The method"  # never the command's name glued to the text
    assert entries[1].fields["title"] == "bar"
    assert len(report.warnings) == 1
    assert "\\foo" in report.warnings[0].message and "1 more" in report.warnings[0].message
    assert "field 'title'" in report.warnings[0].message


@pytest.mark.parametrize(
    "text",
    [
        "{" * 5000 + "x",
        "}" * 50 + "x",
        "\\",
        "\\'",
        "\\'{",
        "$$$",
        "\\verb|x|",
        '{\\"}',
        "\\c",
        "~~~",
        "\\" + "\\" * 99,
        "\\href{",
        "\u0000\\u{}",
    ],
)
def test_decoding_never_raises(text):
    decoded, _ = decode_latex(text)
    assert "\\" not in decoded or text.startswith("\\" * 2)


def test_link_fields_are_verbatim():
    fields = one(
        entry(
            "  title = {A~B},\n  url = {https://x.org/~me/a\\_b?c=1\\&d=2},\n"
            "  doi = {10.1000/a--b},\n  code = {https://github.com/x/y--z},\n"
            "  jiqizhixin = {https://mp.weixin.qq.com/s/_e~q}"
        )
    )
    assert fields["title"] == "A\u00a0B"
    assert fields["url"] == "https://x.org/~me/a_b?c=1&d=2"
    assert fields["doi"] == "10.1000/a--b"
    assert fields["code"] == "https://github.com/x/y--z"
    assert fields["jiqizhixin"] == "https://mp.weixin.qq.com/s/_e~q"


def test_name_fields_keep_their_braces_for_name_splitting():
    fields = one(
        "@article{k, title = {T}, year = 2020,\n"
        '  author = {{OpenAI Team} and M{\\"u}ller, Zo{\\"e} and {Barnes and Noble}}}\n'
    )
    assert fields["author"] == "{OpenAI Team} and Müller, Zoë and {Barnes and Noble}"


def test_whitespace_and_line_breaks_collapse():
    fields = one(entry("  title = {A long\n      title   here}"))
    assert fields["title"] == "A long title here"


# --------------------------------------------------------------------------
# Errors: every problem, located


def test_missing_file_names_the_path_and_cv_yaml(tmp_path):
    with pytest.raises(InputError) as err:
        load_bib(tmp_path / "nope.bib", Report(), display_name="data/nope.bib")
    (problem,) = err.value.problems
    assert "data/nope.bib" in problem.message
    assert "publications.bib" in problem.message and "cv.yaml" in problem.message


def test_invalid_utf8_reports_the_byte_offset(tmp_path):
    path = tmp_path / "bib_latin1.bib"
    data = entry("  title = {Caf\xe9}").encode("latin-1")
    path.write_bytes(data)
    with pytest.raises(InputError) as err:
        load_bib(path, Report(), display_name="pubs.bib")
    (problem,) = err.value.problems
    offset = data.index(b"\xe9")
    assert f"byte offset {offset}" in problem.message
    assert (problem.file, problem.line) == ("pubs.bib", 4)


def test_unbalanced_braces_point_at_the_unclosed_field():
    (problem,) = problems(
        "@article{a,\n  title = {X,\n  author = {A B},\n  year = 2020\n}\n\n"
        "@article{b,\n  title = {Y}, author = {C D}, year = 2021}\n"
    )
    assert problem.line == 2
    assert "'a'" in problem.message and "unbalanced" in problem.message


def test_entry_not_closed_before_the_next_one():
    (problem,) = problems(
        "@article{a,\n  title = {X},\n  author = {A B},\n  year = {2020}\n\n"
        "@article{b, title = {Y}, author = {C D}, year = 2021}\n"
    )
    assert problem.line == 1
    assert "'a'" in problem.message and "line 6" in problem.message


def test_entry_not_closed_at_end_of_file():
    (problem,) = problems("@article{a,\n  title = {X},\n  author = {A B},\n  year = {2020\n}\n")
    assert problem.line == 1 and "end of the file" in problem.message


def test_unclosed_quote():
    (problem,) = problems('@article{a,\n  title = "X,\n  author = {A B},\n  year = 2020\n}\n')
    assert problem.line == 2 and '"' in problem.message


def test_extra_closing_brace():
    (problem,) = problems("@article{a,\n  title = {X}},\n  author = {A B},\n  year = 2020\n}\n")
    assert problem.line == 2
    assert "extra '}'" in problem.message and "'a'" in problem.message


def test_missing_comma_between_fields():
    text = "@article{a,\n  title = {X}\n  author = {A B},\n  year = 2020\n}\n"
    (problem,) = problems(text, strict=True)
    assert problem.line == 3
    assert "missing comma" in problem.message and "'a'" in problem.message and "author" in problem.message
    # BibTeX goes on; so do we: the two fields the person wrote, and a located warning
    entries, printed = warnings(text)
    assert entries[0].fields == {"title": "X", "author": "A B", "year": "2020"}
    assert printed == ["pubs.bib:3: a: missing comma between field 'title' and field 'author'; read as two fields"]


def test_missing_comma_after_key():
    (problem,) = problems("@article{mykey\n  title = {X},\n  author = {A B},\n  year = 2020\n}\n")
    assert problem.line == 1
    assert "mykey" in problem.message and "comma" in problem.message


def test_duplicate_key_names_both_lines():
    (problem,) = problems(
        "@article{a, title = {X}, author = {A B}, year = 2020}\n\n"
        "@article{a,\n  title = {Y}, author = {A B}, year = 2020}\n",
        strict=True,
    )
    assert problem.line == 3 and "line 1" in problem.message and "'a'" in problem.message


def test_duplicate_keys_differing_in_case():
    (problem,) = problems(
        "@article{Xia2020, title = {X}, author = {A B}, year = 2020}\n"
        "@article{xia2020, title = {Y}, author = {A B}, year = 2020}\n",
        strict=True,
    )
    assert problem.line == 2 and "case" in problem.message


def test_undefined_string_macro():
    (problem,) = problems(
        "@article{a,\n  title = {X},\n  journal = jacm,\n  author = {A B},\n  year = 2020\n}\n", strict=True
    )
    assert problem.line == 3 and "jacm" in problem.message


@pytest.mark.parametrize(
    "fields, missing",
    [
        ("author = {A B}, year = 2020", ["title"]),
        ("title = {T}, year = 2020", ["author"]),
        ("title = {T}, author = {A B}", ["year"]),
        ("title = {}, journal = {J}", ["title", "author", "year"]),
    ],
)
def test_missing_required_fields(fields, missing):
    (problem,) = problems(f"% comment\n@article{{a,\n  {fields}\n}}\n", strict=True)
    assert problem.line == 2
    for name in missing:
        assert name in problem.message


def test_editor_is_enough_for_a_book():
    assert one("@book{b, editor = {E D}, title = {T}, year = 2000}\n")["editor"] == "E D"


def test_all_problems_are_reported_at_once():
    found = problems(
        "@article{a,\n  title = {X}\n  author = {A B},\n  year = 2020\n}\n"
        "@article{b, title = foo, author = {X}, year = 2001}\n"
        "@article{b, title = {T}, author = {A}, year = 2002}\n"
        "@article{c, author = {A}, year = 2002}\n",
        strict=True,
    )
    assert [p.line for p in found] == [3, 6, 7, 8]
    assert all(p.file == "pubs.bib" for p in found)


def test_entry_without_key():
    (problem,) = problems("@article{,\n  title = {X}, author = {A B}, year = 2020}\n")
    assert problem.line == 1 and "key" in problem.message


# --------------------------------------------------------------------------
# Size


def test_ten_thousand_authors_is_not_quadratic():
    authors = " and ".join(f'M{{\\"u}}ller{i}, Zo{{\\"e}}' for i in range(10_000))
    start = time.perf_counter()
    fields = one(f"@article{{k, title = {{T}}, year = 2020, author = {{{authors}}}}}\n")
    assert time.perf_counter() - start < 2.0
    assert fields["author"].count(" and ") == 9_999


def test_thousand_entries_parse_quickly():
    text = "".join(
        f'@inproceedings{{key{i},\n  author = {{Xia, Heming and M{{\\"u}}ller, Zo{{\\"e}} and Li, Wenjie}},\n'
        f"  title = {{Paper {i} on {{BERT}}}},\n  booktitle = {{Proc. of EMNLP}},\n  year = {{{2000 + i % 25}}},\n"
        f"  month = jun,\n  pages = {{1--10}},\n  url = {{https://example.org/{i}}},\n}}\n\n"
        for i in range(1000)
    )
    start = time.perf_counter()
    entries = parse(text)
    assert time.perf_counter() - start < 1.0  # sanity bound only; benchmarks live elsewhere
    assert len(entries) == 1000 and entries[-1].fields["title"] == "Paper 999 on BERT"


# --------------------------------------------------------------------------
# Real bibliographies (issue 19): imperfect entries are warnings, --strict errors


def test_entry_without_a_year_is_listed_undated_with_a_located_warning():
    entries, said = warnings("% Scholar\n@article{k, title = {T}, author = {A B}, journal = {J}}\n")
    assert [e.key for e in entries] == ["k"]
    assert said == ["pubs.bib:2: k: no year; listed undated, after the dated entries"]


def test_entry_without_authors_is_listed_without_them():
    entries, said = warnings("@misc{web, title = {A web page}, url = {https://x.org}, year = 2020}\n")
    assert [e.key for e in entries] == ["web"]
    assert said == ["pubs.bib:1: web: no author (or editor); listed without authors"]


def test_entry_without_a_title_is_kept_for_the_count_but_warned_as_not_listed():
    entries, said = warnings("@article{k,\n  titel = {T}, author = {A B}, year = 2020}\n")
    assert [e.key for e in entries] == ["k"] and "title" not in entries[0].fields
    assert said == [
        "pubs.bib:1: k: no title ('titel' looks like title: a typo?); not listed (a publication needs a title)"
    ]


def test_identical_duplicate_is_merged():
    text = "@article{a, title = {X}, author = {A B}, year = 2020}\n"
    entries, said = warnings(text + "\n" + text)
    assert [e.key for e in entries] == ["a"]
    assert said == [
        "pubs.bib:3: a: duplicate key: already defined at line 1; the entries are identical, so it is listed once"
    ]


def test_different_duplicates_are_both_kept():
    entries, said = warnings(
        "@article{Xia2020, title = {X}, author = {A B}, year = 2020}\n"
        "@article{xia2020, title = {Y}, author = {A B}, year = 2020}\n"
        "@article{xia2020, title = {Z}, author = {A B}, year = 2020}\n"
    )
    assert [(e.key, e.fields["title"]) for e in entries] == [("Xia2020", "X"), ("xia2020-2", "Y"), ("xia2020-3", "Z")]
    assert said[0] == (
        "pubs.bib:2: xia2020: duplicate key: already defined at line 1 (as 'Xia2020'; keys are "
        "case-insensitive); the entries differ, so both are listed, this one as 'xia2020-2'"
    )
    assert len(said) == 2


@pytest.mark.parametrize("open_, close", [("{", "}"), ("(", ")")])
def test_duplicate_keys_in_braced_and_parenthesised_entries(open_, close):
    # bibtexparser marks a repeated key (DuplicateBlockKeyBlock); we keep or merge the entry
    text = (
        f"@article{open_}a, title = {{X}}, author = {{A B}}, year = 2020{close}\n"
        f"@article{open_}a, title = {{Y}}, author = {{A B}}, year = 2020{close}\n"
        f"@article{open_}a, title = {{X}}, author = {{A B}}, year = 2020{close}\n"
    )
    entries, said = warnings(text)
    assert [e.key for e in entries] == ["a", "a-2"]
    assert "both are listed" in said[0] and "identical" in said[1]


def test_undefined_macro_is_printed_as_its_name():
    entries, said = warnings("@article{a,\n  title = {X},\n  journal = jacm,\n  author = {A B},\n  year = 2020\n}\n")
    assert entries[0].fields["journal"] == "jacm"
    assert said == ["pubs.bib:3: a: field 'journal' uses the undefined @string macro 'jacm'; printed as 'jacm'"]


def test_strict_turns_each_of_these_into_a_located_error():
    text = (
        "@article{a, title = {X}, author = {A B}, year = 2020}\n"
        "@article{a, title = {X}, author = {A B}, year = 2020}\n"
        "@article{b, title = {T}, author = {A B}}\n"
        "@misc{c, title = {T}, year = 2020}\n"
        "@article{d, author = {Jane Doe, Ulugbek Kamilov, Arthur Leclaire}, title = {T}, year = 2020}\n"
        "@article{e, title = {T}, author = {A B}, year = 2020, month = {Spring}}\n"
    )
    found = problems(text, strict=True)
    assert [(p.line, p.message.split(":")[0]) for p in found] == [
        (2, "entry 'a'"),
        (3, "entry 'b' has no year"),
        (4, "entry 'c' has no author (or editor)"),
        (5, "entry 'd'"),
        (6, "entry 'e'"),
    ]
    assert all(p.file == "pubs.bib" for p in found)
    entries, said = warnings(text)  # without strict: five warnings, five entries
    assert len(said) == 5 and [e.key for e in entries] == ["a", "b", "c", "d", "e"]


@pytest.mark.parametrize(
    "authors, names",
    [
        ("Jane Doe, Ulugbek Kamilov, Arthur Leclaire", "Jane Doe and Ulugbek Kamilov and Arthur Leclaire"),
        ("Jane Doe, Ulugbek Kamilov, and Arthur Leclaire", "Jane Doe and Ulugbek Kamilov and Arthur Leclaire"),
        ("Doe, J., Kamilov, U., Leclaire, A.", "Doe, J. and Kamilov, U. and Leclaire, A."),
        (
            "Arthur Leclaire, Nicolas Papadakis, Jane Doe and Ulugbek Kamilov",
            "Arthur Leclaire and Nicolas Papadakis and Jane Doe and Ulugbek Kamilov",
        ),
        ("Doe, Jane; Kamilov, Ulugbek; Leclaire, Arthur", "Doe, Jane and Kamilov, Ulugbek and Leclaire, Arthur"),
        ("Jane Doe; Ulugbek Kamilov", "Jane Doe and Ulugbek Kamilov"),
    ],
)
def test_authors_separated_by_commas_are_split_as_meant(authors, names):
    entries, said = warnings(f"@article{{k, title = {{T}}, year = 2020, author = {{{authors}}}}}\n")
    assert entries[0].fields["author"] == names
    assert len(said) == 1 and "instead of 'and'" in said[0] and said[0].startswith("pubs.bib:1: k:")


@pytest.mark.parametrize(
    "authors",
    [
        "Doe, Jane and Kamilov, Ulugbek",
        "King, Jr, Martin Luther",
        "van der Berg, Anna Maria and John Smith",
        "{Doe, Roe, and Poe, Inc.}",
        "Jane Doe",
        "Doe, Jane",
        "{Doe; Roe} and Poe, Al",
    ],
)
def test_well_formed_name_lists_are_left_alone(authors):
    entries, said = warnings(f"@article{{k, title = {{T}}, year = 2020, author = {{{authors}}}}}\n")
    assert entries[0].fields["author"] == authors and said == []


@pytest.mark.parametrize(
    "fields, year, pubstate",
    [
        ("year = {in press}", None, "in press"),
        ("year = {In Press}", None, "in press"),
        ("year = {forthcoming}", None, "forthcoming"),
        ("year = {to appear}", None, "to appear"),
        ("year = {Submitted}", None, "submitted"),
        ("date = {2021-03}", "2021", None),
        ("date = {forthcoming}", None, "forthcoming"),
        ("year = 2024, pubstate = {inpress}", "2024", "in press"),
        ("year = {2021a}", "2021", None),
        ("year = {2021 (in press)}", "2021", "in press"),
        ("year = {Accepted, 2025}", "2025", "accepted"),
        ("year = 2019, pubstate = {prepublished}", "2019", "prepublished"),  # out already: sorts by its year
    ],
)
def test_dates_and_publication_states(fields, year, pubstate):
    entries, said = warnings(f"@article{{k, title = {{T}}, author = {{A B}}, {fields}}}\n")
    f = entries[0].fields
    assert (f.get("year"), f.get("pubstate")) == (year, pubstate) and said == []


def test_a_year_that_is_no_year_is_listed_undated():
    entries, said = warnings("@article{k, title = {T}, author = {A B}, year = {n.d.}}\n")
    assert "year" not in entries[0].fields
    assert said == ["pubs.bib:1: k: no year ('n.d.' is not a year); listed undated, after the dated entries"]


def test_crossref_parent_needs_no_authors_of_its_own():
    entries, said = warnings(
        "@inproceedings{c, author = {A B}, title = {P}, crossref = {v}}\n"
        "@proceedings{v, title = {Proc.}, year = 2020}\n"
    )
    assert [e.key for e in entries] == ["c", "v"] and said == []


BOMB = (
    '@string{s0 = "'
    + "x" * 100
    + '"}\n'
    + "".join(f"@string{{s{i} = " + " # ".join([f"s{i - 1}"] * 10) + "}\n" for i in range(1, 11))
    + "@article{k, title = s10, author = {A B}, year = 2020}\n"
)


def test_string_doubling_to_gigabytes_is_a_clean_located_error():
    start = time.perf_counter()
    (problem,) = problems(BOMB)
    assert time.perf_counter() - start < 2.0
    assert problem.line == 6 and "@string s5" in problem.message  # 100 * 10^5 characters: too long
    assert "expands to more than" in problem.message


def test_string_bomb_stays_within_two_seconds_and_200_mb(tmp_path):
    path = tmp_path / "bomb.bib"
    path.write_text(BOMB, encoding="utf-8")
    code = (
        "import sys, time\n"
        "from cv_builder.bib.reader import load_bib\n"
        "from cv_builder.errors import InputError, Report\n"
        "start = time.perf_counter()\n"
        "try:\n    load_bib(sys.argv[1], Report())\nexcept InputError as exc:\n    print(exc)\n"
        # VmHWM: this process's peak memory (ru_maxrss would include the pytest it was forked from)
        "peak = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "print(time.perf_counter() - start, peak)\n"
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )
    *message, last = proc.stdout.strip().splitlines()
    seconds, kilobytes = last.split()
    assert "bomb.bib:6:" in message[0] and "expands to more than" in message[0]
    assert float(seconds) < 2.0 and int(kilobytes) < 200 * 1024
