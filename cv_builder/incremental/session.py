"""The one interface build.py uses: session(opts) is a Session (the cached build) or, with
--no-cache, Plain: a fresh build directory and no stores, the reference the cached path
must match. Both answer the same calls, so the build has no cache branches."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..options import Options
from ..publish.reproducible import SourceDate, engine_env, trailer_id
from ..typeset import engine as engines
from . import ahead, cached, keys, noop, stores


class Plain:
    """--no-cache: nothing read from or written to output/.cache/."""

    cache_for: Path | None = None  # no parsed-.bib memo

    def __init__(self, opts: Options):
        self.opts = opts

    def begin(self) -> None:
        """The build starts to read its inputs."""

    def saw(self, path: Path) -> None:
        """A data file the build read (the cached build records its digest as read)."""

    def jinja_dir(self) -> Path | None:
        return None

    def fonts_dir(self) -> Path | None:
        """Where LuaLaTeX's subset fonts go; None: a scratch folder of the caller's."""
        return None

    def tell_head(self, early: ahead.Early | None, eng: engines.Engine, head: str) -> None:
        """The document's beginning, as soon as render() has it, for the engine started ahead."""

    def read_state(self, deps: list[Path], eng: engines.Engine) -> None:
        """The inputs' state, taken while the engine runs (for remember)."""

    def unchanged(self) -> dict | None:
        """The last build's result when nothing changed; never without the cache."""
        return None

    def remember(
        self, deps: list[Path], eng: engines.Engine, outputs: dict[Path, bytes], pages: int, warnings: list[str]
    ) -> None:
        """After a successful build: what the next no-op check needs."""

    def compile_tex(
        self,
        eng: engines.Engine,
        tex: str,
        when: SourceDate | None = None,
        files: dict[str, Path] | None = None,
        early: ahead.Early | None = None,
        meanwhile: Callable[[], None] | None = None,
    ) -> tuple[bytes, engines.RunResult]:
        """The PDF's bytes for `tex` from a fresh build directory. `files` (name: path) are put
        beside cv.tex, e.g. subset fonts. Reproducible: the PDF's dates come from `when`, its
        /ID from the source. `meanwhile`: done while the engine runs."""
        timeout = _timeout(self.opts, tex)
        build_dir = Path(tempfile.mkdtemp(prefix="cv_builder-"))
        env = engine_env(when) if when else None
        try:
            for name, path in (files or {}).items():
                shutil.copyfile(path, build_dir / name)
            (build_dir / "cv.tex").write_text(tex, encoding="utf-8")
            run = engines.run(
                eng, build_dir, timeout=timeout, env=env, trailer_id=trailer_id(eng.name, tex), meanwhile=meanwhile
            )
            return run.pdf.read_bytes(), run
        finally:
            shutil.rmtree(build_dir, ignore_errors=True)


class Session(Plain):
    """The cached build: the no-op check and record (noop.py), the stores (stores.py) and the
    cached engine stage (cached.py) for one output."""

    def __init__(self, opts: Options):
        super().__init__(opts)
        self.cache_for = opts.output
        self.root = keys.root(opts.output)
        self.key, self.dirs = noop.build_key(opts)
        self.seen: dict = {}
        self.state: dict | None = None

    def begin(self) -> None:
        self.seen = noop.snapshot([self.opts.data], self.dirs)  # what record_build compares against

    def saw(self, path: Path) -> None:
        self.seen[str(path.resolve())] = keys.file_digest(path)  # the templates are in `seen` already

    def jinja_dir(self) -> Path | None:
        return self.root / "jinja"

    def fonts_dir(self) -> Path | None:
        return self.root / "fonts"

    def tell_head(self, early: ahead.Early | None, eng: engines.Engine, head: str) -> None:
        ahead.begin_early(early, eng, head)

    def read_state(self, deps: list[Path], eng: engines.Engine) -> None:
        self.state = noop.input_state(deps, self.dirs, eng.name, eng.path, self.root)

    def unchanged(self) -> dict | None:
        return noop.unchanged(self.key, self.opts.output, self.dirs)

    def remember(
        self, deps: list[Path], eng: engines.Engine, outputs: dict[Path, bytes], pages: int, warnings: list[str]
    ) -> None:
        stores.write_pending()
        noop.record_build(
            self.key,
            self.opts.output,
            deps,
            self.dirs,
            eng.name,
            eng.path,
            outputs,
            {
                "engine_name": eng.name,
                "engine_path": eng.path,
                "embedded": eng.embedded,
                "pages": pages,
                "warnings": warnings,
            },
            self.seen,
            self.state,
        )

    def compile_tex(
        self,
        eng: engines.Engine,
        tex: str,
        when: SourceDate | None = None,
        files: dict[str, Path] | None = None,
        early: ahead.Early | None = None,
        meanwhile: Callable[[], None] | None = None,
    ) -> tuple[bytes, engines.RunResult]:
        """As Plain's, from the cache or a warm build directory; `early`: the engine started ahead."""
        self.opts.early = None  # cached.compile_tex closes it
        return cached.compile_tex(
            eng,
            tex,
            self.opts.output,
            _timeout(self.opts, tex),
            env=engine_env(when) if when else None,
            files=files,
            trailer_id=trailer_id(eng.name, tex),
            early=early,
            meanwhile=meanwhile,
        )


def _timeout(opts: Options, tex: str) -> float:
    return opts.timeout if opts.timeout is not None else engines.default_timeout(tex)


def session(opts: Options) -> Plain:
    """The build's cache, or Plain with --no-cache."""
    return Session(opts) if opts.cache else Plain(opts)
