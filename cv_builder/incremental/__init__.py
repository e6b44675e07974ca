"""All the speed machinery: the no-op check, caches, preamble formats and the engine started ahead (cache),
the pdfTeX font map (fontmap), rarer garbage collection (collector). --no-cache is the plain reference path."""
