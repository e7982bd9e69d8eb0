"""Where a user value came from: the ``-f`` file with line and column, or the ``--set`` argument.

Worked out only when a message needs it (a schema violation, an unknown or unread key): the
sources are read again and the last one that sets the key wins, as it does in the merge.
"""
from __future__ import annotations

from pathlib import Path

from .errors import MeshchartsError
from .values import Values, apply_set, user_values, values_text
from .yamlio import key_position

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Sequence

KeyPath = tuple  # map keys (str) and list indexes (int), outermost first


def dotted(path: KeyPath) -> str:
    """``("gateways", "istio-ingressgateway", "ports", 0)`` → ``gateways.istio-ingressgateway.ports[0]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def holds(values: Any, path: KeyPath) -> bool:
    """Whether ``values`` has something at ``path``."""
    node = values
    for part in path:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return False
    return True


class Origins:
    """The user's value sources in the order they apply: ``files`` as ``(path, label)`` (a
    profile first, then the ``-f`` files), then ``sets`` as ``(flag, argument)``.
    ``profiles`` says how many leading files are profiles rather than the user's own input."""

    def __init__(self, files: Sequence[tuple[str | Path, str]] = (), sets: Sequence[tuple[str, str]] = (),
                 profiles: int = 0, mapping: Values | None = None):
        self.files = files
        self.sets = sets
        self.profiles = profiles
        self.mapping = mapping  # values given as a Python mapping: after the files, before the sets
        self._texts: dict[str, str] = {}
        self._merged: dict[bool, Values] = {}

    def __repr__(self) -> str:
        return (f"Origins(files={self.files!r}, sets={self.sets!r}, profiles={self.profiles!r}, "
                f"mapping={self.mapping!r})")

    def values(self, with_profiles: bool = True) -> Values:
        """The merged user values (optionally without the profile): what a key is checked against
        before its source is looked up."""
        with_profiles = with_profiles or not self.profiles  # without profiles the two are one merge
        merged = self._merged.get(with_profiles)
        if merged is None:
            merged = self._merged[with_profiles] = user_values(self.files[0 if with_profiles else self.profiles:],
                                                               self.sets, self.profiles if with_profiles else 0,
                                                               self.mapping)
        return merged

    def where(self, path: KeyPath) -> str | None:
        """``file:line:column`` or ``--set ARG`` of the last source that sets ``path``; None when
        no source does (the value is a chart default)."""
        for flag, arg in reversed(self.sets):
            try:  # the shape of the argument alone: --set-file is not read again
                shape: Values = {}
                apply_set(shape, arg, "--set-string")
            except MeshchartsError:
                continue
            if holds(shape, path):
                return f"{flag} {arg}"
        if self.mapping is not None and holds(self.mapping, path):
            return "values=" + dotted(path)
        for file, label in reversed(self.files):
            text = self._texts.get(label)
            if text is None:
                try:
                    text = self._texts[label] = values_text(file)
                except (OSError, UnicodeDecodeError):
                    continue
            position = key_position(text, path)
            if position is not None:
                return f"{label}:{position[0]}:{position[1]}"
        return None
