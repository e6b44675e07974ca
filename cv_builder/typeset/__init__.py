"""Typesetting: LaTeX escaping (latex), Jinja templates (render), themes, fonts, the TeX engine (engine)."""
