"""An imported CV as cv.yaml text: the data, then what had no place in it, as comments."""

from __future__ import annotations

import yaml

from .intake import Imported


class _Dumper(yaml.SafeDumper):
    """Block style, keys in the order given, long lines kept whole; lists indented under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # A value YAML would read as something else ('2021', 'yes', '2023-05-12') is quoted by PyYAML already.
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _str)


def dump(data: object) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100_000, default_flow_style=False)


def cv_yaml_text(imp: Imported, source: str) -> str:
    data: dict = {"person": imp.person}
    if imp.publications:
        publications: dict = {"bib": "publications.bib"}
        if imp.owner:
            publications["owner"] = imp.owner
        data["publications"] = publications
    if imp.design:
        data["design"] = imp.design
    data["sections"] = imp.sections
    head = (
        f"# yaml-language-server: $schema=cv.schema.json\n"
        f"# Imported from {source} ({imp.kind}) by `python -m cv_builder import`.\n\n"
    )
    body = ""
    for i, (key, value) in enumerate(data.items()):
        body += ("\n" if i else "") + dump({key: value})
    return head + body + leftovers_text(imp)


def leftovers_text(imp: Imported) -> str:
    """What had no place in cv_builder's format, as comments: nothing is lost, only set aside."""
    if not imp.leftovers:
        return ""
    lines = [
        "",
        f"# --- Not imported: no place for these in cv_builder's format ({len(imp.leftovers)}). ---",
        "# Each is kept here as it was in the source; move what you need into the data above.",
    ]
    for item in imp.leftovers:
        lines.append("#")
        lines.append(f"# {item}")
        if item.value is not None:
            shown = dump(item.value).rstrip("\n")
            shown = shown.removesuffix("\n...")
            for text in shown.splitlines():
                lines.append(f"#   {text}")
    return "\n".join(lines) + "\n"
