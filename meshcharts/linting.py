"""``meshcharts lint``: everything wrong with a set of values at once, each finding located.

- schema violations (all of them; a render stops at the first report);
- keys the chart's schema does not know (a render only warns about them);
- values from ``-f`` files and ``--set`` flags that no template reads: typos inside maps that
  take any key, keys of a disabled child chart, keys a chart no longer uses. They are found by
  rendering once with maps that note every key a template looks up or walks through, so only
  the lint run pays for the bookkeeping. Profile keys are the chart's, not the user's, and are
  not reported.
"""
from __future__ import annotations


from . import api
from .errors import MeshchartsError, TemplateError
from .loader import Chart
from .manifest import build_manifest, check_yaml
from .origin import KeyPath, Origins, dotted
from .schema import Problem, has_schema, unknown_keys, violations
from .values import Values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Iterable, Iterator, Mapping


def lint(profile: str = "default", *, values_files: Iterable[str | Path] | str | Path = (),
         values: Mapping[str, Any] | None = None, set_values: Iterable[str] | str = (),
         set_string_values: Iterable[str] | str = (), set_file_values: Iterable[str] | str = (),
         name: str = "istio", namespace: str = "istio-system", chart: str | Path | None = None,
         kube_version: str = api.DEFAULT_KUBE_VERSION, api_versions: Iterable[str] | str = ()) -> list[Problem]:
    """What ``meshcharts lint`` reports for these values, as data: one :class:`Finding` each
    (``path``: the key path, ``message``, ``where``: ``file:line:column`` or the ``--set``
    argument, None for a chart default; ``str(finding)`` is the line ``lint`` prints). An empty
    list means no problems.

    Raises:
        MeshchartsError: input that cannot be read at all (a missing file, a broken ``--set``).
        TypeError: an argument of the wrong type, naming the parameter.
    """
    return lint_options(api.RenderOptions(
        chart=chart, profile=profile, values_files=values_files, values=values, set_values=set_values,
        set_string_values=set_string_values, set_file_values=set_file_values, name=name,
        namespace=namespace, kube_version=kube_version, api_versions=api_versions))


Finding = Problem  # the name the Python API gives a lint finding


def lint_options(options: Any, validation_warnings: list[Any] | None = None) -> list[Problem]:
    """The findings for ``options`` (a :class:`~meshcharts.api.RenderOptions`), in the order
    above, each a :class:`~meshcharts.schema.Problem` (``path``, ``message``, ``where``); when
    there are none, the errors ``meshcharts validate`` finds in the manifest (its warnings go to
    ``validation_warnings`` when given). Inputs that cannot be read at all (a missing file, a
    broken ``--set``) still raise."""
    found = _value_findings(options)
    if found:
        return found
    from .validate import validate_options  # values that render: is the manifest one the cluster takes?
    report = validate_options(options)
    if validation_warnings is not None:
        validation_warnings.extend(report.warnings)
    return [Problem((), f"{f.object_label()}: {f.path + ': ' if f.path else ''}{f.message}", f.where())
            for f in report.errors]


def _value_findings(options: Any) -> list[Problem]:
    from .guard import culprits, warnings  # only lint and renders with user values need the guards

    options = api.checked(options)
    api.check_release(options.name, options.namespace)
    tree, values = api.load(options)
    origins = api.value_origins(options)
    found: list[Problem] = []
    unknown: list[Problem] = []
    if has_schema(tree):
        found += violations(tree, values, origins)
        unknown = unknown_keys(tree, values, origins)
        found += unknown
    found += warnings(origins, api.chart_of(options))
    seen: set[KeyPath] = set()
    try:
        # the structure check is needed only when values are checked, not by --help
        from .budget import budgeted
        from .structure import check_structure
        with budgeted(options.time_limit, options.output_limit):
            rendered = api.render_templates(options, tree, _recording(values, tree, (), seen))
        manifest = build_manifest(rendered)
        check_structure(manifest, origins, tree, api.rerender_with(options))
        check_yaml(manifest)
    except MeshchartsError as e:  # what a render would stop with; what it had read so far is incomplete
        rejected = api.rejected_value(e, origins)
        if rejected is not e:  # a chart's own check of a value: located at the value
            return found + [Problem((), rejected.message, rejected.where)]
        named = culprits(e.where, origins, api.chart_of(options)) if isinstance(e, TemplateError) else []
        details = [*named, *e.details]
        return found + [Problem((), "\n".join([e.message, *details]), e.where)]
    found += _unread(origins, api.chart_of(options), tree, seen, [p.path for p in unknown])
    return found


# --- values no template reads ----------------------------------------------------------------

class _Recording(dict):
    """A values map noting each key a template looks up, tests or walks through."""
    __slots__ = ("path", "seen")
    path: KeyPath
    seen: set[KeyPath]

    def _note(self, key: Any) -> None:
        self.seen.add(self.path + (key,))

    def _note_all(self) -> None:
        self.seen.update(self.path + (k,) for k in dict.keys(self))

    def __getitem__(self, key: Any) -> Any:
        self._note(key)
        return dict.__getitem__(self, key)

    def get(self, key: Any, default: Any = None) -> Any:
        self._note(key)
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        self._note(key)
        return dict.__contains__(self, key)

    def __iter__(self) -> Iterator[Any]:
        self._note_all()
        return dict.__iter__(self)

    def keys(self) -> Any:
        self._note_all()
        return dict.keys(self)

    def values(self) -> Any:
        self._note_all()
        return dict.values(self)

    def items(self) -> Any:
        self._note_all()
        return dict.items(self)


def _recording(values: Values, chart: Chart, path: KeyPath, seen: set[KeyPath]) -> _Recording:
    """``values`` as recording maps; a child's section is named by the child's key, and a
    child's copy of ``global`` by the parent's ``global`` (that is the key the user sets)."""
    children = {c.name: c for c in chart.children}
    out = _Recording()
    out.path, out.seen = path, seen
    for key, value in values.items():
        if key in children and isinstance(value, dict):
            value = _recording(value, children[key], path + (key,), seen)
        elif isinstance(value, dict):
            value = _plain_recording(value, ("global",) if key == "global" else path + (key,), seen)
        dict.__setitem__(out, key, value)
    return out


def _plain_recording(values: Values, path: KeyPath, seen: set[KeyPath]) -> _Recording:
    out = _Recording()
    out.path, out.seen = path, seen
    for key, value in values.items():
        dict.__setitem__(out, key, _plain_recording(value, path + (key,), seen) if isinstance(value, dict) else value)
    return out


def _leaves(values: Any, path: KeyPath = ()) -> Iterator[KeyPath]:
    """Paths to every value that is not a non-empty map (lists count as one value)."""
    if isinstance(values, dict) and values:
        for key, value in values.items():
            yield from _leaves(value, path + (key,))
    elif path:
        yield path


def _conditions(chart: Chart, prefix: KeyPath = ()) -> Iterator[KeyPath]:
    """Keys the loader reads to enable children: ``condition`` paths and ``tags``."""
    for dep in chart.dependencies:
        for condition in (dep.condition or "").split(","):
            if condition.strip():
                yield prefix + tuple(condition.strip().split("."))
        for tag in dep.tags:
            yield ("tags", tag)
    for child in chart.children:
        yield from _conditions(child, prefix + (child.name,))


def _unread(origins: Origins, whole: Chart, enabled: Chart, seen: set[KeyPath],
            reported: list[KeyPath]) -> list[Problem]:
    read = seen | set(_conditions(whole))
    disabled = _disabled(whole, enabled, ())
    found = []
    for path in _leaves(origins.values(with_profiles=False)):
        if path in read or any(path[:len(r)] == r for r in reported):
            continue
        off = next((d for d in disabled if path[:len(d)] == d), None)
        why = f" (chart {dotted(off)} is disabled)" if off else ""
        found.append(Problem(path, f"no template reads this value{why}", origins.where(path)))
    return found


def _disabled(whole: Chart, enabled: Chart, prefix: KeyPath) -> list[KeyPath]:
    kept = {c.name: c for c in enabled.children}
    out = []
    for child in whole.children:
        if child.name in kept:
            out += _disabled(child, kept[child.name], prefix + (child.name,))
        else:
            out.append(prefix + (child.name,))
    return out
