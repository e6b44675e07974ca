"""The no-op check: a build's key, the state of its inputs, and what the last build read and
wrote (noop/). Checked without importing the build stages."""

from __future__ import annotations

import contextlib
import hashlib
import shutil
from pathlib import Path

from ..errors import CVError
from ..options import Options
from ..paths import PACKAGE_DIR, templates_root
from ..typeset.engine import ENGINES, embedded_pdflatex
from ..typeset.fonts import fallback_fonts
from .identity import engine_identity
from .keys import digest, env_state, file_digest, read_json, root, tree_digest, write_json
from .stores import trim


def _dirs(template_dir) -> list[Path]:
    """Template folders of the user's: one (--template-dir), or a list (it and latex_templates/ beside the data)."""
    if not template_dir:
        return []
    return [Path(d) for d in template_dir] if isinstance(template_dir, (list, tuple)) else [Path(template_dir)]


def _builtin_templates() -> list[str]:
    """The digest of the built-in templates; "missing" lets the build run and word the error."""
    try:
        return [tree_digest(templates_root())]
    except CVError:
        return ["missing"]


def engines_present() -> dict:
    found = {name: shutil.which(name) or "" for name in ENGINES}
    found["embedded"] = embedded_pdflatex() or ""
    return found


def noop_key(data: Path, output: Path, engine: str, theme, template_dir) -> str:
    return digest(
        "noop",
        Path(data).resolve(),
        Path(output).resolve(),
        engine,
        theme or "",
        [str(Path(d).resolve()) for d in _dirs(template_dir)],
    )


def build_key(opts: Options) -> tuple[str, list[Path]]:
    """The no-op key of a build and the user's template folders it watches (--template-dir, and
    latex_templates/ beside the data)."""
    dirs = ([Path(opts.template_dir)] if opts.template_dir else []) + [Path(opts.data).parent / "latex_templates"]
    return noop_key(opts.data, opts.output, opts.engine, opts.key_options(), dirs), dirs


def input_state(deps: list[Path], template_dir, engine_name: str, engine_path: str, cache: Path) -> dict:
    return {
        "deps": {str(Path(p).resolve()): file_digest(p) for p in deps},
        "templates": _builtin_templates() + [tree_digest(d) for d in _dirs(template_dir)],
        "code": tree_digest(PACKAGE_DIR, (".py",)),  # every subpackage: rglob
        "env": env_state(),
        "engines": engines_present(),
        "engine": engine_identity(engine_name, engine_path, cache),
        "fonts": fallback_fonts() if engine_name == "lualatex" else [],
    }


def snapshot(files: list[Path], template_dir=None) -> dict:
    """Digests of inputs as a build starts to read them (see record_build)."""
    seen: dict[str, str | list[str]] = {str(Path(p).resolve()): file_digest(p) for p in files}
    if template_dir is not None or files:
        seen["templates"] = _builtin_templates() + ([tree_digest(d) for d in _dirs(template_dir)])
    return seen


def record_build(
    key: str,
    output: Path,
    deps: list[Path],
    template_dir,
    engine_name: str,
    engine_path: str,
    outputs: dict[Path, bytes],
    result: dict,
    seen: dict | None = None,
    state: dict | None = None,
) -> None:
    """After a successful build: remember its inputs and what it wrote.

    An input edited while the build ran (`--watch` makes that likely) differs from
    what the build read, as snapshot() saw it: then nothing is remembered and the
    next build runs. `state`: input_state() taken after the build read its inputs
    (while the engine ran); an edit after that shows in the next build's check.
    """
    cache = root(output)
    trim(cache)
    if state is None:
        state = input_state(deps, template_dir, engine_name, engine_path, cache)
    if seen and (
        any(state["deps"].get(p, d) != d for p, d in seen.items() if p != "templates")
        or state["templates"] != seen.get("templates", state["templates"])
    ):
        with contextlib.suppress(OSError):
            (cache / "noop" / f"{key[:32]}.json").unlink()
        return
    state["deps_list"] = [str(p) for p in deps]
    state["outputs"] = {str(Path(p).resolve()): hashlib.sha256(b).hexdigest() for p, b in outputs.items()}
    state["result"] = result
    write_json(cache / "noop" / f"{key[:32]}.json", state)


def data_changed(key: str, output: Path) -> bool:
    """A data file differs from the last build's (or there is none): the build has to run,
    whatever else unchanged() would check. Two file hashes: cheap enough to ask first."""
    state = read_json(root(output) / "noop" / f"{key[:32]}.json")
    try:
        return any(file_digest(Path(p)) != sha for p, sha in state["deps"].items())
    except (KeyError, TypeError, AttributeError, OSError):
        return True


def unchanged(key: str, output: Path, template_dir) -> dict | None:
    """The last build's result if no input changed and its outputs are intact, else None."""
    cache = root(output)
    state = read_json(cache / "noop" / f"{key[:32]}.json")
    if not isinstance(state, dict):
        return None
    try:
        for path, sha in state["outputs"].items():
            if file_digest(Path(path)) != sha:
                return None
        now = input_state(
            [Path(p) for p in state["deps_list"]],
            template_dir,
            state["result"]["engine_name"],
            state["result"]["engine_path"],
            cache,
        )
        if any(state.get(k) != v for k, v in now.items()):
            return None
        return state["result"]
    except (KeyError, TypeError, AttributeError):
        return None  # an entry from another version or a damaged one: rebuild


def watched_bibs(opts: Options) -> list[str]:
    """The .bib files the last build read (as recorded for the no-op check), for --watch."""
    key, _ = build_key(opts)
    state = read_json(root(opts.output) / "noop" / f"{key[:32]}.json") or {}
    return [p for p in state.get("deps_list", []) if p.endswith(".bib")]
