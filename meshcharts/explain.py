"""Where every effective value came from: ``meshcharts values --show-origin``, ``--user-only``,
``--global-once`` and ``meshcharts profiles diff A B``.

Values are layered as Helm merges them, lowest first: each child chart's own defaults, the
parent's defaults (for the bundled mesh chart, ``values/istio.yaml`` and one file per child
section), the profile, each ``-f`` file in order, then each ``--set``/``--set-string``/
``--set-file`` argument. A value's origin is the highest layer that sets it; the layers below
that set it too are what it overrode. A child's ``global`` comes from the parent's ``global``
(and the child's own, below it), so its values are traced there.
"""
from __future__ import annotations

import json
from pathlib import Path

from .api import chart_of, chart_source, effective_values, value_origins
from .errors import MeshchartsError
from .origin import KeyPath, dotted
from .values import apply_set, read_values_file, values_text
from .yamlio import key_position, to_yaml, v2_sorted

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Layer:
    """One source of values: ``label`` (a file name or ``--set ARG``), ``data`` (its values),
    ``prefix`` (where in the parent's values they apply), ``text`` (for line numbers) and
    ``user`` (set by the user rather than the chart: the profile and everything after it)."""
    __slots__ = ("label", "data", "prefix", "text", "user")

    def __init__(self, label: str, data: dict, prefix: KeyPath, text: str | None, user: bool):
        self.label, self.data, self.prefix, self.text, self.user = label, data, prefix, text, user

    def get(self, path: KeyPath) -> tuple[bool, Any]:
        if path[:len(self.prefix)] != self.prefix:
            return False, None
        node: Any = self.data
        for part in path[len(self.prefix):]:
            if isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return False, None
        return True, node

    def where(self, path: KeyPath) -> str:
        if self.text is None:
            return self.label
        position = key_position(self.text, path[len(self.prefix):])
        return f"{self.label}:{position[0]}" if position else self.label


def _file_layer(path: Path, label: str, prefix: KeyPath, user: bool) -> Layer:
    data = read_values_file(path, label)  # first: it names the file in any error
    return Layer(label, data, prefix, values_text(path), user)


def _chart_layers(chart: Any, prefix: KeyPath, root: Path) -> list[Layer]:
    """A directory chart's own values.yaml files, children (lower) before their parent."""
    layers = []
    for child in chart.children:
        layers += _chart_layers(child, prefix + (child.name,), root)
    path = Path(chart.directory) / "values.yaml"
    if path.is_file():
        try:
            label = path.relative_to(root.parent).as_posix()
        except ValueError:
            label = str(path)
        layers.append(_file_layer(path, label, prefix, False))
    return layers


def layers(options: Any) -> list[Layer]:
    """Every source of values for ``options``, lowest first."""
    source = chart_source(options)
    out: list[Layer] = []
    if source.defaults_dir is not None:
        directory = Path(source.defaults_dir)
        out.append(_file_layer(directory / f"{source.name}.yaml", f"values/{source.name}.yaml", (), False))
        for path in sorted(directory.glob("*.yaml")):
            if path.stem != source.name:
                out.append(_file_layer(path, f"values/{path.name}", (path.stem,), False))
    else:
        out += _chart_layers(chart_of(options), (), Path(source.directory))
    origins = value_origins(options)
    for path, label in origins.files:
        out.append(_file_layer(Path(path) if str(path) != "-" else path, label, (), True))
    for flag, arg in origins.sets:
        data: dict = {}
        apply_set(data, arg, flag)
        out.append(Layer(f"{flag} {arg}", data, (), None, True))
    return out


def _leaves(values: Any, path: KeyPath = ()) -> list[tuple[KeyPath, Any]]:
    if isinstance(values, dict) and values:
        out = []
        for key, value in values.items():
            out += _leaves(value, path + (key,))
        return out
    return [(path, values)]


def _children(chart: Any, prefix: KeyPath = ()) -> set[KeyPath]:
    out = set()
    for child in chart.children:
        out.add(prefix + (child.name,))
        out |= _children(child, prefix + (child.name,))
    return out


def _candidates(path: KeyPath, children: set[KeyPath]) -> list[KeyPath]:
    """The paths that can set ``path``: itself, and for a child's ``global`` the parents' ``global``."""
    out = [path]
    for i in range(len(path) - 1, 0, -1):
        if path[i] == "global" and path[:i] in children:
            out.append(path[i:])
            break
    return out


def origins(options: Any, values: dict | None = None) -> list[dict]:
    """Each effective value with its source and what it overrode:
    ``{"path", "value", "source", "user", "overrode": [{"source", "value"}]}``, in values order."""
    values = effective_values(options) if values is None else values
    all_layers = layers(options)
    children = _children(chart_of(options))
    out = []
    for path, value in _leaves(values):
        holders = []
        for candidate in _candidates(path, children):
            for rank, layer in enumerate(all_layers):
                found, held = layer.get(candidate)
                if found:
                    # the parent's global wins over anything the child's section sets itself
                    holders.append((rank + (len(all_layers) if candidate is not path else 0), layer, candidate,
                                    held))
        holders.sort(key=lambda h: h[0])
        entry: dict[str, Any] = {"path": dotted(path), "value": value}
        if holders:
            _, top, where, _ = holders[-1]
            entry["source"], entry["user"] = top.where(where), top.user
            entry["overrode"] = [{"source": layer.where(p), "value": held} for _, layer, p, held in
                                 reversed(holders[:-1])]
        else:  # made by the merge itself (an empty section), or by nothing a file says
            entry["source"], entry["user"], entry["overrode"] = "(merged)", False, []
        default = [h for _, layer, _, h in holders if not layer.user]
        entry["default"] = default[-1] if default else None
        entry["changed"] = entry["user"] and (not default or default[-1] != value)
        out.append(entry)
    return out


def global_once(values: dict, chart: Any) -> dict:
    """``values`` with each child section's copy of ``global`` left out (the parent's stays)."""
    out = dict(values)
    for child in chart.children:
        section = out.get(child.name)
        if isinstance(section, dict):
            section = global_once(section, child)
            section.pop("global", None)
            out[child.name] = section
    return out


def _scalar(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    text = to_yaml(value)
    return text if "\n" not in text else json.dumps(value, ensure_ascii=False)


def _note(entry: dict) -> str:
    note = entry["source"]
    if entry["overrode"]:
        first = entry["overrode"][0]
        note += f" (overrides {_scalar(first['value'])} from {first['source']})"
    return note


def annotated_yaml(values: dict, notes: dict[str, str], path: KeyPath = (), indent: int = 0) -> list[str]:
    """``values`` as block YAML with each leaf's note as a trailing comment."""
    lines = []
    pad = " " * indent
    for key in v2_sorted(values):
        value = values[key]
        key_text = to_yaml(key) if isinstance(key, str) and "\n" not in to_yaml(key) else json.dumps(str(key))
        here = path + (key,)
        if isinstance(value, dict) and value:
            lines.append(f"{pad}{key_text}:")
            lines += annotated_yaml(value, notes, here, indent + 2)
        else:
            note = notes.get(dotted(here))
            lines.append(f"{pad}{key_text}: {_scalar(value)}" + (f"  # {note}" if note else ""))
    return lines


def _prune_to(values: Any, keep: set[str], path: KeyPath = ()) -> Any:
    if isinstance(values, dict) and values:
        out = {}
        for k, v in values.items():
            sub = _prune_to(v, keep, path + (k,))
            if sub is not _DROP:
                out[k] = sub
        return out if out else _DROP
    return values if dotted(path) in keep else _DROP


_DROP = object()


def show_values(options: Any, *, show_origin: bool = False, user_only: bool = False, global_once_: bool = False,
                output: str = "yaml") -> str:
    """What ``meshcharts values`` prints for these switches."""
    if output not in ("yaml", "json"):
        raise MeshchartsError(f"unknown output {output!r}; choose yaml or json", "--output")
    values = effective_values(options)
    if global_once_:
        values = global_once(values, chart_of(options))
    entries = origins(options, values) if (show_origin or user_only) else []
    if user_only:
        keep = {e["path"] for e in entries if e["changed"]}
        values = _prune_to(values, keep)
        values = {} if values is _DROP else values
        entries = [e for e in entries if e["changed"]]
    if output == "json":
        if show_origin:
            return json.dumps([{k: e[k] for k in ("path", "value", "source", "overrode")} for e in entries],
                              indent=2, ensure_ascii=False, default=str) + "\n"
        return json.dumps(values, indent=2, ensure_ascii=False, default=str) + "\n"
    if show_origin:
        return "\n".join(annotated_yaml(values, {e["path"]: _note(e) for e in entries})) + "\n"
    return to_yaml(values) + "\n"


def profile_diff(options: Any, a: str, b: str) -> list[dict]:
    """The values profiles ``a`` and ``b`` set differently (with the other flags of ``options``):
    ``{"path", "a", "b", "source"}`` where ``a``/``b`` is absent as ``None`` and ``source`` is where
    ``b``'s value comes from (or ``a``'s, for a value ``b`` does not have)."""
    chart = chart_of(options)
    sides = []
    for name in (a, b):
        opts = options._replace(profile=name)
        values = global_once(effective_values(opts), chart)
        sides.append((values, {e["path"]: e for e in origins(opts, values)}))
    (_, left), (_, right) = sides
    out = []
    for path in list(left) + [p for p in right if p not in left]:
        lv, rv = left.get(path), right.get(path)
        if lv is not None and rv is not None and lv["value"] == rv["value"] \
                and type(lv["value"]) is type(rv["value"]):
            continue
        source = (rv or lv)["source"]
        out.append({"path": path, "a": lv["value"] if lv else None, "b": rv["value"] if rv else None,
                    "inA": lv is not None, "inB": rv is not None, "source": source})
    return out


def format_profile_diff(found: list[dict], a: str, b: str) -> str:
    if not found:
        return f"profiles {a} and {b} give the same values\n"
    lines = [f"--- {a}", f"+++ {b}"]
    for d in found:
        if not d["inA"]:
            lines.append(f"+ {d['path']}: {_scalar(d['b'])}  # {d['source']}")
        elif not d["inB"]:
            lines.append(f"- {d['path']}: {_scalar(d['a'])}")
        else:
            lines.append(f"~ {d['path']}: {_scalar(d['a'])} -> {_scalar(d['b'])}  # {d['source']}")
    return "\n".join(lines) + "\n"
