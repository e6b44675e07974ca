"""JSON Schema of cv.yaml, generated from the model's dataclasses.

It walks the same type hints as model.Validator, so the schema cannot drift
from what a build accepts; `python -m cv_builder schema` writes it and a test
checks that the committed cv.schema.json is current. Rules the model checks
in code rather than in types are mirrored at the bottom (`_CODE_RULES`); the
ones JSON Schema cannot express (an end before its start, 30 February, a
section_order entry naming no section) are left to `cv_builder check`.
"""

from __future__ import annotations

import dataclasses
import json
import re
import typing
from typing import Any, Literal

from . import cv as model

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://github.com/cv-builder/cv_builder/cv.schema.json"


def _ecma(regex: re.Pattern) -> str:
    """A Python regex as an ECMA-262 pattern (case-insensitivity spelled out as [aA])."""
    source = regex.pattern
    if not regex.flags & re.I:
        return source
    out, i, in_class = [], 0, False
    while i < len(source):
        c = source[i]
        if c == "\\":
            out.append(source[i : i + 2])
            i += 2
            continue
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        out.append(f"[{c.lower()}{c.upper()}]" if c.isalpha() and not in_class else c)
        i += 1
    return "".join(out)


def _stripped(regex: re.Pattern) -> str:
    """The model strips the value before matching: allow surrounding whitespace."""
    inner = _ecma(regex)
    inner = inner[1:] if inner.startswith("^") else inner
    inner = inner[:-1] if inner.endswith("$") else inner
    return rf"^\s*(?:{inner})\s*$"


_NONEMPTY = {"type": "string", "pattern": r"\S"}
_TEXT = {
    "anyOf": [_NONEMPTY, {"type": ["number", "boolean"]}],
    "description": "text (numbers and true/false are read as written)",
}
_DATE_TEXT = (
    r"^\s*(?:\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?"
    r"|(?:Spring|Summer|Fall|Autumn|Winter) \d{4}|[pP][rR][eE][sS][eE][nN][tT])\s*$"
)
_LEAVES: dict[type, dict[str, Any]] = {
    str: _TEXT,
    model.Str: _TEXT,
    model.Text: _TEXT,
    model.Url: {"type": "string", "pattern": _stripped(model._URL_RE)},
    model.Email: {"type": "string", "pattern": _stripped(model._EMAIL_RE)},
    model.Length: {"type": "string", "pattern": _stripped(model._LENGTH_RE)},
    model.Color: {"type": "string", "pattern": _stripped(model._COLOR_RE)},
    model.DateFormat: {"type": "string", "pattern": _stripped(model._DATE_FORMAT_RE)},
    model.Date: {
        "anyOf": [{"type": "integer", "minimum": 1000, "maximum": 9999}, {"type": "string", "pattern": _DATE_TEXT}]
    },
    int: {"type": "integer"},
    bool: {"type": "boolean"},
}


class _Builder:
    def __init__(self):
        self.defs: dict[str, dict] = {}

    def type_schema(self, tp) -> dict:
        origin = typing.get_origin(tp)
        if origin in model.UNIONS:
            args = typing.get_args(tp)
            options = [self.type_schema(a) for a in args if a is not type(None)]
            if type(None) in args:
                options.append({"type": "null"})
            return options[0] if len(options) == 1 else {"anyOf": options}
        if origin is list or tp is list:
            args = typing.get_args(tp)
            return {"type": "array", "items": self.type_schema(args[0])} if args else {"type": "array"}
        if origin is dict:
            _, item = typing.get_args(tp)
            return {"type": "object", "additionalProperties": self.type_schema(item)}
        if origin is Literal:
            return {"enum": list(typing.get_args(tp))}
        if dataclasses.is_dataclass(tp) and tp is not model.Date:
            return self.ref(tp)
        if tp is Any:
            return {}
        if tp in _LEAVES:
            return dict(_LEAVES[tp])
        raise TypeError(f"no JSON Schema for {tp!r}")

    def ref(self, cls) -> dict:
        name = cls.__name__
        if name not in self.defs:
            self.defs[name] = {}  # placeholder: recursion-safe
            self.defs[name] = self.record(cls)
        return {"$ref": f"#/$defs/{name}"}

    def record(self, cls) -> dict:
        props, required = {}, []
        types = model.hints(cls)
        for f in model._fields(cls):
            prop = self.type_schema(types[f.name])
            if f.metadata.get("doc"):
                prop = {**prop, "description": f.metadata["doc"]}
            default = _default(f)
            if default is not None:
                prop["default"] = default
            props[f.name] = prop
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                required.append(f.name)
        out = {"type": "object", "properties": props, "additionalProperties": False}
        if cls.__doc__ and not cls.__doc__.startswith(cls.__name__ + "("):
            out["description"] = cls.__doc__.strip().splitlines()[0]
        if required:
            out["required"] = required
        return out


def _default(f: dataclasses.Field):
    value = f.default
    if value is dataclasses.MISSING or value is None:
        return None
    if isinstance(value, (bool, int, str)):
        return value if not isinstance(value, model.Str) else str(value)
    return None


def _section_rules(b: _Builder) -> list[dict]:
    """What the model checks per section kind: the entries' type, text or entries, publication options."""
    rules = []
    for kind in typing.get_args(model.hints(model.Section)["kind"]):
        cond: dict[str, Any] = {"properties": {"kind": {"const": kind}}}
        if kind != "entries":  # entries is the default kind: no `kind:` key also means entries
            cond["required"] = ["kind"]
        then: dict = {}
        if kind in model.ENTRY_KINDS:
            item = b.type_schema(model.ENTRY_KINDS[kind])
            if model.ENTRY_KINDS[kind] is model.Item:
                item = {"anyOf": [item, {"type": ["string", "number", "boolean"]}]}  # a plain line
            then["properties"] = {
                "entries": {"items": item},
                "groups": {"items": {"properties": {"entries": {"items": item}}}},
            }
            then["anyOf"] = [{"required": ["entries"]}, {"required": ["groups"]}]
            then["not"] = {
                "anyOf": [{"required": ["text"], "properties": {"text": {"not": {"type": "null"}}}}]
                + [{"required": [k]} for k in model.PUBLICATION_OPTIONS]
            }
        elif kind == "text":
            then["required"] = ["text"]
            then["properties"] = {"text": _TEXT}
            then["not"] = {
                "anyOf": [{"required": ["entries"]}, {"required": ["groups"]}]
                + [{"required": [k]} for k in model.PUBLICATION_OPTIONS]
            }
        else:  # publications
            then["not"] = {"anyOf": [{"required": ["entries"]}, {"required": ["groups"]}]}
        rules.append({"if": cond, "then": then})
    return rules


def _code_rules(b: _Builder) -> None:
    """Checks the model makes in code (model._check_dates, _check_cv), where JSON Schema can say them."""
    b.defs["Publications"]["properties"]["max_authors"]["anyOf"][0]["minimum"] = 1
    entry = b.defs["DatedEntry"]
    entry["not"] = {"anyOf": [{"required": ["date", "start"]}, {"required": ["date", "end"]}]}
    entry["properties"]["start"] = {
        **entry["properties"]["start"],
        "not": {"type": "string", "pattern": r"^\s*[pP][rR][eE][sS][eE][nN][tT]\s*$"},
    }
    b.defs["Section"]["allOf"] = _section_rules(b)


def schema() -> dict:
    b = _Builder()
    root = b.record(model.CV)
    for cls in model.ENTRY_KINDS.values():
        b.ref(cls)
    _code_rules(b)
    root.pop("description", None)  # the CV class's own: the line below says more
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_ID,
        "title": "cv_builder cv.yaml",
        "description": "A CV for cv_builder: person, publications, design, variants and sections. "
        "Generated from cv_builder/model.py by `python -m cv_builder schema`.",
        **root,
        "$defs": dict(sorted(b.defs.items())),
    }


def schema_text() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"
