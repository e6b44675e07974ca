"""cv_builder: one YAML file and a BibTeX file in, a typeset CV PDF out."""

__version__ = "0.1.0"
