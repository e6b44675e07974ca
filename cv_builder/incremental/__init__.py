"""All the speed machinery: the no-op check (noop), the stores and their bounds (stores), the
per-output work directory (work), preamble formats (formats), the engine started ahead (ahead) and
the cached compile_tex that uses them all (cached); cache keys and entries (keys), the engine's
identity (identity), the pdfTeX font map (fontmap), rarer gc and a fast exit (interpreter).
build.py uses them through session (Session, or Plain: --no-cache, the reference path)."""
