"""Load stage: YAML with positions, and clean errors for broken files."""

import pytest

from cv_builder.errors import InputError
from cv_builder.model.load import Map, Seq, load_yaml, parse_yaml, to_python


def problems(text):
    with pytest.raises(InputError) as info:
        parse_yaml(text, "cv.yaml")
    return info.value.problems


def test_positions_and_raw_text_are_kept():
    tree = parse_yaml("person:\n  name: Ada\n  title: NO\n  version: 1.10\n", "cv.yaml")
    person = tree.items["person"]
    assert isinstance(person, Map)
    name = person.items["name"]
    assert (name.line, name.column, name.raw) == (2, 9, "Ada")
    # YAML 1.1 would read these as False and 1.1; we keep what was typed
    assert person.items["title"].raw == "NO"
    assert person.items["version"].raw == "1.10"


def test_sequences_keep_positions():
    tree = parse_yaml("items:\n  - a\n  - b\n", "cv.yaml")
    seq = tree.items["items"]
    assert isinstance(seq, Seq)
    assert [(n.line, n.raw) for n in seq.items] == [(2, "a"), (3, "b")]
    assert to_python(tree) == {"items": ["a", "b"]}


def test_duplicate_key_is_an_error_with_both_lines():
    (p,) = problems("a: 1\nb: 2\na: 3\n")
    assert (p.line, p.column) == (3, 1)
    assert "duplicate key 'a'" in p.message and "line 1" in p.message


def test_tab_indentation_gets_a_hint():
    (p,) = problems("a:\n\tb: 1\n")
    assert p.line == 2 and "tabs" in p.hint


def test_unclosed_quote_points_at_its_start():
    (p,) = problems('a: 1\nb: "open\n')
    assert p.line == 2 and "not closed" in p.hint


def test_python_tags_are_refused():
    (p,) = problems("a: !!python/object/apply:os.system [echo hi]\n")
    assert "unsupported YAML tag" in p.message


def test_billion_laughs_is_stopped():
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 8):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        text += f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
    (p,) = problems(text)
    assert "expands to more than" in p.message


def test_empty_file_and_wrong_top_level():
    assert "empty" in problems("")[0].message
    assert "top level must be a mapping" in problems("- a\n- b\n")[0].message


def test_bom_is_accepted(tmp_path):
    f = tmp_path / "cv.yaml"
    f.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert load_yaml(f).items["a"].value == 1


def test_invalid_utf8_names_the_byte_offset(tmp_path):
    f = tmp_path / "cv.yaml"
    f.write_bytes(b"a: ok\nb: caf\xe9\n")
    with pytest.raises(InputError) as info:
        load_yaml(f, "cv.yaml")
    (p,) = info.value.problems
    assert "byte offset 12" in p.message and p.line == 2 and p.column == 7


def test_missing_file():
    with pytest.raises(InputError) as info:
        load_yaml("/nonexistent/cv.yaml", "nope.yaml")
    assert "file not found" in str(info.value)


def test_deep_nesting_is_a_clean_error():
    text = "a: " + "[" * 200 + "]" * 200 + "\n"
    (p,) = problems(text)
    assert "deep" in p.message or "nesting" in p.message


def test_unclosed_bracket_names_where_it_starts():
    with pytest.raises(InputError) as info:
        parse_yaml("person:\n  name: [Heming\n  position: PhD\n", "cv.yaml")
    text = str(info.value)
    assert text.startswith("cv.yaml:3:11: YAML syntax error")
    assert "a flow sequence starts at line 2, column 9" in text
