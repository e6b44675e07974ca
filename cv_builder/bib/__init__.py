"""BibTeX stage: the .bib read by bibtexparser (reader), the publication lists (publications), rich text (richtext)."""
