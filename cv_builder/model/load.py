"""Load stage: cv.yaml into a tree of nodes that remember where they came from.

PyYAML's safe loader does the parsing; we build our own small node tree
from its composed nodes so that every value keeps its line and column, its
raw text (so `title: NO` stays "NO" and `1.10` stays "1.10"), and so that
duplicate keys and alias bombs are errors instead of silent surprises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import InputError, Problem, decode_utf8

MAX_NODES = 100_000  # after alias expansion; a real CV has a few thousand
MAX_DEPTH = 64
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


@dataclass
class Node:
    """A YAML node with the file position it came from."""

    file: str
    line: int  # 1-based
    column: int  # 1-based


@dataclass
class Scalar(Node):
    """A YAML scalar: its text and value."""

    raw: str = ""  # the text as written (without quotes)
    value: object = None  # what YAML would make of it (int, bool, date, str, None)
    quoted: bool = False


@dataclass
class Seq(Node):
    """A YAML sequence."""

    items: list = field(default_factory=list)


@dataclass
class Map(Node):
    """A YAML mapping, with its keys' own positions."""

    items: dict = field(default_factory=dict)  # str key -> Node
    keys: dict = field(default_factory=dict)  # str key -> Scalar (the key's own position)


def to_python(node: Node) -> object:
    """Plain Python data, e.g. for JSON Schema validation."""
    if isinstance(node, Map):
        return {k: to_python(v) for k, v in node.items.items()}
    if isinstance(node, Seq):
        return [to_python(v) for v in node.items]
    assert isinstance(node, Scalar)  # the only other kind of Node
    return node.value


def read_text(path: Path, display: str) -> str:
    """Read a UTF-8 file; a BOM is accepted, invalid bytes are a located error."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError([Problem("file not found", display, hint="check the path (--data FILE)")]) from None
    except OSError as exc:
        raise InputError([Problem(f"cannot read file: {exc.strerror}", display)]) from None
    return decode_utf8(data, display, "the file")


def load_yaml(path: str | Path, display: str | None = None) -> Map:
    path = Path(path)
    display = display or str(path)
    return parse_yaml(read_text(path, display), display)


def parse_yaml(text: str, file: str) -> Map:
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        root = _compose(text)
    except yaml.MarkedYAMLError as exc:
        raise InputError([_syntax_problem(exc, file)]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(f"YAML error: {exc}", file)]) from None
    except RecursionError:
        raise InputError([Problem("nesting is too deep", file)]) from None
    if root is None:
        raise InputError([Problem("the file is empty", file, hint="start from `python -m cv_builder init`")])
    builder = _Builder(file)
    tree = builder.build(root, 0)
    if builder.problems:
        raise InputError(builder.problems)
    if not isinstance(tree, Map):
        raise InputError(
            [
                Problem(
                    f"the top level must be a mapping (person:, sections:, ...), not a {_kind(tree)}",
                    file,
                    tree.line,
                    tree.column,
                )
            ]
        )
    return tree


def _compose(text: str):
    """The node tree, by libyaml where that is safe (13x faster: it is most of a warm build's
    parsing), else by PyYAML's Python parser, which also words every error, so messages
    and hints never depend on whether libyaml is installed."""
    fast = getattr(yaml, "CSafeLoader", None)
    # libyaml's composer recurses on the C stack: deep nesting goes to the Python one,
    # whose RecursionError is reported cleanly.
    if fast is not None and (
        text.count("[") + text.count("{") < 200 and max(map(len, _INDENT.findall(text)), default=0) < 400
    ):
        try:
            return yaml.compose(text, Loader=fast)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


_INDENT = re.compile(r"^[ \t]+", re.M)


def _syntax_problem(exc: yaml.MarkedYAMLError, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    if exc.context_mark and "end of stream" in (exc.problem or ""):
        mark = exc.context_mark  # where the unclosed thing started, not the end of the file
    message = exc.problem or "YAML syntax error"
    if exc.context:
        message = f"{exc.context}: {message}" if exc.problem else exc.context
    hint = ""
    if "'\\t'" in message:
        hint = "YAML indentation must use spaces, not tabs"
    elif "found unexpected end of stream" in message or "while scanning a quoted scalar" in message:
        hint = "a quoted string is not closed"
    elif "mapping values are not allowed" in message:
        hint = "check the indentation, or quote a value that contains ': '"
    start = exc.context_mark
    if start and mark and mark is not start and start.line != mark.line and exc.context:
        where = (
            f"{exc.context.replace('while ', '').replace('parsing ', '').replace('scanning ', '')} "
            f"starts at line {start.line + 1}, column {start.column + 1}"
        )
        hint = f"{hint}; {where}" if hint else where
    line = mark.line + 1 if mark else 0
    col = mark.column + 1 if mark else 0
    return Problem(f"YAML syntax error: {message}", file, line, col, hint=hint)


def _kind(node: Node) -> str:
    return {Map: "mapping", Seq: "list", Scalar: "single value"}[type(node)]


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.count = 0
        self.problems: list[Problem] = []
        self.constructor = yaml.SafeLoader("")  # only used to resolve scalar values

    def build(self, node: yaml.Node, depth: int) -> Node:
        self.count += 1
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        if self.count > MAX_NODES:
            raise InputError(
                [
                    Problem(
                        f"the document expands to more than {MAX_NODES} values (aliases/anchors?)",
                        self.file,
                        line,
                        col,
                        hint="remove recursive or repeated YAML aliases",
                    )
                ]
            )
        if depth > MAX_DEPTH:
            raise InputError([Problem(f"nesting deeper than {MAX_DEPTH} levels", self.file, line, col)])
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
            self.problems.append(
                Problem(
                    f"unsupported YAML tag {node.tag!r}",
                    self.file,
                    line,
                    col,
                    hint="cv.yaml holds plain text, numbers, lists and mappings; remove the tag",
                )
            )
        if isinstance(node, yaml.MappingNode):
            return self._map(node, depth, line, col)
        if isinstance(node, yaml.SequenceNode):
            return Seq(self.file, line, col, [self.build(n, depth + 1) for n in node.value])
        assert isinstance(node, yaml.ScalarNode)  # yaml composes only these three
        return self._scalar(node, line, col)

    def _scalar(self, node: yaml.ScalarNode, line: int, col: int) -> Scalar:
        try:
            value = self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError:
            self.problems.append(
                Problem(
                    f"unsupported YAML tag {node.tag!r}",
                    self.file,
                    line,
                    col,
                    hint="cv.yaml holds plain text, numbers, lists and mappings; remove the tag",
                )
            )
            value = None
        except ValueError:
            value = node.value  # e.g. an out-of-range date: keep the text, the model judges it
        return Scalar(self.file, line, col, raw=node.value, value=value, quoted=node.style in ("'", '"'))

    def _map(self, node: yaml.MappingNode, depth: int, line: int, col: int) -> Map:
        result = Map(self.file, line, col)
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(
                    Problem(
                        "YAML merge keys (<<) are not supported",
                        self.file,
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                    )
                )
                continue
            key = self.build(key_node, depth + 1)
            if not isinstance(key, Scalar):
                self.problems.append(Problem("a key must be a single value", self.file, key.line, key.column))
                continue
            name = key.raw
            if name in result.items:
                first = result.keys[name]
                self.problems.append(
                    Problem(
                        f"duplicate key {name!r} (first defined at line {first.line})",
                        self.file,
                        key.line,
                        key.column,
                        hint="remove one of them; YAML would silently keep the last",
                    )
                )
                continue
            result.keys[name] = key
            result.items[name] = self.build(value_node, depth + 1)
        return result
