"""The bibliography stage: names, owner, marks, venues, links, sections."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import SEED, needs_seed

from cv_builder.bib.publications import (
    BibOptions,
    LinkSpec,
    MarkSpec,
    Publication,
    SectionOptions,
    default_links,
    make_publications,
    name_matches,
    organise,
    parse_name,
    split_authors,
)
from cv_builder.bib.reader import BibEntry, load_bib, parse_bib
from cv_builder.errors import Report

DATA = Path(__file__).resolve().parents[1] / "data"
XIA = BibOptions(owner=["Heming Xia"])


def bib(key: str = "k", type: str = "inproceedings", **fields: str) -> BibEntry:
    fields.setdefault("title", "A Title")
    fields.setdefault("author", "Xia, Heming and Li, Wenjie")
    fields.setdefault("year", "2024")
    return BibEntry(key, type, fields, "pubs.bib", 1)


def pub(options: BibOptions = XIA, report: Report | None = None, **kwargs) -> Publication:
    return make_publications([bib(**kwargs)], options, report if report is not None else Report())[0]


def names(p: Publication) -> list[str]:
    return [a.text for a in p.authors]


# --------------------------------------------------------------------------
# Names


@pytest.mark.parametrize(
    "text, given, von, family, jr",
    [
        ("Xia, Heming", "Heming", "", "Xia", ""),
        ("Heming Xia", "Heming", "", "Xia", ""),
        ("Jeff Z. Pan", "Jeff Z.", "", "Pan", ""),
        ("Pan, Jeff Z.", "Jeff Z.", "", "Pan", ""),
        ("Ludwig van Beethoven", "Ludwig", "van", "Beethoven", ""),
        ("van Beethoven, Ludwig", "Ludwig", "van", "Beethoven", ""),
        (
            "Charles Louis Xavier Joseph de la Vallée Poussin",
            "Charles Louis Xavier Joseph",
            "de la",
            "Vallée Poussin",
            "",
        ),
        ("King, Jr, Martin Luther", "Martin Luther", "", "King", "Jr"),
        ("von Neumann, Jr., John", "John", "von", "Neumann", "Jr."),
        ("Jean-Paul Sartre", "Jean-Paul", "", "Sartre", ""),
        ("Kam-Fai Wong", "Kam-Fai", "", "Wong", ""),
        ("H. Xia", "H.", "", "Xia", ""),
        ("Xia, H", "H", "", "Xia", ""),
        ("Aristotle", "", "", "Aristotle", ""),
        ("{van Gogh}, Vincent", "Vincent", "", "van Gogh", ""),
        ("Yann Le\u00a0Cun", "Yann Le", "", "Cun", ""),
        ("{Le Cun}, Yann", "Yann", "", "Le Cun", ""),
    ],
)
def test_parse_name(text, given, von, family, jr):
    author = parse_name(text)
    assert (author.given, author.von, author.family, author.jr) == (given, von, family, jr)
    assert not author.corporate and author.marks == []


def test_corporate_author_is_kept_whole():
    author = parse_name("{OpenAI Team}")
    assert author.corporate and author.family == "OpenAI Team" and author.text == "OpenAI Team"
    assert not parse_name("{Le Cun}, Yann").corporate


@pytest.mark.parametrize(
    "text, marks",
    [
        ("Xia*, Heming", ["*"]),
        ("Heming Xia*", ["*"]),
        ("Einstein*†, A.", ["*", "†"]),
        ("Xia^*, Heming", ["*"]),
        ("{Xia*}, Heming", []),
    ],
)
def test_alfolio_marks_are_taken_off_the_name(text, marks):
    author = parse_name(text)
    assert author.marks == marks
    assert "*" not in author.family or not marks


def test_split_authors_at_depth_zero_case_insensitive():
    assert split_authors("A B and C D AND E F\nand\tG H") == ["A B", "C D", "E F", "G H"]
    assert split_authors("{Barnes and Noble} and Sand, Anders") == ["{Barnes and Noble}", "Sand, Anders"]
    assert split_authors("Alexander Sandor and Andy Band") == ["Alexander Sandor", "Andy Band"]
    assert split_authors("") == []


@pytest.mark.parametrize(
    "fmt, order, text",
    [
        ("full", "given-family", "Jean-Paul van Sartre"),
        ("full", "family-given", "van Sartre, Jean-Paul"),
        ("initials", "given-family", "J.-P. van Sartre"),
        ("initials", "family-given", "van Sartre, J.-P."),
    ],
)
def test_author_display_forms(fmt, order, text):
    options = BibOptions(author_format=fmt, author_order=order)
    assert names(pub(options, author="van Sartre, Jean-Paul and Jeff Z. Pan"))[0] == text


def test_initials_of_various_given_names():
    options = BibOptions(author_format="initials")
    p = pub(options, author="Pan, Jeff Z. and Chen, Si-Qing and Li, SQ and Xia, H. and {OpenAI Team}")
    assert names(p) == ["J. Z. Pan", "S.-Q. Chen", "S. Q. Li", "H. Xia", "OpenAI Team"]


# --------------------------------------------------------------------------
# Owner matching


@pytest.mark.parametrize(
    "author, variant, same",
    [
        ("Xia, Heming", "Heming Xia", True),
        ("H. Xia", "Heming Xia", True),
        ("Xia, H.", "Heming Xia", True),
        ("Xia, H", "Xia, Heming", True),
        ("HEMING XIA", "Heming Xia", True),
        ("Hao Xia", "Heming Xia", False),  # the false friend
        ("Xia, Hao", "Xia, Heming", False),
        ("M. Xia", "Heming Xia", False),
        ("Heming Xiao", "Heming Xia", False),
        ("Zoë Müller", "Zoe Muller", True),
        ("Z. Müller", "Zoë Müller", True),
        ('M{\\"u}ller, Zo{\\"e}', "Zoe Muller", True),
        ("Zoe Mueller", "Zoë Müller", False),
        ("Si-Qing Chen", "S.-Q. Chen", True),
        ("Si-Qing Chen", "S. Q. Chen", True),
        ("Si-Qing Chen", "SQ Chen", True),
        ("Si-Qing Chen", "S. Chen", False),
        ("Si Qing Chen", "Si-Qing Chen", True),
        ("Siqing Chen", "Si-Qing Chen", True),
        ("Jeff Z. Pan", "Jeff Zhang Pan", True),
        ("Jeff Z. Pan", "John Z. Pan", False),
        ("Ludwig van Beethoven", "van Beethoven, L.", True),
        ("{OpenAI Team}", "{OpenAI Team}", True),
        ("{OpenAI Team}", "Team, OpenAI", False),
        # middle names and initials that only one side writes (issue 19)
        ("Sean MR Crowell", "Sean Crowell", True),
        ("Crowell, Sean M. R.", "Sean Crowell", True),
        ("Crowell, S. M.", "Sean Crowell", True),
        ("Crowell, S. M.", "Sean Michael Crowell", True),
        ("Crowell, S. M.", "Sean Robert Crowell", False),
        ("Sean M. Crowell", "Sean R. Crowell", False),
        ("Bunge, MA", "Mario Bunge", True),
        ("Bunge, M. A.", "Mario Augusto Bunge", True),
        ("Bunge, MA", "Mario Bruno Bunge", False),
        ("Hao M. Xia", "Heming Xia", False),
        ("Sam Crowell", "Sean Crowell", False),
    ],
)
def test_name_matches(author, variant, same):
    from cv_builder.bib.reader import decode_latex

    text, _ = decode_latex(author, keep_braces=True)
    assert name_matches(parse_name(text), parse_name(variant)) is same
    assert name_matches(parse_name(variant), parse_name(text)) is same


def test_owner_is_flagged_with_any_variant():
    options = BibOptions(owner=["Zoë Müller", "Z. Mueller"])
    p = pub(options, author="Zoe Muller and Hao Muller and Z. Mueller and {Müller Lab}")
    assert [a.owner for a in p.authors] == [True, False, True, False]


def test_missing_owner_is_one_warning():
    report = Report()
    entries = [bib(key=f"k{i}", author="Other, Person") for i in range(20)]
    make_publications(entries, XIA, report)
    assert len(report.warnings) == 1
    assert "20 entries" in report.warnings[0].message


# --------------------------------------------------------------------------
# Marks and legend


def test_equal_contribution_and_corresponding_fields():
    p = pub(author="A, B and Xia, Heming and C, D", equal_contribution="1, 2", corresponding="{3}")
    assert [a.marks for a in p.authors] == [["*"], ["*"], ["†"]]


def test_positions_out_of_range_or_malformed_warn():
    report = Report()
    p = pub(report=report, equal_contribution="1,7")
    assert p.authors[0].marks == ["*"] and "position 7" in str(report.warnings[0])
    report = Report()
    pub(report=report, key="x", equal_contribution="first two")
    assert "positions" in str(report.warnings[0])


def test_custom_mark_from_options():
    options = BibOptions(owner=["Heming Xia"])
    options.marks["student"] = MarkSpec("‡", "student advisee")
    p = pub(options, author="Xia, Heming and Li, Wenjie and Doe, Jane", student="2-3")
    assert [a.marks for a in p.authors] == [[], ["‡"], ["‡"]]
    legend = organise([p], SectionOptions(), options).legend
    assert legend == [("‡", "student advisee")]


def test_alfolio_star_uses_the_configured_symbol():
    options = BibOptions(marks={"equal_contribution": MarkSpec("#", "joint first")})
    p = pub(options, author="Xia*, Heming and Li*, Wenjie")
    assert [a.marks for a in p.authors] == [["#"], ["#"]]
    assert [a.text for a in p.authors] == ["Heming Xia", "Wenjie Li"]


def test_legend_only_lists_marks_used_in_the_list():
    plain = pub(key="a", author="Xia, Heming")
    marked = pub(key="b", author="Xia*, Heming and Li*, Wenjie")
    assert organise([plain], SectionOptions(), XIA).legend == []
    assert organise([plain, marked], SectionOptions(), XIA).legend == [("*", "equal contribution")]
    # filtered out -> not in the legend
    section = SectionOptions(filter={"keys": ["a"]})
    assert organise([plain, marked], section, XIA).legend == []


# --------------------------------------------------------------------------
# Truncation


def many(n: int, owner_at: int | None) -> str:
    people = [f"Person{i}, Some" for i in range(n)]
    if owner_at is not None:
        people[owner_at] = "Xia, Heming"
    return " and ".join(people)


def test_truncation_keeps_the_first_n():
    p = pub(BibOptions(owner=["Heming Xia"], max_authors=3), author=many(10, 1))
    assert len(p.authors) == 3 and p.et_al and p.authors[1].owner


def test_truncation_keeps_the_owner_visible():
    p = pub(BibOptions(owner=["Heming Xia"], max_authors=3), author=many(10, 6))
    assert names(p) == ["Some Person0", "Some Person1", "…", "Heming Xia"]
    assert p.authors[2].ellipsis and p.authors[3].owner and p.et_al


def test_truncation_with_the_owner_last_has_no_et_al():
    p = pub(BibOptions(owner=["Heming Xia"], max_authors=3), author=many(10, 9))
    assert names(p)[-1] == "Heming Xia" and not p.et_al


def test_no_truncation_when_short_enough_and_and_others():
    p = pub(BibOptions(max_authors=3), author="A, B and C, D and others")
    assert names(p) == ["B A", "D C"] and p.et_al
    p = pub(BibOptions(max_authors=3), author="A, B and C, D and E, F")
    assert len(p.authors) == 3 and not p.et_al


def test_ten_thousand_authors_is_fast():
    start = time.perf_counter()
    p = pub(BibOptions(owner=["Heming Xia"], max_authors=5), author=many(10_000, 9_000))
    assert time.perf_counter() - start < 2.0
    assert names(p)[-1] == "Heming Xia" and p.et_al


# --------------------------------------------------------------------------
# Venue, year, category


def test_short_venue_prefers_venue_short_then_abbr():
    assert pub(venue_short="ICLR 2025", abbr="ICLR", booktitle="The Thirteenth ICLR").venue == "ICLR 2025"
    assert pub(abbr="ICLR", booktitle="The Thirteenth ICLR").venue == "ICLR"
    assert pub(booktitle="The Thirteenth ICLR").venue == "The Thirteenth ICLR"


def test_year_is_separate_and_not_added_to_the_venue():
    p = pub(abbr="ICLR", year="2025")
    assert (p.venue, p.year, p.venue_includes_year) == ("ICLR", 2025, False)
    assert pub(venue_short="ICLR 2025", year="2025").venue_includes_year
    assert pub(year="to appear").year is None


def test_venue_line_adds_the_year_once():
    assert pub(abbr="ICLR", year="2025").venue_line == "ICLR 2025"
    assert pub(venue_short="Findings of EMNLP 2024", year="2024").venue_line == "Findings of EMNLP 2024"
    assert pub(type="article", venue_short="Phys. Rev. D 103", year="2021").venue_line == "Phys. Rev. D 103, 2021"
    full = BibOptions(venue_style="full")
    assert (
        pub(full, type="article", journal="Physical Review D", volume="103", pages="024040", year="2021").venue_line
        == "Physical Review D 103, 024040, 2021"
    )
    assert pub(type="misc", year="2020").venue_line == "2020"
    assert pub(booktitle="ACL", year="in press").venue_line == "ACL, in press"


def test_full_venue_for_journals_and_conferences():
    options = BibOptions(venue_style="full")
    p = pub(
        options,
        type="article",
        journal="Physical Review D",
        volume="103",
        pages="024040",
        venue_short="Phys. Rev. D 103",
    )
    assert p.venue == "Physical Review D 103, 024040"
    p = pub(options, type="article", journal="TACL", volume="12", number="3", pages="1–30")
    assert p.venue == "TACL 12(3), 1–30"
    p = pub(options, booktitle="Proceedings of EMNLP", pages="15322–15336")
    assert p.venue == "Proceedings of EMNLP, pp. 15322–15336"


def test_thesis_and_preprint_venues():
    assert pub(type="phdthesis", school="Peking University").venue == "PhD thesis, Peking University"
    assert pub(type="misc", eprint="2502.00002").venue == "arXiv preprint arXiv:2502.00002"


@pytest.mark.parametrize(
    "type, fields, category",
    [
        ("article", {"journal": "arXiv preprint arXiv:2502.12067"}, "preprint"),
        ("article", {"journal": "Physical Review D"}, "journal"),
        ("article", {"eprint": "2502.12067"}, "preprint"),
        ("inproceedings", {"booktitle": "Proceedings of ACL"}, "conference"),
        ("conference", {"booktitle": "Proceedings of ACL"}, "conference"),
        ("inproceedings", {"booktitle": "Proceedings of the 3rd Workshop on NLP"}, "workshop"),
        ("phdthesis", {}, "thesis"),
        ("mastersthesis", {}, "thesis"),
        ("book", {}, "book"),
        ("incollection", {"booktitle": "A Book"}, "book"),
        ("misc", {"eprint": "2502.00002", "archiveprefix": "arXiv"}, "preprint"),
        ("misc", {"howpublished": "arXiv"}, "preprint"),
        ("misc", {"howpublished": "Blog post"}, "other"),
        ("techreport", {"institution": "MIT"}, "other"),
        ("article", {"journal": "Nature", "category": "preprint"}, "preprint"),
        ("misc", {"pubtype": "Workshop"}, "workshop"),
    ],
)
def test_category(type, fields, category):
    assert pub(type=type, **fields).category == category


def test_bad_category_override_warns():
    report = Report()
    assert pub(report=report, type="article", journal="J", category="poster").category == "journal"
    assert "poster" in str(report.warnings[0])


# --------------------------------------------------------------------------
# Links and notes


def links(p: Publication) -> list[tuple[str, str, str]]:
    return [(link.label, link.url, link.kind) for link in p.links]


def test_links_follow_options_order():
    p = pub(
        url="https://a.org/p",
        code="https://github.com/x",
        slides="https://s.org/x.pdf",
        video="https://youtu.be/x",
        poster="https://p.org/x.pdf",
        pdf="https://a.org/p.pdf",
    )
    assert [link[0] for link in links(p)] == ["paper", "pdf", "code", "slides", "video", "poster"]


def test_paper_link_falls_back_to_doi_then_arxiv():
    assert links(pub(doi="10.18653/v1/2024.findings-acl.456", eprint="2401.07851")) == [
        ("paper", "https://doi.org/10.18653/v1/2024.findings-acl.456", "url")
    ]
    assert links(pub(eprint="2401.07851")) == [("paper", "https://arxiv.org/abs/2401.07851", "url")]
    assert links(pub(eprint="arXiv:2401.07851"))[0][1] == "https://arxiv.org/abs/2401.07851"
    assert links(pub(doi="https://doi.org/10.1/x"))[0][1] == "https://doi.org/10.1/x"
    assert links(pub(doi="doi:10.1/x"))[0][1] == "https://doi.org/10.1/x"
    assert links(pub(eprint="123", archiveprefix="PubMed")) == []


def test_user_link_specs():
    options = BibOptions(links=default_links() + [LinkSpec("jiqizhixin", "机器之心"), LinkSpec("doi", "DOI")])
    p = pub(options, url="https://a.org", jiqizhixin="https://mp.weixin.qq.com/s/x", doi="10.1/x")
    assert links(p) == [
        ("paper", "https://a.org", "url"),
        ("机器之心", "https://mp.weixin.qq.com/s/x", "jiqizhixin"),
        ("DOI", "https://doi.org/10.1/x", "doi"),
    ]


def test_html_duplicating_url_is_dropped_silently():
    report = Report()
    p = pub(report=report, url="https://a.org/p", html="https://a.org/p", website="https://me.org")
    assert links(p) == [("paper", "https://a.org/p", "url"), ("website", "https://me.org", "website")]
    assert report.warnings == []


def test_pdf_file_name_is_not_linked_and_warned_once():
    report = Report()
    entries = [bib(key=f"k{i}", pdf=f"paper{i}.pdf") for i in range(3)]
    pubs = make_publications(entries, XIA, report)
    assert all(p.links == [] for p in pubs)
    assert len(report.warnings) == 1
    assert "paper0.pdf" in report.warnings[0].message and "2 more" in report.warnings[0].message


def test_empty_link_fields_are_skipped():
    assert pub(url="", code=" ").links == []


def test_notes_from_award_and_short_note():
    assert pub(award_name="Outstanding Paper", award="A long description of the award " * 3).notes == [
        "Outstanding Paper"
    ]
    assert pub(award="Best Paper Award", note="Oral").notes == ["Best Paper Award", "Oral"]
    report = Report()
    p = pub(report=report, note="Also presented at the Workshop on Something Rather Long, 2024")
    assert p.notes == [] and report.warnings


def test_selected_keywords_abbr_annotation():
    p = pub(selected="true", keywords="efficiency; LLM, decoding", abbr="ACL", annotation="Invited talk.")
    assert (p.selected, p.keywords, p.abbr, p.annotation) == (
        True,
        ["efficiency", "LLM", "decoding"],
        "ACL",
        "Invited talk.",
    )
    assert pub(selected="false").selected is False


# --------------------------------------------------------------------------
# organise: filter, sort, group, number, counts


def sample() -> list[Publication]:
    entries = [
        bib("j2021", "article", journal="Physical Review D", year="2021"),
        bib("c2024a", booktitle="EMNLP", year="2024", month="11", selected="true", keywords="llm"),
        bib(
            "p2025",
            "article",
            journal="arXiv preprint",
            year="2025",
            month="2",
            author="Wang, Xiaochen and Xia, Heming",
            equal_contribution="1,2",
        ),
        bib("c2024b", booktitle="ACL", year="2024", month="8", author="Li, Wenjie and Xia, Heming"),
        bib("w2023", booktitle="Workshop on Efficient NLP", year="2023", keywords="LLM, efficiency"),
        bib("c2024c", booktitle="COLING", year="2024", author="Li, Wenjie and Xia, Heming"),
    ]
    return make_publications(entries, XIA, Report())


def keys(pl) -> list[list[str]]:
    return [[p.key for p in g.publications] for g in pl.groups]


def test_sort_newest_is_stable_and_bib_keeps_file_order():
    assert keys(organise(sample(), SectionOptions(), XIA)) == [
        ["p2025", "c2024a", "c2024b", "c2024c", "w2023", "j2021"]
    ]
    assert keys(organise(sample(), SectionOptions(sort="bib"), XIA)) == [
        ["j2021", "c2024a", "p2025", "c2024b", "w2023", "c2024c"]
    ]


def test_group_by_year():
    pl = organise(sample(), SectionOptions(group="year"), XIA)
    assert [g.title for g in pl.groups] == ["2025", "2024", "2023", "2021"]
    assert keys(pl)[1] == ["c2024a", "c2024b", "c2024c"]


def test_group_by_category():
    pl = organise(sample(), SectionOptions(group="category"), XIA)
    assert [g.title for g in pl.groups] == ["Journal Articles", "Conference Papers", "Workshop Papers", "Preprints"]


def test_plain_numbering_down_and_up():
    down = organise(sample(), SectionOptions(numbering="plain"), XIA)
    assert [p.number for p in down.groups[0].publications] == ["[6]", "[5]", "[4]", "[3]", "[2]", "[1]"]
    up = organise(sample(), SectionOptions(numbering="plain", number_order="up", group="year"), XIA)
    assert [p.number for g in up.groups for p in g.publications] == ["[1]", "[2]", "[3]", "[4]", "[5]", "[6]"]


def test_category_numbering():
    pl = organise(sample(), SectionOptions(numbering="category", group="category"), XIA)
    numbers = {p.key: p.number for g in pl.groups for p in g.publications}
    assert numbers == {
        "j2021": "[J1]",
        "c2024a": "[C3]",
        "c2024b": "[C2]",
        "c2024c": "[C1]",
        "w2023": "[W1]",
        "p2025": "[P1]",
    }
    up = organise(sample(), SectionOptions(numbering="category", number_order="up"), XIA)
    assert {p.key: p.number for p in up.groups[0].publications}["c2024c"] == "[C3]"


def test_organise_does_not_change_shared_publications():
    pubs = sample()
    organise(pubs, SectionOptions(numbering="plain"), XIA)
    assert all(p.number == "" for p in pubs)


@pytest.mark.parametrize(
    "flt, expected",
    [
        ({"selected": True}, ["c2024a"]),
        ({"categories": ["conference", "workshop"]}, ["c2024a", "c2024b", "c2024c", "w2023"]),
        ({"keywords": ["llm"]}, ["c2024a", "w2023"]),
        ({"years": [2023, 2024]}, ["c2024a", "c2024b", "c2024c", "w2023"]),
        ({"years": [2024, None]}, ["p2025", "c2024a", "c2024b", "c2024c"]),
        ({"years": [None, 2021]}, ["j2021"]),
        ({"keys": ["j2021", "p2025"]}, ["p2025", "j2021"]),
        ({}, ["p2025", "c2024a", "c2024b", "c2024c", "w2023", "j2021"]),
    ],
)
def test_filters(flt, expected):
    assert keys(organise(sample(), SectionOptions(filter=flt), XIA)) == [expected]


def test_counts():
    assert organise(sample(), SectionOptions(counts=True), XIA).counts == "6 papers, 4 as first or co-first author"
    assert organise(sample(), SectionOptions(), XIA).counts == ""
    one = organise(sample(), SectionOptions(counts=True, filter={"keys": ["c2024b"]}), XIA)
    assert one.counts == "1 paper"


# --------------------------------------------------------------------------
# Whole files


@needs_seed
def test_seed_publications():
    report = Report()
    pubs = make_publications(load_bib(SEED, report), XIA, report)
    assert report.warnings == []
    by_key = {p.key: p for p in pubs}
    beyond = by_key["wang2025beyond"]
    assert [a.marks for a in beyond.authors[:3]] == [["*"], ["*"], []]
    assert beyond.authors[1].owner and beyond.authors[1].text == "Heming Xia"
    assert [a.text for a in by_key["xia2025tokenskip"].authors] == [
        "Heming Xia",
        "Yongqi Li",
        "Chak Tou Leong",
        "Wenjie Wang",
        "Wenjie Li",
    ]
    assert by_key["wang2024appbench"].authors[6].text == "Jeff Z. Pan"
    assert by_key["wang2024appbench"].authors[7].text == "Kam-Fai Wong"
    assert by_key["xia2023speculative"].authors[3].text == "Si-Qing Chen"
    assert all(sum(a.owner for a in p.authors) == 1 for p in pubs)
    assert by_key["xia2025swift"].venue == "ICLR 2025" and by_key["xia2025swift"].category == "conference"
    assert by_key["xia2025tokenskip"].category == "preprint"
    assert by_key["xia2021improved"].category == "journal"
    assert by_key["xia2024unlocking"].category == "conference"
    assert [link.label for link in by_key["xia2025tokenskip"].links] == ["paper", "code"]
    homepage = BibOptions(owner=["Heming Xia"], links=default_links() + [LinkSpec("jiqizhixin", "机器之心")])
    survey = make_publications([e for e in load_bib(SEED, Report()) if e.key == "dong2024survey"], homepage, Report())[
        0
    ]
    assert [link.label for link in survey.links] == ["paper", "code", "机器之心"]
    pl = organise(pubs, SectionOptions(counts=True, sort="bib"), XIA)
    assert [p.key for p in pl.groups[0].publications][:2] == ["xia2025tokenskip", "li2025digitaltwins"]
    assert pl.legend == [("*", "equal contribution")]
    first = sum(1 for p in pubs if p.authors[0].owner or any(a.owner and "*" in a.marks for a in p.authors))
    assert pl.counts == f"17 papers, {first} as first or co-first author"
    assert first == 9  # 7 as first author, 2 as co-first (wang2025beyond, tong2023bidrop)
    full = make_publications(load_bib(SEED, Report()), BibOptions(venue_style="full"), Report())
    assert {p.key: p.venue for p in full}["xia2021improved"] == "Physical Review D 103, 024040"


def test_alfolio_publications_only_expected_warnings():
    report = Report()
    options = BibOptions(owner=["Zoë Müller"])
    pubs = make_publications(load_bib(DATA / "alfolio.bib", report), options, report)
    (warning,) = report.warnings  # the only one: a pdf given as a local file name
    assert "mueller2023bert.pdf" in warning.message and "not linked" in warning.message
    assert warning.line == 12
    by_key = {p.key: p for p in pubs}
    bert = by_key["mueller2023bert"]
    assert [(a.text, a.owner, a.marks) for a in bert.authors] == [
        ("Zoë Müller", True, ["*"]),
        ("José García", False, ["*"]),
        ("Björn Åström", False, []),
        ("Jean-Paul Dupont", False, []),
    ]
    assert bert.title == "Probing BERT for Morphology in Low-Resource Languages"
    assert (bert.venue, bert.year, bert.month, bert.abbr, bert.selected) == ("ACL", 2023, 7, "ACL", True)
    assert bert.notes == ["Outstanding Paper"]
    assert links(bert) == [
        ("paper", "https://aclanthology.org/2023.acl-long.7/", "url"),
        ("code", "https://github.com/zmueller/bert-morph", "code"),
    ]
    survey = by_key["mueller2024survey"]
    assert survey.et_al and [a.owner for a in survey.authors] == [False, True]
    assert survey.authors[0].marks == ["†"] and survey.authors[0].text == "Erwin Schrödinger"
    assert survey.category == "journal" and survey.annotation.startswith("Invited")
    tiny = by_key["mueller2022tiny"]
    assert [a.text for a in tiny.authors] == ["Anna van der Berg", "Z. Müller", "Yann Le Cun"]
    assert tiny.authors[1].owner and tiny.category == "conference" and tiny.year == 2022
    agents = by_key["mueller2025agents"]
    assert agents.category == "preprint" and agents.authors[1].corporate and agents.authors[0].owner
    workshop = by_key["mueller2023workshop"]
    assert workshop.category == "workshop" and workshop.notes == ["Oral"]
    assert workshop.authors[1].text == "J.-P. Dupont"
    assert by_key["mueller2021thesis"].venue == "PhD thesis, Université de Montréal"
    pl = organise(pubs, SectionOptions(group="category", numbering="category", counts=True), options)
    assert pl.legend == [("*", "equal contribution"), ("†", "corresponding author")]
    assert pl.counts == "6 papers, 4 as first or co-first author"
    selected = organise(pubs, SectionOptions(filter={"selected": True}), options)
    assert keys(selected) == [["mueller2025agents", "mueller2023bert"]]
    assert selected.legend == [("*", "equal contribution")]


def test_no_latex_markup_in_output():
    text = "".join(
        f'@article{{k{i}, author = {{M{{\\"u}}ller, Zo{{\\"e}} and {{\\O}}stergaard, S{{\\o}}ren}},'
        f" title = {{\\textit{{On}} {{$\\alpha$}}-Decay \\& More}}, journal = {{J}}, year = {2000 + i}}}\n"
        for i in range(3)
    )
    pubs = make_publications(parse_bib(text, "x.bib", Report()), BibOptions(owner=["Zoe Muller"]), Report())
    for p in pubs:
        for value in [p.title, p.venue] + [a.text for a in p.authors]:
            assert not any(c in value for c in "\\{}$"), value
    assert pubs[0].title == "On α-Decay & More"
    assert [a.text for a in pubs[0].authors] == ["Zoë Müller", "Søren Østergaard"]


def test_thousand_entries_through_the_whole_stage():
    text = "".join(
        f'@inproceedings{{key{i},\n  author = {{Wang, Xiaochen and Xia, Heming and M{{\\"u}}ller, Zo{{\\"e}} and '
        f"Li, Wenjie and Sui, Zhifang and Dong, Qingxiu}},\n  title = {{Paper {i}: {{BERT}} for Things}},\n"
        f"  booktitle = {{Proceedings of the 2024 Conference on Empirical Methods in Natural Language Processing}},\n"
        f"  year = {{{2000 + i % 25}}},\n  month = {['jan', 'jun', 'dec'][i % 3]},\n  pages = {{1--10}},\n"
        f"  url = {{https://example.org/{i}}},\n  code = {{https://github.com/x/{i}}},\n"
        f"  equal_contribution = {{1,2}},\n  venue_short = {{EMNLP 2024}}\n}}\n\n"
        for i in range(1000)
    )
    options = BibOptions(owner=["Heming Xia"], max_authors=4)
    start = time.perf_counter()
    report = Report()
    pubs = make_publications(parse_bib(text, "big.bib", report), options, report)
    pl = organise(pubs, SectionOptions(group="year", numbering="plain", counts=True), options)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0  # sanity bound only; real benchmarks live elsewhere
    assert len(pubs) == 1000 and report.warnings == []
    assert pl.counts == "1000 papers, 1000 as first or co-first author"
    assert pl.groups[0].publications[0].number == "[1000]"


# --------------------------------------------------------------------------
# Real bibliographies (issue 19)


def test_owner_with_middle_names_and_initials_is_bold():
    options = BibOptions(owner=["Sean Crowell"])
    p = pub(options, author="Sean MR Crowell and Crowell, Sean M. R. and Crowell, S. M. and Hao Crowell")
    assert [a.owner for a in p.authors] == [True, True, True, False]
    assert pub(BibOptions(owner=["Mario Bunge"]), author="Bunge, MA").authors[0].owner


def test_braced_one_field_name_is_the_owner_only_when_exactly_the_owner():
    options = BibOptions(owner=["Joachim Schöpfel"])
    p = pub(options, author="{Joachim Schöpfel} and {Joachim Schöpfel Lab} and {Schöpfel, Joachim}")
    assert [a.owner for a in p.authors] == [True, False, False]
    assert pub(BibOptions(owner=["Heming Xia"]), author="{Xia Heming}").authors[0].owner is False
    assert pub(BibOptions(owner=["Schöpfel, Joachim"]), author="{Joachim Schöpfel}").authors[0].owner


def test_missing_owner_lists_every_key_and_others_get_their_own_hint():
    report = Report()
    entries = [bib(key=f"k{i}", author="Other, Person") for i in range(8)]
    entries += [bib(key=f"etal{i}", author="Other, Person and others") for i in range(2)]
    entries.append(bib(key="mine", author="Other, Person and Xia, H. and others"))
    make_publications(entries, XIA, report)
    messages = [w.message for w in report.warnings]
    assert len(messages) == 2
    assert "8 entries" in messages[0] and all(f"k{i}" in messages[0] for i in range(8))
    assert "etal0, etal1" in messages[1] and "and others" in messages[1] and "mine" not in " ".join(messages)


def test_alfolio_arxiv_supp_blog_website_fields_are_links():
    p = pub(
        arxiv="2401.01234",
        supp="https://a.org/supp.pdf",
        blog="https://blog.org/p",
        website="https://proj.org",
        html="https://a.org/html",
    )
    assert links(p) == [
        ("arXiv", "https://arxiv.org/abs/2401.01234", "arxiv"),
        ("HTML", "https://a.org/html", "html"),
        ("supplement", "https://a.org/supp.pdf", "supp"),
        ("blog", "https://blog.org/p", "blog"),
        ("website", "https://proj.org", "website"),
    ]
    # beside a paper link, shown once per URL
    both = pub(url="https://a.org/p", arxiv="arXiv:2401.01234", eprint="2401.01234")
    assert links(both) == [("paper", "https://a.org/p", "url"), ("arXiv", "https://arxiv.org/abs/2401.01234", "arxiv")]


def test_relative_pdf_resolves_under_the_base_url():
    options = BibOptions(owner=["Heming Xia"], pdf_base_url="https://me.github.io/assets/pdf")
    report = Report()
    p = pub(options, report, pdf="paper.pdf", supp="/supp.pdf", slides="file:///etc/passwd")
    assert links(p) == [
        ("pdf", "https://me.github.io/assets/pdf/paper.pdf", "pdf"),
        ("supplement", "https://me.github.io/assets/pdf/supp.pdf", "supp"),
    ]
    (warning,) = report.warnings  # the file: URL is never linked
    assert "file:///etc/passwd" in warning.message


def test_relative_pdf_without_a_base_url_says_how_to_set_it():
    report = Report()
    p = pub(report=report, pdf="paper.pdf")
    assert p.links == []
    assert "pdf_base_url" in report.warnings[0].message and "paper.pdf" in report.warnings[0].message


@pytest.mark.parametrize(
    "fields, line",
    [
        ({"type": "book", "publisher": "Courier Corporation,", "year": "1956"}, "Courier Corporation, 1956"),
        ({"type": "article", "journal": "Band 2", "year": "2019"}, "Band 2, 2019"),
        (
            {"type": "article", "journal": "IEEE Trans. on Circuits and Systems", "year": "2016"},
            "IEEE Trans. on Circuits and Systems, 2016",
        ),
        ({"type": "article", "journal": "Physical Review D,", "year": "2016"}, "Physical Review D, 2016"),
        ({"abbr": "NeurIPS", "year": "2023"}, "NeurIPS 2023"),
        ({"booktitle": "Proc. of ACL,, Short Papers", "year": "2020"}, "Proc. of ACL, Short Papers, 2020"),
        ({"journal": "Nature", "year": "2021"}, "Nature, 2021"),
    ],
)
def test_venue_line_punctuation(fields, line):
    assert pub(**fields).venue_line == line


def test_venue_line_punctuation_in_full_style():
    full = BibOptions(venue_style="full")
    assert (
        pub(full, type="article", journal="Band 2,", volume="3,", pages="1--9,", year="2019").venue_line
        == "Band 2 3, 1–9, 2019"
    )


def test_crossref_container_is_listed_only_when_the_owner_edited_it():
    text = (
        "@inproceedings{paper, author = {Xia, Heming}, title = {P}, crossref = {vol}}\n"
        "@proceedings{vol, editor = {Xia, Heming and Li, Wenjie}, title = {Proc. of X}, year = 2022}\n"
        "@inproceedings{other, author = {Xia, Heming}, title = {Q}, crossref = {vol2}}\n"
        "@proceedings{vol2, editor = {Li, Wenjie}, title = {Proc. of Y}, year = 2021}\n"
    )
    report = Report()
    pubs = make_publications(parse_bib(text, "p.bib", report), XIA, report)
    assert [p.key for p in pubs] == ["paper", "vol", "other"]  # vol2 is only a container
    by_key = {p.key: p for p in pubs}
    assert by_key["vol"].authors[0].owner and by_key["vol"].title == "Proc. of X"
    assert by_key["vol"].venue_line == "Edited volume, 2022" and not by_key["paper"].edited
    assert by_key["paper"].venue == "Proc. of X" and by_key["paper"].year == 2022
    assert report.warnings == []


@pytest.mark.parametrize(
    "fields, status, year, line",
    [
        ("year = {in press}", "in press", None, "Nature, in press"),
        ("year = {In Press}", "in press", None, "Nature, in press"),
        ("year = {forthcoming}", "forthcoming", None, "Nature, forthcoming"),
        ("year = {to appear}", "to appear", None, "Nature, to appear"),
        ("year = {submitted}", "submitted", None, "Nature, submitted"),
        ("date = {2021-03}", "", 2021, "Nature, 2021"),
        ("year = 2025, pubstate = {inpress}", "in press", 2025, "Nature, 2025, in press"),
        ("year = {2024a}", "", 2024, "Nature, 2024"),
    ],
)
def test_dates_and_publication_states(fields, status, year, line):
    report = Report()
    text = f"@article{{k, author = {{Xia, Heming}}, title = {{T}}, journal = {{Nature}}, {fields}}}\n"
    (p,) = make_publications(parse_bib(text, "p.bib", report), XIA, report)
    assert (p.status, p.year, p.venue_line) == (status, year, line)
    assert report.warnings == []


def test_not_yet_published_sorts_newest_and_undated_last():
    text = "".join(
        f"@article{{{key}, author = {{Xia, Heming}}, title = {{T}}, journal = {{J}}, {fields}}}\n"
        for key, fields in [
            ("old", "year = 2019"),
            ("undated", "note = {x}"),
            ("press", "year = {in press}"),
            ("march", "date = {2021-03}"),
            ("june", "date = {2021-06}"),
            ("forth", "pubstate = {forthcoming}"),
            ("new", "year = 2024"),
        ]
    )
    report = Report()
    pubs = make_publications(parse_bib(text, "p.bib", report), XIA, report)
    newest = organise(pubs, SectionOptions(), XIA)
    assert keys(newest) == [["press", "forth", "new", "june", "march", "old", "undated"]]
    by_year = organise(pubs, SectionOptions(group="year"), XIA)
    assert [g.title for g in by_year.groups] == ["In press", "Forthcoming", "2024", "2021", "2019", "Undated"]
    assert "undated" in str(report.warnings[0]) and "listed undated" in str(report.warnings[0])


def test_missing_owner_warning_points_at_the_owner_in_cv_yaml():
    from cv_builder.model.cv import Str, located

    options = BibOptions(owner=[located(Str, "Heming Xia", "data/cv.yaml:5:11: publications.owner[0]")])
    report = Report()
    make_publications([bib(key="k", author="Other, Person")], options, report)
    (warning,) = report.warnings
    assert str(warning).startswith(
        "data/cv.yaml:5:11: publications.owner[0]: the CV owner (Heming Xia) is not among the authors of 1 entry: k"
    )


def test_alfolio_caret_mark_and_a_stray_comma_after_a_name():
    # al-folio's marks after a family name include ^ (its bib.liquid strips * † ^ ¶); a raised caret
    # would read as TeX, so it prints as ‡. "Yuan*, Zhihang, and ..." has a stray comma: not a Jr part.
    pubs = make_publications(
        [bib(key="k", author="Lee^, Yong Jae and Yuan*, Zhihang, and Xia^*, Heming")],
        BibOptions(owner=["Heming Xia"]),
        Report(),
    )
    lee, yuan, xia = pubs[0].authors
    assert (lee.text, lee.marks) == ("Yong Jae Lee", ["‡"])
    assert (yuan.text, yuan.marks) == ("Zhihang Yuan", ["*"])
    assert (xia.text, xia.marks, xia.owner) == ("Heming Xia", ["*"], True)


def test_owner_who_goes_by_a_middle_name():
    owner = [parse_name("Jake Thompson")]
    assert name_matches(parse_name("Thompson, W. Jake"), owner[0])
    assert name_matches(parse_name("W. Jake Thompson"), owner[0])
    assert not name_matches(parse_name("Thompson, W. John"), owner[0])
    assert not name_matches(parse_name("Thompson, Will"), owner[0])
    assert not name_matches(parse_name("Thompson, W."), owner[0])
