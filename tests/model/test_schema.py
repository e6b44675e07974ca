"""cv.schema.json: generated from the model, committed, and in agreement with it both ways."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import json
import re

import pytest
import yaml
from conftest import DATA, ROOT, run_cli

from cv_builder.errors import InputError
from cv_builder.model import cv as model
from cv_builder.model.load import Map, Seq, parse_yaml
from cv_builder.model.schema import schema, schema_text

jsonschema = pytest.importorskip("jsonschema", reason="pip install jsonschema (the test extra)")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

VALIDATOR = jsonschema.Draft202012Validator(schema())
# What the model checks that JSON Schema cannot say; a document failing only these is valid for the schema.
MODEL_ONLY = ("before it starts", "does not exist in", "no section with id or title")


def instance(node):
    """The YAML as an editor's JSON view of it (dates stay text, as in YAML 1.2)."""
    if isinstance(node, Map):
        return {k: instance(v) for k, v in node.items.items()}
    if isinstance(node, Seq):
        return [instance(v) for v in node.items]
    return node.raw if isinstance(node.value, (datetime.date, datetime.datetime)) else node.value


def model_problems(text: str) -> list[str] | None:
    """None if the model accepts the YAML, else its messages."""
    try:
        model.build(parse_yaml(text, "cv.yaml"), "cv.yaml")
    except InputError as exc:
        return [p.message for p in exc.problems]
    return None


def schema_errors(text: str) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in VALIDATOR.iter_errors(instance(parse_yaml(text, "cv.yaml")))]


def agree(text: str) -> None:
    problems, errors = model_problems(text), schema_errors(text)
    if problems and all(any(k in p for k in MODEL_ONLY) for p in problems):
        assert not errors, errors  # beyond JSON Schema: only `check` finds these
        return
    assert (problems is None) == (not errors), f"model: {problems}\nschema: {errors[:3]}\n{text}"


def examples() -> dict[str, str]:
    """Every example YAML in the project: shipped data, the init starter, README's, the tests'."""
    from tests.e2e import test_publications_e2e
    from tests.model import test_variants
    from tests.typeset import test_design

    found = {
        "data/cv.yaml": (DATA / "cv.yaml").read_text(encoding="utf-8"),
        "starter": (ROOT / "cv_builder" / "starter" / "cv.yaml").read_text(encoding="utf-8"),
        "tests/e2e/test_publications_e2e.py": test_publications_e2e.CV,
        "tests/model/test_variants.py": test_variants.CV,
        "tests/typeset/test_design.py letter": test_design.CV.format(design=test_design.LETTER),
        "tests/typeset/test_design.py a4": test_design.CV.format(design=test_design.A4),
    }
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for i, block in enumerate(re.findall(r"```yaml\n(.*?)```", readme, re.S)):
        if block.lstrip().startswith("person:"):
            found[f"README block {i}"] = block
    return found


def test_committed_schema_is_current():
    committed = (ROOT / "cv.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "run: python -m cv_builder schema"
    assert (
        (DATA / "cv.yaml").read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=../cv.schema.json")
    )


def test_schema_command_writes_the_same(tmp_path):
    proc = run_cli("schema", "-o", str(tmp_path / "s.json"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "s.json").read_text(encoding="utf-8") == schema_text()
    jsonschema.Draft202012Validator.check_schema(json.loads(schema_text()))


@pytest.mark.parametrize("name,text", examples().items())
def test_every_example_is_valid_for_both(name, text):
    assert model_problems(text) is None
    assert schema_errors(text) == []


def test_schema_has_exactly_the_model_fields():
    defs = schema()["$defs"]
    for cls in (
        model.Person,
        model.Link,
        model.Publications,
        model.Mark,
        model.Design,
        model.Margins,
        model.Footer,
        model.Section,
        model.Group,
        model.DatedEntry,
        model.Item,
        model.Pair,
        model.PublicationFilter,
        model.Variant,
    ):
        names = [f.name for f in model._fields(cls)]
        assert list(defs[cls.__name__]["properties"]) == names, cls
        required = [
            f.name
            for f in model._fields(cls)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
        assert defs[cls.__name__].get("required", []) == required, cls
    assert list(schema()["properties"]) == [f.name for f in model._fields(model.CV)]


BASE = (DATA / "cv.yaml").read_text(encoding="utf-8")
MUTATIONS = [
    ("unknown top-level key", "person:", "persn: {name: x}\nperson:"),
    ("unknown person key", "  position: Ph.D. Student", "  positon: Ph.D. Student"),
    ("missing name", "  name: Heming Xia\n", ""),
    ("name is a list", "  name: Heming Xia", "  name: [Heming, Xia]"),
    ("empty name", "  name: Heming Xia", "  name: ''"),
    ("bad email", "  email: he-ming.xia@connect.polyu.hk", "  email: nobody"),
    ("bad homepage", "  homepage: https://hemingkx.github.io", "  homepage: hemingkx.github.io"),
    ("bad paper", "  paper: a4", "  paper: a5"),
    ("bad colour", "  date_format: YYYY.MM", "  date_format: YYYY.MM\n  accent_color: blue"),
    ("bad length", "  date_format: YYYY.MM", "  date_format: YYYY.MM\n  margin: 2 cm"),
    ("footer mapping", "  date_format: YYYY.MM", "  date_format: YYYY.MM\n  footer: {name: false}"),
    ("footer typo", "  date_format: YYYY.MM", "  date_format: YYYY.MM\n  footer: {nme: false}"),
    ("footer text", "  date_format: YYYY.MM", "  date_format: YYYY.MM\n  footer: sometimes"),
    ("bad kind", "    kind: pairs", "    kind: pair"),
    ("entries in a text section", "    kind: text\n", "    kind: text\n    entries: []\n"),
    ("text without text", "    kind: text\n    text: >-", "    kind: text\n    txt: >-"),
    ("list section without entries", "    kind: pairs\n    groups:", "    kind: pairs\n    grups:"),
    ("sort on a text section", "    kind: text\n", "    kind: text\n    sort: newest\n"),
    ("bad date", "        start: 2024-01", "        start: 2024-13"),
    ("date and start", "        start: 2024-01", "        start: 2024-01\n        date: 2024"),
    ("start is present", "        start: 2024-01", "        start: present"),
    ("end before start", "        start: 2024-01", "        start: 2026-01"),
    ("max_authors 0", "  author_format: full", "  author_format: full\n  max_authors: 0"),
    ("hidden is text", "    hidden: true", "    hidden: maybe"),
    ("unknown variant key", "    exclude_tags: [talks]", "    exclud_tags: [talks]"),
    ("variant names no section", "    sections: [Publications]", "    sections: [Publicatons]"),
    ("a plain item", '      - {text: "Merit Student, Peking University", date: 2021}', "      - Merit Student"),
    ("a null item", '      - {text: "Merit Student, Peking University", date: 2021}', "      - null"),
]


@pytest.mark.parametrize("label,old,new", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_model_and_schema_agree_on_mutations(label, old, new):
    assert old in BASE, label
    agree(BASE.replace(old, new, 1))


# --- random mutations (hypothesis) ---------------------------------------------------------------

BASE_DOC = instance(parse_yaml(BASE, "cv.yaml"))
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3000),
    st.sampled_from(
        [
            "",
            "x",
            "2024-01",
            "present",
            "a4",
            "#123456",
            "2cm",
            "https://a.org",
            "a@b.org",
            "entries",
            "items",
            "text",
            "publications",
            "newest",
            "Spring 2025",
        ]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=2), st.dictionaries(st.sampled_from(["title", "text", "x"]), inner, max_size=2)
    ),
    max_leaves=4,
)


def paths(doc, here=()):
    yield here
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from paths(v, here + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from paths(v, here + (i,))


ALL_PATHS = [p for p in paths(BASE_DOC) if p]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(ALL_PATHS), action=st.sampled_from(["replace", "delete", "add"]), value=VALUES)
def test_model_and_schema_agree_on_random_mutations(path, action, value):
    doc = copy.deepcopy(BASE_DOC)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if action == "replace":
        parent[last] = value
    elif action == "delete":
        del parent[last]
    elif isinstance(parent[last], dict):
        parent[last]["unexpected_key"] = value
    elif isinstance(parent[last], list):
        parent[last].append(value)
    else:
        parent[last] = value
    agree(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
