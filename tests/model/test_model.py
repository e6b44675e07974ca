"""Model stage: typed validation with located, complete error reports."""

import pytest

from cv_builder.errors import InputError
from cv_builder.model.cv import Date, build
from cv_builder.model.load import parse_yaml

BASE = """\
person:
  name: Ada Lovelace
sections:
"""


def model(text):
    return build(parse_yaml(text, "cv.yaml"), "cv.yaml")


def problems(text):
    with pytest.raises(InputError) as info:
        model(text)
    return info.value.problems


def test_shipped_data_validates():
    from cv_builder.model.load import load_yaml

    cv = build(load_yaml("data/cv.yaml"), "data/cv.yaml")
    titles = [s.title for s in cv.sections]
    assert titles[:4] == ["Research Interests", "Education", "Experience", "Publications"]
    news = next(s for s in cv.sections if s.title == "News")
    assert news.hidden


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2024", (2024, 0, 0)),
        ("2024-01", (2024, 1, 0)),
        ("2024-02-29", (2024, 2, 29)),
    ],
)
def test_dates(text, expected):
    d = Date.parse(text)
    assert (d.year, d.month, d.day) == expected


def test_date_formats():
    d = Date.parse("2024-01")
    assert d.format("YYYY.MM") == "2024.01"
    assert d.format("Mon YYYY") == "Jan 2024"
    assert d.format("Month YYYY") == "January 2024"
    assert d.format("YYYY") == "2024"
    assert Date.parse("present").format() == "present"
    assert Date.parse("Spring 2025").format() == "Spring 2025"


@pytest.mark.parametrize("bad", ["2024-13", "2023-02-29", "24-01", "January 2024", "2024/01"])
def test_bad_dates_are_rejected(bad):
    (p,) = problems(BASE + f"  - title: E\n    entries:\n      - title: x\n        start: '{bad}'\n")
    assert p.path == "sections[0].entries[0].start"
    assert (p.line, p.column) == (7, 16)
    assert "invalid date" in p.message and bad in p.message


def test_all_errors_at_once_with_paths_and_did_you_mean():
    text = (
        BASE
        + """\
  - title: Education
    entries:
      - title: PhD
        orgnization: PolyU
        start: 2024-01
        end: 2023-05
  - title: Talks
    kind: itmes
    entries: []
"""
    )
    ps = problems(text)
    by_path = {p.path: p for p in ps}
    assert "sections[0].entries[0].orgnization" in by_path
    assert "organization" in by_path["sections[0].entries[0].orgnization"].hint
    assert "before it starts" in by_path["sections[0].entries[0].end"].message
    assert "'items'" in by_path["sections[1].kind"].hint
    assert all(p.file == "cv.yaml" and p.line > 0 for p in ps)


def test_wrong_types_and_missing_required():
    ps = problems("person:\n  email: not-an-email\n  links: oops\nsections: []\n")
    msgs = {p.path: p.message for p in ps}
    assert "missing required key 'name'" in msgs["person.name"]
    assert "not an e-mail address" in msgs["person.email"]
    assert "expected a list" in msgs["person.links"]


def test_links_must_be_urls():
    ps = problems(
        BASE + "  - title: T\n    kind: items\n    entries:\n"
        "      - text: a talk\n        links: [{label: slides, url: 'javascript:alert(1)'}]\n"
    )
    assert ps[0].path == "sections[0].entries[0].links[0].url"
    assert "not a URL" in ps[0].message


def test_empty_required_field():
    ps = problems("person:\n  name: ''\nsections: []\n")
    assert ps[0].path == "person.name"


def test_items_accept_plain_strings_and_keep_yaml_text():
    cv = model(BASE + "  - title: Awards\n    kind: items\n    entries:\n      - NO\n      - {text: 1.10}\n")
    assert [e.text for e in cv.sections[0].entries] == ["NO", "1.10"]


def test_publication_options_only_on_publication_sections():
    (p,) = problems(BASE + "  - title: X\n    kind: items\n    group: year\n    entries: [a]\n")
    assert p.path == "sections[0].group"


def test_strings_know_where_they_came_from():
    cv = model(BASE + "  - title: Awards\n    kind: items\n    entries:\n      - {text: Prize}\n")
    assert cv.sections[0].entries[0].text.where == "cv.yaml:7:16: sections[0].entries[0].text"


NESTED = """
person: {name: A}
sections:
  - title: Experience
    entries:
      - title: Intern
        details:
          - plain bullet
          - text: bullet with sub-bullets
            details: [first, second]
"""


def test_details_nest_one_level():
    cv = build(parse_yaml(NESTED, "cv.yaml"), "cv.yaml")
    plain, nested = cv.sections[0].entries[0].details
    assert plain == "plain bullet" and plain.details == ()
    assert nested == "bullet with sub-bullets" and list(nested.details) == ["first", "second"]
    assert nested.where == "cv.yaml:9:19: sections[0].entries[0].details[1].text"


def test_nested_details_are_validated_with_paths():
    bad = NESTED.replace("details: [first, second]", "details: [first, {x: 1}]").replace(
        "- text: bullet", "- txt: bullet"
    )
    with pytest.raises(InputError) as err:
        build(parse_yaml(bad, "cv.yaml"), "cv.yaml")
    text = str(err.value)
    assert "sections[0].entries[0].details[1].txt: unknown key 'txt'" in text
    assert "sections[0].entries[0].details[1].text: missing required key 'text'" in text
    assert "sections[0].entries[0].details[1].details[1]: expected text, got a mapping" in text
