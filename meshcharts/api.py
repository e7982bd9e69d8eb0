"""The pipeline in one call: load the chart, merge values, enable children, render, sort.

    >>> from meshcharts import render
    >>> manifest = render(profile="demo", set_values=["global.hub=registry.local/istio"])
    >>> manifest.text            # exactly what ``meshcharts render`` prints
    >>> [(d.kind, d.name) for d in manifest.documents]
"""
from __future__ import annotations

import functools
import re
from collections import namedtuple
from pathlib import Path

from .budget import budgeted
from .bundle import ChartSource, copy_hint, resolve
from .cache import DiskCache
from .loader import Chart, load_chart
from .errors import ChartError, MeshchartsError, TemplateError, ValuesError
from .golang import semver_compare
from .manifest import Manifest, build_manifest, check_yaml, show_only
from .origin import Origins, dotted
from .values import Values, copy_values, enabled_tree, plain_values
from .yamlio import inert

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, Mapping

DEFAULT_KUBE_VERSION = "v1.36.0"
# Group/versions `helm template` reports without a cluster (client-go's known set).
DEFAULT_API_VERSIONS = (
    "v1", "admissionregistration.k8s.io/v1", "admissionregistration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1", "apiregistration.k8s.io/v1",
    "apiregistration.k8s.io/v1beta1", "apps/v1", "apps/v1beta1", "apps/v1beta2",
    "authentication.k8s.io/v1", "authentication.k8s.io/v1beta1", "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1", "autoscaling/v1", "autoscaling/v2", "batch/v1", "batch/v1beta1",
    "certificates.k8s.io/v1", "certificates.k8s.io/v1beta1", "coordination.k8s.io/v1",
    "coordination.k8s.io/v1beta1", "discovery.k8s.io/v1", "events.k8s.io/v1", "events.k8s.io/v1beta1",
    "extensions/v1beta1", "flowcontrol.apiserver.k8s.io/v1", "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1", "node.k8s.io/v1", "node.k8s.io/v1beta1", "policy/v1",
    "policy/v1beta1", "rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1beta1",
    "resource.k8s.io/v1", "scheduling.k8s.io/v1", "scheduling.k8s.io/v1beta1",
    "storage.k8s.io/v1", "storage.k8s.io/v1beta1",
)


# Helm's rule for release names (a DNS subdomain of at most 53 characters) and Kubernetes' for
# namespaces (a DNS label): both are printed unquoted into every object.
RELEASE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


_OPTION_FIELDS = {  # name: default
    "chart": None,                  # a bundled chart's name or a chart directory; None: the mesh
    "profile": "default",
    "values_files": (),
    "set_values": (),
    "set_string_values": (),
    "set_file_values": (),
    "name": "istio",
    "namespace": "istio-system",
    "kube_version": DEFAULT_KUBE_VERSION,
    "api_versions": (),
    "show_only": (),
    "registry": None,               # HOST[:PORT][/PREFIX]: move every image there
    "check_registry": None,         # fail unless all images and pull secrets fit it
    "no_hooks": False,              # leave out every hook document
    "skip_hooks": (),               # leave out hooks of these events only
    "skip_crds": False,             # leave out every CustomResourceDefinition
    "include_crds": False,          # add the charts' crds/ files first, as Helm does
    "time_limit": None,             # seconds a render may take (None: $MESHCHARTS_TIME_LIMIT or 60; 0: no limit)
    "output_limit": None,           # characters templates may build (None: $MESHCHARTS_MAX_OUTPUT or 256 MiB)
    "values": None,                 # a mapping of values: after the -f files, before --set
}


if TYPE_CHECKING:  # the same fields, spelled out for type checkers
    from typing import NamedTuple

    class _Options(NamedTuple):
        chart: str | Path | None = None
        profile: str = "default"
        values_files: Iterable[str | Path] | str | Path = ()
        set_values: Iterable[str] | str = ()
        set_string_values: Iterable[str] | str = ()
        set_file_values: Iterable[str] | str = ()
        name: str = "istio"
        namespace: str = "istio-system"
        kube_version: str = DEFAULT_KUBE_VERSION
        api_versions: Iterable[str] | str = ()
        show_only: Iterable[str] | str = ()
        registry: str | None = None
        check_registry: str | None = None
        no_hooks: bool = False
        skip_hooks: Iterable[str] | str = ()
        skip_crds: bool = False
        include_crds: bool = False
        time_limit: float | None = None
        output_limit: int | None = None
        values: Mapping[str, Any] | None = None
else:
    _Options = namedtuple("RenderOptions", _OPTION_FIELDS, defaults=_OPTION_FIELDS.values())


# A named tuple rather than a dataclass: importing dataclasses costs a fresh process 5 ms.
class RenderOptions(_Options):
    """Everything a render depends on, as the CLI's flags give it (``chart``: the name of a
    bundled chart or a chart directory, None for the bundled mesh chart; ``registry``: HOST[:PORT][/PREFIX] to move every image to;
    ``check_registry``: fail unless all images and pull secrets fit it). ``options._replace(...)``
    gives a changed copy."""
    __slots__ = ()

    def sets(self) -> list[tuple[str, str]]:
        """The ``--set`` family in Helm's order of application."""
        def each(given: Iterable[str] | str) -> Iterable[str]:
            return (given,) if isinstance(given, str) else given
        return ([("--set", s) for s in each(self.set_values)] + [("--set-string", s) for s in each(self.set_string_values)]
                + [("--set-file", s) for s in each(self.set_file_values)])


_SEQUENCES = {"values_files": (str, Path), "set_values": (str,), "set_string_values": (str,),
              "set_file_values": (str,), "api_versions": (str,), "show_only": (str,), "skip_hooks": (str,)}
_TEXTS = {"profile": False, "name": False, "namespace": False, "kube_version": False, "registry": True,
          "check_registry": True}


def checked(options: RenderOptions) -> RenderOptions:
    """``options`` with every sequence a tuple (a bare ``str`` or ``Path`` is one item, not its
    characters) and ``values`` a plain copy; a value of the wrong type is a TypeError naming
    the parameter."""
    changes: dict[str, Any] = {}
    for field, kinds in _SEQUENCES.items():
        value = getattr(options, field)
        if isinstance(value, (str, Path)):
            value = (value,)
        elif isinstance(value, (bytes, dict)) or not hasattr(value, "__iter__"):
            raise TypeError(f"{field} must be a sequence of {' or '.join(k.__name__ for k in kinds)}, "
                            f"not {type(value).__name__}")
        value = tuple(value)
        for item in value:
            if not isinstance(item, kinds):
                raise TypeError(f"{field} items must be {' or '.join(k.__name__ for k in kinds)}, "
                                f"not {type(item).__name__} ({item!r})")
        changes[field] = value
    for field, optional in _TEXTS.items():
        value = getattr(options, field)
        if not isinstance(value, str) and not (optional and value is None):
            raise TypeError(f"{field} must be a str{' or None' if optional else ''}, not {type(value).__name__}")
    for field, number in (("time_limit", (int, float)), ("output_limit", (int,))):
        value = getattr(options, field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, number)):
            raise TypeError(f"{field} must be a number or None, not {type(value).__name__}")
    if options.chart is not None and not isinstance(options.chart, (str, Path)):
        raise TypeError(f"chart must be a str, a Path or None, not {type(options.chart).__name__}")
    if options.values is not None:
        changes["values"] = plain_values(options.values)
    return options._replace(**changes)


@functools.lru_cache(maxsize=8)
def _load(source: ChartSource) -> Chart:
    return load_chart(source.directory, values_override=source.defaults())


def chart_source(options: RenderOptions) -> ChartSource:
    """Where the chart of ``options`` lives: its directory, defaults and profiles."""
    return resolve(options.chart)


@functools.lru_cache(maxsize=1)
def _engine():
    from .template.engine import Engine  # the template stage: not for `values`, `profiles`, `lint --help`
    return Engine()


def value_origins(options: RenderOptions) -> Origins:
    """The user's value sources in order: the profile, then ``-f`` files, then the ``--set`` family."""
    profile = chart_source(options).profile_path(options.profile)
    files: list[tuple[str | Path, str]] = [profile] if profile else []
    profiles = len(files)
    given = options.values_files
    files += [(f, "(stdin)" if str(f) == "-" else str(f)) for f in ((given,) if isinstance(given, (str, Path)) else given)]
    return Origins(files, options.sets(), profiles, None if options.values is None else dict(options.values))


def check_release(name: str, namespace: str) -> None:
    """Refuse a release name or namespace Helm or Kubernetes would refuse."""
    if len(name) > 53 or not RELEASE_NAME.match(name):
        raise ChartError(f"invalid release name {name!r}: lowercase letters, digits, '-' and '.', starting and "
                         "ending with a letter or digit, at most 53 characters", "--name")
    if len(namespace) > 63 or not NAMESPACE.match(namespace):
        raise ChartError(f"invalid namespace {namespace!r}: lowercase letters, digits and '-', starting and "
                         "ending with a letter or digit, at most 63 characters", "--namespace")


def check_values(options: RenderOptions, tree: Chart, values: Values, origins: Origins) -> list[str]:
    """Helm's schema check of the coalesced values: raises :class:`~meshcharts.errors.ValuesError`
    naming each violation, returns a warning for each user key the schema does not know.
    The bundled chart's defaults and profiles are tested against its schema, so without ``-f``
    or ``--set`` input there is nothing to check (and jsonschema is never imported)."""
    if chart_source(options).bundled and not options.values_files and not options.sets() and not options.values:
        return []
    from .schema import check, has_schema  # only with user values to check
    return check(tree, values, origins) if has_schema(tree) else []


def chart_of(options: RenderOptions) -> Chart:
    """The whole chart (every child, enabled or not)."""
    return _load(chart_source(options))


def load(options: RenderOptions) -> tuple[Chart, Values]:
    """The enabled chart tree and its coalesced values."""
    tree, values, _, _ = _load_values(options)
    return tree, values


def _load_values(options: RenderOptions) -> tuple[Chart, Values, Origins, bool]:
    """The enabled tree, its coalesced values, the user's value sources (their merge done once),
    and whether every user value is inert text (then no template can print one into broken YAML)."""
    chart = chart_of(options)
    origins = value_origins(options)
    user = origins.values()
    user_inert = not (options.values_files or options.sets() or options.values) or inert(user)
    if not user_inert:
        from .guard import refuse_unwritable  # only renders with user text need the guards
        refuse_unwritable(origins)
    tree, values = enabled_tree(chart, user)
    return tree, values, origins, user_inert


def effective_values(options: RenderOptions) -> Values:
    """What templates of the parent chart see as ``Values`` after every merge (a copy of its
    own: the chart's defaults inside are shared between renders)."""
    return copy_values(load(checked(options))[1])


def _capabilities(options: RenderOptions) -> dict:
    from .template.engine import APIVersions, KubeVersion  # the template stage, as in _engine
    try:
        kube = KubeVersion(options.kube_version)
    except ValueError:
        raise ChartError(f"{options.kube_version!r} is not a Kubernetes version (e.g. v1.36.0)", "--kube-version") from None
    return {"KubeVersion": kube, "APIVersions": APIVersions(iter([*DEFAULT_API_VERSIONS, *options.api_versions])),
            "HelmVersion": {"Version": "v4.2.3"}}


def _check_kube_version(chart: Chart, capabilities: dict) -> None:
    constraint = chart.metadata.get("kubeVersion")
    if constraint:
        try:
            fits = semver_compare(str(constraint), capabilities["KubeVersion"].Version)
        except ValueError as e:
            raise ChartError(f"kubeVersion {constraint!r}: {e}", f"{chart.directory}/Chart.yaml") from None
        if not fits:
            raise ChartError(f"chart requires kubeVersion {constraint} which is incompatible with Kubernetes "
                             f"{capabilities['KubeVersion'].Version}", f"{chart.directory}/Chart.yaml")
    for child in chart.children:
        _check_kube_version(child, capabilities)


def render_templates(options: RenderOptions, tree: Chart, values: Values) -> dict[str, str]:
    """Each template's text by full path, for an enabled tree and its coalesced values."""
    capabilities = _capabilities(options)
    _check_kube_version(tree, capabilities)
    release = {"Name": options.name, "Namespace": options.namespace, "Service": "Helm", "Revision": 1,
               "IsInstall": True, "IsUpgrade": False}
    return _engine().render_charts(tree, values, release, capabilities)


def rerender_with(options: RenderOptions):
    """A function rendering ``options`` again with other user values (a map like
    ``Origins.values()``): how the structure check tells a value's text from the chart's own."""
    def rerender(user: Values) -> Manifest:
        tree, values = enabled_tree(chart_of(options), user)
        return build_manifest(render_templates(options, tree, values))
    return rerender


def render_templates_naming_values(options: RenderOptions, tree: Chart, values: Values,
                                   origins: Origins) -> dict[str, str]:
    """:func:`render_templates`; a template that fails names, below its own location, the user's
    values it most likely failed on (a null or a value of the wrong kind)."""
    try:
        return render_templates(options, tree, values)
    except TemplateError as e:
        rejected = rejected_value(e, origins)  # a chart's own check of a value: located at the value
        if rejected is not e:
            raise rejected from None
        if options.values_files or options.sets() or options.values:
            from .guard import culprits
            e.details = [*culprits(e.where, origins, chart_of(options)), *e.details]
        raise


def render_options(options: RenderOptions) -> Manifest:
    """Render with ``options``; raises :class:`~meshcharts.errors.MeshchartsError` on bad input.
    Warnings (keys the chart's schema does not know, numbers where text is meant, ``--set``
    indexes that replace a chart's list, text Helm would read back differently) come back in
    ``manifest.warnings``."""
    options = checked(options)
    check_release(options.name, options.namespace)
    with budgeted(options.time_limit, options.output_limit):
        tree, values, origins, user_inert = _load_values(options)
        warnings = check_values(options, tree, values, origins)
        if options.values_files or options.sets() or options.values:
            from .guard import warnings as guard_warnings  # only renders with user values need the guards
            warnings += [str(p) for p in guard_warnings(origins, chart_of(options), user_inert)]
        try:
            rendered = render_templates_naming_values(options, tree, values, origins)
        except TemplateError as e:
            copy_hint(e, chart_source(options))
            raise
    DiskCache.save_all()
    manifest = build_manifest(rendered)
    # As Helm does. The bundled chart's templates are tested to print valid YAML, so there only a
    # user value a template prints unquoted can break a document; any other chart may break it itself.
    if not user_inert:  # a value no template can print into new structure needs no look
        from .structure import check_structure
        check_structure(manifest, origins, tree, rerender_with(options))
    if not chart_source(options).bundled or not user_inert:
        check_yaml(manifest)
    if options.no_hooks or options.skip_hooks or options.skip_crds or options.include_crds:
        from .selection import select  # only with one of Helm's hook or CRD switches
        manifest = select(manifest, tree, no_hooks=options.no_hooks, skip_hooks=options.skip_hooks,
                          skip_crds=options.skip_crds, include_crds=options.include_crds)
    if options.show_only:
        manifest = show_only(manifest, options.show_only)
    if options.registry is not None or options.check_registry is not None:
        from . import registry  # only with --registry or --check-registry
        manifest = registry.apply(manifest, values, options.registry, options.check_registry)
    manifest.warnings = warnings
    return manifest


def rejected_value(error: MeshchartsError, origins: Origins) -> MeshchartsError:
    """A chart's ``failValue`` check reported where the user set the value (``file:line:column``
    or the ``--set`` argument) and by its key path; any other template error as it is."""
    path = getattr(error, "values_path", None)
    if path is None:
        return error
    # A check may name a key the user left out (a route without `to`): point at the nearest one set.
    where = next((w for w in (origins.where(path[:n]) for n in range(len(path), 0, -1)) if w), None)
    return ValuesError(f"{dotted(path)}: {error.message}", where or error.where)


def render(profile: str = "default", *, values_files: Iterable[str | Path] | str | Path = (),
           values: Mapping[str, Any] | None = None, set_values: Iterable[str] | str = (),
           set_string_values: Iterable[str] | str = (), set_file_values: Iterable[str] | str = (),
           name: str = "istio", namespace: str = "istio-system", chart: str | Path | None = None,
           kube_version: str = DEFAULT_KUBE_VERSION, api_versions: Iterable[str] | str = (),
           show_only: Iterable[str] | str = (), registry: str | None = None,
           check_registry: str | None = None, time_limit: float | None = None,
           output_limit: int | None = None, no_hooks: bool = False, skip_hooks: Iterable[str] = (),
           skip_crds: bool = False, include_crds: bool = False) -> Manifest:
    """Render a release and return its :class:`~meshcharts.manifest.Manifest`.

    ``manifest.text`` is byte for byte what ``meshcharts render`` prints for the same flags;
    ``manifest.documents`` carry ``source``, ``kind``, ``name``, ``namespace``, ``api_version``
    and ``object``. ``values`` is a mapping applied after ``values_files`` and before the
    ``--set`` family (its ints are integers, as from ``--set``; its floats are float64). A bare
    ``str`` or ``Path`` where a sequence is expected is one item.

    Raises:
        MeshchartsError: bad input (a file, value, flag or template), naming where.
        TypeError: an argument of the wrong type, naming the parameter.
    """
    return render_options(RenderOptions(
        chart=chart, profile=profile, values_files=values_files, values=values, set_values=set_values,
        set_string_values=set_string_values, set_file_values=set_file_values, name=name,
        namespace=namespace, kube_version=kube_version, api_versions=api_versions,
        show_only=show_only, registry=registry, check_registry=check_registry, time_limit=time_limit,
        output_limit=output_limit, no_hooks=no_hooks, skip_hooks=skip_hooks, skip_crds=skip_crds,
        include_crds=include_crds))
