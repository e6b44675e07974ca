"""What every importer shares: reading the source with positions, the result it fills in,
and the mappings both formats need (dates, URLs, social networks, bullets)."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..model.cv import Date
from ..model.load import Map, Node, Scalar, Seq, parse_yaml, read_text, to_python


@dataclass
class Leftover:
    """A part of the source with no place in cv_builder's format: reported, and kept as a comment."""

    file: str
    line: int
    path: str
    reason: str
    value: Any = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file  # JSON read by json has no lines
        return f"{where}: {self.path}: {self.reason}"


@dataclass
class BibRecord:
    """One publication on its way to publications.bib."""

    type: str
    fields: dict[str, str]
    authors: list[str] = field(default_factory=list)
    key: str = ""


@dataclass
class Imported:
    """What an importer made of a source file."""

    kind: str
    file: str
    person: dict = field(default_factory=dict)
    sections: list[dict] = field(default_factory=list)
    design: dict = field(default_factory=dict)
    publications: list[BibRecord] = field(default_factory=list)
    owner: list[str] = field(default_factory=list)
    leftovers: list[Leftover] = field(default_factory=list)
    notes: list[Leftover] = field(default_factory=list)  # reported, nothing lost (e.g. an inferred author)

    def add(self, record: BibRecord) -> str:
        """Add a publication under a key of its own: first author's family name, year, first title word."""
        record.key = bib_key(record, {r.key for r in self.publications})
        self.publications.append(record)
        return record.key

    def leave(self, node: Node | None, path: str, reason: str, value: Node | None = None) -> None:
        line = node.line if node is not None else 0
        shown = to_python(value) if value is not None else None
        self.leftovers.append(Leftover(self.file, line, path, reason, shown))

    def note(self, node: Node | None, path: str, reason: str) -> None:
        self.notes.append(Leftover(self.file, node.line if node is not None else 0, path, reason))


_STOP = {"a", "an", "the", "on", "of", "for", "in", "to", "and", "with", "via", "from", "towards", "toward"}


def _ascii(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower())


def bib_key(record: BibRecord, taken: set[str]) -> str:
    """doe2023sparse: the same publication gets the same key on every import; b, c, ... on a clash."""
    first = record.authors[0] if record.authors else ""
    family = first.split(",")[0] if "," in first else (first.split() or [""])[-1]
    words = [_ascii(w) for w in re.split(r"[\s:/-]+", record.fields.get("title", ""))]
    word = next((w for w in words if w and w not in _STOP), "")
    base = (_ascii(family) + record.fields.get("year", "") + word) or "publication"
    key, suffix = base, ord("a")
    while key in taken:
        suffix += 1
        key = base + chr(suffix)
    return key


_SURROGATE = re.compile(r"\\u[dD][89abAB]")


def read_source(path: Path, shown: str) -> Map:
    """The file as a located tree; JSON is read as the YAML it nearly is (tabs, which YAML
    forbids and JSON allows only between tokens, become spaces), else by json without positions."""
    text = read_text(path, shown)
    looks_json = text.lstrip("\ufeff \t\r\n").startswith("{")
    if looks_json:
        text = text.replace("\t", " ")
    # YAML reads a JSON surrogate pair (\ud83d\ude00) as two broken characters: json reads such files.
    if not (looks_json and _SURROGATE.search(text)):
        try:
            return parse_yaml(text, shown)
        except InputError:
            if not looks_json:
                raise
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError([Problem(f"invalid JSON: {exc.msg}", shown, exc.lineno, exc.colno)]) from None
    tree = _node(data, shown)
    if not isinstance(tree, Map):
        raise InputError([Problem("the top level must be an object", shown, 1, 1)])
    return tree


def _node(value: Any, file: str) -> Node:
    if isinstance(value, dict):
        out = Map(file, 0, 0)
        for k, v in value.items():
            out.keys[str(k)] = Scalar(file, 0, 0, raw=str(k), value=str(k))
            out.items[str(k)] = _node(v, file)
        return out
    if isinstance(value, list):
        return Seq(file, 0, 0, [_node(v, file) for v in value])
    raw = "" if value is None else (json.dumps(value) if isinstance(value, bool) else str(value))
    return Scalar(file, 0, 0, raw=raw, value=value, quoted=isinstance(value, str))


def text(node: Node | None) -> str | None:
    """A scalar's text as written, stripped; None when absent, empty or not a scalar."""
    if not isinstance(node, Scalar) or (node.value is None and not node.quoted):
        return None
    return node.raw.strip() or None


def empty(node: Node | None) -> bool:
    """No data in it: a missing or blank value, or lists and mappings of those."""
    if isinstance(node, Map):
        return all(empty(v) for v in node.items.values())
    if isinstance(node, Seq):
        return all(empty(v) for v in node.items)
    return text(node) is None


def get(node: Node, key: str) -> str | None:
    """The text of a mapping's `key` (see text)."""
    return text(node.items.get(key)) if isinstance(node, Map) else None


def date(imp: Imported, node: Node | None, path: str) -> str | None:
    """A date as cv_builder writes it (YYYY, YYYY-MM, YYYY-MM-DD, 'Fall 2025', present)."""
    raw = text(node)
    if raw is None:
        return None
    value = raw[:10] if re.match(r"^\d{4}-\d{2}-\d{2}T", raw) else raw  # an ISO time of day
    try:
        Date.parse(value)
    except ValueError:
        imp.leave(node, path, f"the date {raw!r} is not YYYY, YYYY-MM, YYYY-MM-DD, 'Fall 2025' or present", node)
        return None
    return value.lower() if value.lower() == "present" else value


def web_url(raw: str | None) -> str | None:
    """An http(s) URL; a bare host (example.com/x) gets https://."""
    if not raw:
        return None
    if re.match(r"^(https?://|mailto:)", raw, re.IGNORECASE):
        return raw
    if re.match(r"^[\w-]+(\.[\w-]+)+(/\S*)?$", raw):
        return "https://" + raw
    return None


def host(url: str) -> str:
    """The link text for a URL: its host and path, without the scheme or a trailing slash."""
    return re.sub(r"^(https?://)?(www\.)?", "", url).rstrip("/")


# Networks with a field of their own in person:, by lower-cased name.
PERSON_FIELDS = {
    "github": "github",
    "linkedin": "linkedin",
    "orcid": "orcid",
    "google scholar": "scholar",
    "googlescholar": "scholar",
    "scholar": "scholar",
    "x": "x",
    "twitter": "x",
}
PROFILE_URLS = {
    "gitlab": "https://gitlab.com/{}",
    "researchgate": "https://www.researchgate.net/profile/{}",
    "youtube": "https://www.youtube.com/@{}",
    "stackoverflow": "https://stackoverflow.com/users/{}",
    "imdb": "https://www.imdb.com/name/{}",
    "instagram": "https://www.instagram.com/{}",
    "telegram": "https://t.me/{}",
    "bluesky": "https://bsky.app/profile/{}",
    "reddit": "https://www.reddit.com/user/{}",
    "leetcode": "https://leetcode.com/u/{}",
    "whatsapp": "https://wa.me/{}",
    "facebook": "https://www.facebook.com/{}",
    "soundcloud": "https://soundcloud.com/{}",
    "medium": "https://medium.com/@{}",
}


def profile(imp: Imported, node: Node, path: str, network: str | None, username: str | None, url: str | None) -> None:
    """A social network profile: its person: field, else a header link."""
    name = (network or "").strip()
    key = name.lower()
    if key in PERSON_FIELDS and username and PERSON_FIELDS[key] not in imp.person:
        imp.person[PERSON_FIELDS[key]] = username.lstrip("@")
        return
    target = web_url(url)
    if target is None and username:
        if key == "mastodon" and re.match(r"^@?[^@\s]+@[^@\s]+$", username):
            user, server = username.lstrip("@").split("@")
            target = f"https://{server}/@{user}"
        elif key in PROFILE_URLS:
            target = PROFILE_URLS[key].format(username.lstrip("@"))
    if target is None:
        imp.leave(
            node,
            path,
            f"the {name or 'unnamed'} profile has no URL, and cv_builder does not know "
            "where that network's profiles are",
            node,
        )
        return
    label = f"{name}: {username}" if name and username else name or username or host(target)
    imp.person.setdefault("links", []).append({"label": label, "url": target})


def bullet(line: str, nested: bool) -> str | dict:
    """A highlight as a bullet; with `nested`, its ' - ' parts (as RenderCV reads them) are sub-bullets."""
    if nested:
        parts = [p.strip() for p in re.split(r"\n\s*-\s+|\s+-\s+", line)]
        parts = [p for p in parts if p]
        if len(parts) > 1:
            return {"text": parts[0], "details": parts[1:]}
    return line


def entry(**values: Any) -> dict:
    """An entry without its empty fields, in the given order."""
    return {k: v for k, v in values.items() if v not in (None, "", [], {})}
