"""Interchange: other CV formats in (import) and out (JSON Resume, RenderCV, al-folio)."""
