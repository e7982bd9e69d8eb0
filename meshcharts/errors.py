"""The one error type meshcharts raises for bad input, carrying where the problem is."""
from __future__ import annotations


class MeshchartsError(Exception):
    """A problem a user can fix: bad values, a broken template, a missing file.

    ``where`` names the place (``file:line``, a key path or a ``--set`` argument); ``str()``
    gives ``where: message`` plus any extra context lines (an include chain, known names).
    """

    def __init__(self, message: str, where: str | None = None, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.where = where
        self.details = list(details or [])

    def __str__(self) -> str:
        # A place or a message may quote user input (a --set argument, a template's fail() text)
        # that reaches a terminal or a CI log: control characters are shown escaped, so no such
        # text can move the cursor, color the log, or start a line of its own (``::error::``).
        head = f"{printable(self.where)}: {printable(self.message)}" if self.where else printable(self.message)
        return "\n".join([head, *(printable(d) for d in self.details)])


def printable(text: str) -> str:
    """``text`` with control and other unprintable characters shown as escapes (``\\n``, ``\\x1f``)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class ValuesError(MeshchartsError):
    """Values that cannot be read or merged (files, --set arguments, types)."""


class ChartError(MeshchartsError):
    """A chart that cannot be loaded (Chart.yaml, dependencies, layout)."""


class TemplateError(MeshchartsError):
    """A template that fails to compile or to render."""


class RegistryError(MeshchartsError):
    """Images that cannot be listed, moved to a registry, or that fail a registry check."""
