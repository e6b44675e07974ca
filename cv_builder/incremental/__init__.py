"""All the speed machinery: the no-op check, caches, preamble formats and the engine started ahead
(cache), cache keys and entries (keys), the engine's identity (identity), the pdfTeX font map (fontmap),
rarer gc and a fast exit (interpreter). --no-cache is the plain reference path."""
