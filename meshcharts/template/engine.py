"""The template engine: compiled templates on meshcharts' runtime, with Helm's names, lookups
and shared defines.

``render_charts`` takes an enabled chart tree and its coalesced values and returns each
template's text by full path (``istio/charts/pilot/templates/deployment.yaml``), the same
name Helm's engine uses for ``# Source:``, ``Template.Name`` and error locations. Templates are
compiled by :mod:`.compiler` (imported only when a template is not in the cache) against the
one filter table the engine builds (:mod:`.filters`).
"""
from __future__ import annotations

import contextvars
from collections import namedtuple
import marshal
import re

from . import bounds, funcs, runtime
from ..budget import BudgetError, spend
from .filters import Table
from ..cache import DiskCache, IdentityMemo, digest
from ..errors import TemplateError
from ..golang import glob_match, go_str, type_name
from ..loader import Chart, chart_fields
from ..origin import dotted
from .funcs import FailRequested
from .runtime import NotAMap, Scope, TemplateObject
from ..values import Values
from ..yamlio import to_yaml

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator

MAX_INCLUDE_DEPTH = 100


# --- objects templates see -------------------------------------------------------------------

class Files(dict, TemplateObject):
    """A chart's non-template files (path → text): ``Get``, ``Glob``, ``AsConfig``, ``AsSecrets``."""
    exposed = frozenset({"Get", "Glob", "AsConfig", "AsSecrets", "Lines"})

    def Get(self, path: str) -> str:  # noqa: N802 - Helm's name
        name = go_str(path)
        while name.startswith("./"):  # the prefix only: "./.env" is the file ".env"
            name = name[2:]
        return self.get(name, "")

    # A chart's files never change during a process, so globs and their YAML are computed once.
    def Glob(self, pattern: str) -> "Files":  # noqa: N802
        pat = go_str(pattern)
        memo = self.__dict__.setdefault("_globs", {})
        if pat not in memo:
            try:
                memo[pat] = Files((p, t) for p, t in sorted(self.items()) if glob_match(pat, p) or _double_star(pat, p))
            except ValueError:  # a pattern that does not compile matches nothing, as in Helm
                memo[pat] = Files()
        return memo[pat]

    def AsConfig(self) -> str:  # noqa: N802
        if "_config" not in self.__dict__:
            self.__dict__["_config"] = to_yaml({p.rsplit("/", 1)[-1]: t for p, t in sorted(self.items())}) if self else ""
        return self.__dict__["_config"]

    def AsSecrets(self) -> str:  # noqa: N802
        return to_yaml({p.rsplit("/", 1)[-1]: funcs.b64enc(t) for p, t in sorted(self.items())}) if self else ""

    def Lines(self, path: str) -> list[str]:  # noqa: N802
        return self.Get(path).split("\n")


def _double_star(pattern: str, path: str) -> bool:
    if "**" not in pattern:
        return False
    regex = re.escape(pattern).replace(r"\*\*", ".*").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
    return re.fullmatch(regex, path) is not None


class KubeVersion(TemplateObject):
    exposed = frozenset({"Version", "Major", "Minor", "GitVersion"})

    def __init__(self, version: str):
        m = re.match(r"^v?(\d+)\.(\d+)(?:\.(\d+))?", version)
        if not m:
            raise ValueError(version)
        self.Version = self.GitVersion = f"v{m.group(1)}.{m.group(2)}.{m.group(3) or 0}"
        self.Major, self.Minor = m.group(1), m.group(2)

    def __str__(self) -> str:
        return self.Version


class APIVersions(TemplateObject):
    exposed = frozenset({"Has"})

    def __init__(self, versions: Iterator[str]):
        self.versions = frozenset(versions)

    def Has(self, version: str) -> bool:  # noqa: N802
        return go_str(version) in self.versions

    def __str__(self) -> str:
        return "[" + " ".join(sorted(self.versions)) + "]"


# --- defines ---------------------------------------------------------------------------------

# name; path: full template path of the file holding it; render: its body's function
# (variables → text), compiled with that file.
Define = namedtuple("Define", "name path render")


# A compiled template: root renders the file's own text, defines are Define records.
Compiled = namedtuple("Compiled", "root defines")


# --- rendering -------------------------------------------------------------------------------

class _RenderState:
    def __init__(self, engine: "Engine", defines: dict[str, Define]):
        self.engine = engine
        self.defines = defines
        self.depth = 0
        # include results by (name, id(arg)), holding arg so its id stays unique: templates cannot
        # change a file's `root` or reach anything outside it, so a define given it renders the same.
        self.included: dict[tuple[str, int], tuple[Any, str]] = {}
        # toYaml and entries of maps and lists by identity, on the same grounds: a gateway's labels
        # print four times.
        self.printed = IdentityMemo(lambda value, function: function(value), 1 << 20)


_STATE: contextvars.ContextVar[_RenderState] = contextvars.ContextVar("meshcharts_render_state")


def _define_context(arg: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = dict(arg) if isinstance(arg, Scope) else {}
    ctx["dot"] = arg
    ctx["root"] = arg
    return ctx


def _printed_once(name: str, function: Any) -> Any:
    """``function`` (value → text) remembered per render for each map or list."""
    def printed(value: Any) -> str:
        if type(value) not in (dict, list):
            return function(value)
        return _STATE.get().printed(value, function)
    printed.__name__ = printed.__qualname__ = name
    return printed


# Long text indented, by identity: a chart's files (Files.Get, AsConfig) are the same string
# objects in every render, and the mesh's dashboards alone are 265 KB.
def _indent_text(text: Any, width: Any, newline: bool) -> str:
    return (funcs.nindent if newline else funcs.indent)(text, width)


_INDENTED = IdentityMemo(_indent_text, 64)


def _indented(text: Any, width: Any, newline: bool) -> str:
    if type(text) is not str or len(text) < 4096 or type(width) is not int:
        return _indent_text(text, width, newline)
    return _INDENTED(text, width, newline)


def _indent(text: Any, width: Any) -> str:
    return _indented(text, width, False)


def _nindent(text: Any, width: Any) -> str:
    return _indented(text, width, True)


_indent.__qualname__, _nindent.__qualname__ = "indent", "nindent"  # as errors name them


def _include(name: Any, arg: Any = None) -> str:
    state = _STATE.get()
    name = go_str(name)
    define = state.defines.get(name)
    if define is None:
        raise runtime.TemplateRuntimeError(f'no template "{name}" (no define of that name in the chart)')
    if state.depth >= MAX_INCLUDE_DEPTH:
        raise runtime.TemplateRuntimeError(
            f'include "{name}" nested more than {MAX_INCLUDE_DEPTH} deep (runaway recursion?)')
    memo_key = (name, id(arg))
    # Only a file's `root` and plain scalars stay as they are; other arguments may be Jinja objects
    # that change between two calls (a namespace, a loop) or containers a template built around them.
    remembered = type(arg) is Scope or arg is None or type(arg) in (str, int, float, bool)
    if remembered:
        hit = state.included.get(memo_key)
        if hit is not None and hit[0] is arg:
            return hit[1]
    state.depth += 1
    try:
        text = define.render(_define_context(arg))
    finally:
        state.depth -= 1
    spend(len(text))  # an exponential fan-out of includes stops at the output budget
    if remembered:
        state.included[memo_key] = (arg, text)
    return text


def _tpl(text: Any, arg: Any = None) -> str:
    state = _STATE.get()
    where = arg["Template"]["Name"] if isinstance(arg, Scope) else "tpl"
    compiled = state.engine.compile(go_str(text), f"{where} (tpl)")
    # Defines made inside tpl text serve that text only, as in Helm (which renders it in a clone).
    saved = {d.name: state.defines.get(d.name) for d in compiled.defines}
    for d in compiled.defines:
        state.defines[d.name] = d
    if compiled.defines:
        state.included.clear()
    try:
        text = compiled.root(_define_context(arg))
        spend(len(text))
        return text
    finally:
        for name, old in saved.items():
            if old is None:
                state.defines.pop(name, None)
            else:
                state.defines[name] = old
        if compiled.defines:
            state.included.clear()


class Engine:
    """Compiles templates once (per process, and across processes through the on-disk cache)
    and renders chart trees."""

    def __init__(self, persistent: bool = True) -> None:
        self._disk = DiskCache.named("templates") if persistent else None
        self._compiled: dict[tuple[str, int, str], Compiled] = {}
        self._template_files: set[str] = set()
        # The one table of filters and tests, built here and handed to the compiler and to
        # compiled code; and what a template reads besides its own variables.
        # Jinja's own center, wordwrap, slice and lipsum, bounded (the table's names for them are
        # the bounded ones, so these reach Jinja's through an environment without the table).
        bounded_filters, lipsum = bounds.bounded_builtins(lambda name: self.table.jinja.own_filter(name),
                                                          lambda name: self.table.jinja.global_function(name))
        self.table = Table({**funcs.FILTERS, **bounded_filters,
                            "toYaml": _printed_once("toYaml", funcs.to_yaml_filter),
                            "entries": _printed_once("entries", funcs.entries), "format": funcs.printf,
                            "indent": _indent, "nindent": _nindent})
        self.globals: dict[str, Any] = {**runtime.GLOBALS, "lipsum": lipsum,
                                        **funcs.FUNCTIONS, "include": _include, "template": _include, "tpl": _tpl}
        self._namespace: dict[str, Any] = {**_RUNTIME_NAMES, "resolve": self._resolve,
                                           "filt": self.table.filter, "test": self.table.test}

    def _resolve(self, variables: dict[str, Any], name: str) -> Any:
        """A name a template reads: its own variables first, then the engine's functions."""
        try:
            return variables[name]
        except KeyError:
            pass
        try:
            return self.globals[name]
        except KeyError:
            return runtime.Undefined(name)

    def compile(self, source: str, path: str, first_line: int = 1) -> Compiled:
        """The template's text and defines as functions ``function(variables) -> text``."""
        key = (path, first_line, source)
        compiled = self._compiled.get(key)
        if compiled is None:
            disk_key = digest(f"{path}\0{first_line}\0{source}".encode("utf-8", "surrogatepass"))
            blob = self._disk.get(disk_key) if self._disk is not None else None
            code = marshal.loads(blob) if blob is not None else None  # only the templates used
            if code is None:
                from .compiler import compile_template  # imports Jinja2: only for templates not in the cache
                code = compile_template(source, path, self.table, first_line)
                if self._disk is not None:
                    self._disk.put(disk_key, marshal.dumps(code))
            namespace = dict(self._namespace)
            exec(code, namespace)  # defines root() and DEFINES; the code is the compiler's, from the template
            compiled = self._compiled[key] = Compiled(
                namespace["root"], tuple(Define(name, path, render) for name, render in namespace["DEFINES"]))
            self._template_files.add(path)
        return compiled

    def render_charts(self, root: Chart, values: Values, release: dict, capabilities: dict) -> dict[str, str]:
        """Render every template of ``root`` and its (already enabled) children."""
        units = list(_walk(root, values, "", release, capabilities))
        defines: dict[str, tuple[tuple[int, str], Define]] = {}
        bodies: list[tuple[str, Compiled, Scope]] = []
        for path, text, scope in units:
            base = path.rsplit("/", 1)[-1]
            printed = not base.startswith("_") and not path.endswith("NOTES.txt")
            if not printed and "define" not in text:  # nothing in it serves the render
                continue
            compiled = self.compile(text, path)
            rank = (path.count("/"), path)
            for d in compiled.defines:  # the shallowest path wins, then the alphabetically first
                if d.name not in defines or rank < defines[d.name][0]:
                    defines[d.name] = (rank, d)
            if printed:
                bodies.append((path, compiled, scope))
        state = _RenderState(self, {n: d for n, (_, d) in defines.items()})
        token = _STATE.set(state)
        try:
            out: dict[str, str] = {}
            for path, compiled, scope in bodies:
                try:
                    out[path] = compiled.root(scope)
                    spend(len(out[path]))
                except TemplateError as e:
                    if e.where:  # already located (a syntax error in an included define)
                        raise
                    raise self._located(e, path) from None  # raised by a function: locate its caller
                except Exception as e:  # any failure inside a template becomes one located message
                    raise self._located(e, path, scope) from None
            return out
        finally:
            _STATE.reset(token)

    def _located(self, error: Exception, path: str, scope: Scope | None = None) -> TemplateError:
        import traceback  # 8 ms, only when a template fails

        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename in self._template_files]
        where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else path
        chain = [f"  included from {f.filename}:{f.lineno}" for f in reversed(frames[:-1])]
        if isinstance(error, FailRequested):
            message = str(error)
        elif isinstance(error, RecursionError):
            message = "template recursion too deep (an include that calls itself?)"
        elif isinstance(error, runtime.SecurityError):
            message = f"not allowed in a template: {error.message}"
        elif isinstance(error, (runtime.TemplateRuntimeError, TemplateError, BudgetError)):
            message = getattr(error, "message", None) or str(error)
            if isinstance(error, NotAMap) and scope is not None:
                message += _holder(error.value, scope["Values"], path)
        else:
            message = f"{type(error).__name__}: {error}"
        located = TemplateError(message, where, chain)
        if isinstance(error, funcs.ValueRejected):
            # A child chart's values are its parent's section: name the key the user sets.
            located.values_path = tuple(re.findall(r"/charts/([^/]+)", path)) + error.path
        return located


def _holder(value: Any, values: Values, path: str) -> str:
    """`` (pilot.resources is a string ('x'), not a map)``: the user's key holding ``value`` in
    the values of the template at ``path``, when exactly one key holds that very object."""
    found: list[tuple[Any, ...]] = []

    def search(node: Any, at: tuple[Any, ...]) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, sub in items:
            if sub is value:
                found.append(at + (key,))
            elif isinstance(sub, (dict, list)) and len(at) < 50:
                search(sub, at + (key,))

    search(values, ())
    if len(found) != 1:
        return ""
    key = found[0] if found[0][:1] == ("global",) else tuple(re.findall(r"/charts/([^/]+)", path)) + found[0]
    shown = f" ({go_str(value)[:40]!r})" if isinstance(value, str) else ""
    return f" ({dotted(key)} is {type_name(value)}{shown}, not a map)"


_FILES = IdentityMemo(Files, 256)


def _files_of(chart: Chart) -> Files:
    """One :class:`Files` per loaded chart (its globs are memoised on it)."""
    return _FILES(chart.files)


def _walk(chart: Chart, values: Values, parent_path: str, release: dict,
          capabilities: dict) -> Iterator[tuple[str, str, Scope]]:
    chart_path = chart.template_path(parent_path)
    files = _files_of(chart)
    chart_info = chart_fields(chart.metadata, is_root=not parent_path)
    if chart.name != chart.metadata.get("name"):
        chart_info["Name"] = chart.name
    for rel, text in chart.templates:
        path = f"{chart_path}/{rel}"
        scope = Scope(Values=values, Release=release, Chart=chart_info, Capabilities=capabilities,
                      Files=files, Template={"Name": path, "BasePath": f"{chart_path}/templates"})
        scope["root"] = scope
        yield path, text, scope
    for child in chart.children:
        yield from _walk(child, values.get(child.name) or {}, chart_path, release, capabilities)


# The runtime's names compiled code calls (with the engine's resolve, filt and test).
_RUNTIME_NAMES: dict[str, Any] = {
    "ga": runtime.getattr_, "gi": runtime.getitem, "fin": runtime.finalize,
    "cc": runtime.concat, "mul": runtime.multiply, "md": bounds.modulo, "pw": runtime.power, "cl": runtime.callable_,
    "nsset": runtime.set_attribute, "U": runtime.Undefined, "NOT_PASSED": runtime.NOT_PASSED,
    "Loop": runtime.LoopContext, "Macro": runtime.Macro,
}
