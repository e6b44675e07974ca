"""Interchange stage: CVs in and out of other formats (RenderCV, JSON Resume, al-folio)."""
