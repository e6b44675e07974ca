"""The command line: arguments and commands (main.py), --watch, init, export."""

from .main import run

__all__ = ["run"]
