"""`python -m cv_builder init [DIR]`: a starter cv.yaml, publications.bib and cv.schema.json.

The starter is a fictional example (Ada Example) covering every section kind;
it builds as is. Existing files are never overwritten.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import CVError
from ..model.schema import schema_text
from ..paths import STARTER_DIR

STARTER = STARTER_DIR
FILES = ("cv.yaml", "publications.bib")


class ExistsError(CVError):
    """init would overwrite a file: exit 1, nothing written."""


def init(directory: Path) -> list[str]:
    """Write the starter files into `directory`; returns lines to print."""
    targets = {directory / name: (STARTER / name).read_text(encoding="utf-8") for name in FILES}
    targets[directory / "cv.schema.json"] = schema_text()
    existing = [str(p) for p in targets if p.exists()]
    if existing:
        raise ExistsError(
            f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
            "nothing was written (choose another directory: python -m cv_builder init DIR)"
        )
    directory.mkdir(parents=True, exist_ok=True)
    for path, text in targets.items():
        path.write_text(text, encoding="utf-8")
    data = directory / "cv.yaml"
    build = "python -m cv_builder" if data == Path("data/cv.yaml") else f"python -m cv_builder --data {data}"
    return [
        f"wrote {', '.join(str(p) for p in targets)}",
        "the example person (Ada Example) is fictional: replace the data with your own",
        f"build it: {build}",
    ]
