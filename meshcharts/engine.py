"""The template engine: Jinja2 in a sandbox, with Helm's names, lookups and shared defines
(Jinja2's one home in meshcharts).

``render_charts`` takes an enabled chart tree and its coalesced values and returns each
template's text by full path (``istio/charts/pilot/templates/deployment.yaml``), the same
name Helm's engine uses for ``# Source:``, ``Template.Name`` and error locations.
"""
from __future__ import annotations

import contextvars
import hashlib
import marshal
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

import jinja2
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import Cycler, Joiner, Namespace

from . import funcs
from .cache import DiskCache, IdentityMemo
from .chart import Chart, chart_fields, glob_match
from .errors import TemplateError
from .funcs import FailRequested, Missing, go_str, go_type
from .values import Values
from .yamlio import to_yaml

MAX_INCLUDE_DEPTH = 100


# What compiled code depends on besides its source and meshcharts' own filters and environment
# (Jinja folds filters over constants at compile time; the cache's salt covers those modules).
_JINJA = f"jinja2 {jinja2.__version__}"


# --- objects templates see -------------------------------------------------------------------

class TemplateObject:
    """Python objects exposed to templates: only the names in ``exposed`` are reachable."""
    exposed: frozenset[str] = frozenset()


class Files(dict, TemplateObject):
    """A chart's non-template files (path → text): ``Get``, ``Glob``, ``AsConfig``, ``AsSecrets``."""
    exposed = frozenset({"Get", "Glob", "AsConfig", "AsSecrets", "Lines"})

    def Get(self, path: str) -> str:  # noqa: N802 - Helm's name
        return self.get(go_str(path).lstrip("./") if go_str(path).startswith("./") else go_str(path), "")

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


class Scope(dict):
    """What a template file sees at its top: Helm's ``.`` (``root`` in meshcharts)."""


# --- Jinja2 environment ----------------------------------------------------------------------

class GoUndefined(jinja2.Undefined, Missing):
    """A missing key: prints empty and is falsy, but reading through it is an error (Helm)."""
    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        raise jinja2.TemplateRuntimeError(f"nil pointer evaluating interface {{}}.{name}")


_JINJA_RUNTIME = (LoopContext, Namespace, Macro, Cycler, Joiner)

# The most characters or items one `*` may build ("x" * n): the one way a short template could
# exhaust memory in a single step.
MAX_REPEAT = 10_000_000


class NotAMap(jinja2.TemplateRuntimeError):
    """A field or index read from a value that is not a map; the value is kept so that the
    error can name the key holding it."""

    def __init__(self, message: str, value: Any):
        super().__init__(message)
        self.value = value


def _check_binop(operator: str, left: Any, right: Any) -> None:
    if operator == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_REPEAT:
                raise jinja2.TemplateRuntimeError(f"'*' would build more than {MAX_REPEAT} characters or items")
    elif (isinstance(left, int) and isinstance(right, int) and right > 64
          and right * max(abs(left), 2).bit_length() > 64 * 1024):
        raise jinja2.TemplateRuntimeError("'**' would build a number of more than 64K bits")


class HelmEnvironment(SandboxedEnvironment):
    """Sandboxed Jinja2 whose dotted lookups are Helm's: map keys, never Python attributes."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        # Jinja's sandbox hands back a silent undefined here; a template should learn at once.
        raise jinja2.exceptions.SecurityError(f"{type(obj).__name__}.{attribute} is a Python internal")

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's signature
        if isinstance(__obj, jinja2.Undefined):
            raise jinja2.TemplateRuntimeError(f"{__obj._undefined_name or 'a missing value'} is not a function")
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict or type(obj) is Scope:  # the common case first: a values map
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        if isinstance(obj, dict) and not isinstance(obj, TemplateObject):
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        if isinstance(obj, TemplateObject):
            if attribute in obj.exposed:
                return getattr(obj, attribute)
            raise jinja2.TemplateRuntimeError(f"can't evaluate field {attribute} in type {type(obj).__name__}")
        if isinstance(obj, jinja2.Undefined):
            raise jinja2.TemplateRuntimeError(f"nil pointer evaluating interface {{}}.{attribute}")
        if isinstance(obj, _JINJA_RUNTIME):
            return super().getattr(obj, attribute)
        raise NotAMap(f"can't evaluate field {attribute} in type {go_type(obj)}", obj)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, dict):
            try:
                return obj[argument]
            except (KeyError, TypeError):
                return self.undefined(obj=obj, name=str(argument))
        if isinstance(obj, (list, tuple, str)) and isinstance(argument, (int, slice)) and not isinstance(argument, bool):
            try:
                return obj[argument]
            except IndexError:
                raise jinja2.TemplateRuntimeError(f"index out of range: {argument}") from None
        if isinstance(obj, jinja2.Undefined):
            raise jinja2.TemplateRuntimeError(f"nil pointer evaluating interface {{}}[{argument!r}]")
        if isinstance(obj, _JINJA_RUNTIME):
            return super().getitem(obj, argument)
        raise NotAMap(f"can't index item of type {go_type(obj)}", obj)


def _finalize(value: Any) -> str:
    return value if type(value) is str else go_str(value)


def make_environment() -> HelmEnvironment:
    env = HelmEnvironment(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                          autoescape=False, undefined=GoUndefined, finalize=_finalize,
                          auto_reload=False, cache_size=0)
    env.filters.update(funcs.FILTERS)
    env.filters["toYaml"] = _to_yaml
    env.globals.update(funcs.FUNCTIONS)
    env.globals["include"] = _include
    env.globals["template"] = _include
    env.globals["tpl"] = _tpl
    # Jinja's `format` is Python's `%`, which prints Python reprs; Helm's printf is the one format.
    env.filters["format"] = funcs.printf
    return env


# --- defines ---------------------------------------------------------------------------------

_DEFINE_OPEN = re.compile(r'\{%([-+]?)\s*define\s+"((?:[^"\\]|\\.)*)"\s*([-+]?)%\}')
_DEFINE_CLOSE = re.compile(r"\{%([-+]?)\s*enddefine\s*([-+]?)%\}")


@dataclass(frozen=True)
class Define:
    name: str
    path: str      # full template path of the file holding it
    line: int      # line of the body's first character in that file
    body: str


def _before_tag(text: str, marker: str) -> str:
    """``text`` as Jinja leaves it before a block tag with ``marker``: ``-`` strips all whitespace,
    none strips the tag's indentation when only that precedes it on its line (lstrip_blocks),
    ``+`` keeps everything."""
    if marker == "-":
        return text.rstrip()
    if marker == "":
        line_start = text.rfind("\n") + 1
        if text[line_start:].strip(" \t") == "":
            return text[:line_start]
    return text


def split_defines(text: str, path: str) -> tuple[str, list[Define]]:
    """Cut ``{% define "x" %}...{% enddefine %}`` blocks out of a template, applying the same
    whitespace rules as Jinja's block tags (trim_blocks, lstrip_blocks, ``-`` markers).
    Returns the remaining text (defines replaced by line-preserving comments) and the defines."""
    if "define" not in text:
        return text, []
    out: list[str] = []
    defines: list[Define] = []
    pos = 0
    while True:
        m = _DEFINE_OPEN.search(text, pos)
        if not m:
            out.append(text[pos:])
            break
        out.append(_before_tag(text[pos:m.start()], m.group(1)))
        close = _DEFINE_CLOSE.search(text, m.end())
        if not close:
            line = text.count("\n", 0, m.start()) + 1
            raise TemplateError(f'define "{m.group(2)}" has no matching enddefine', f"{path}:{line}")
        body_start = m.end()
        body = text[body_start:close.start()]
        if m.group(3) == "-":
            stripped = body.lstrip()
            body_start += len(body) - len(stripped)
            body = stripped
        elif m.group(3) == "+":
            pass
        elif body.startswith("\n"):
            body, body_start = body[1:], body_start + 1
        elif body.startswith("\r\n"):
            body, body_start = body[2:], body_start + 2
        body = _before_tag(body, close.group(1))
        line = text.count("\n", 0, body_start) + 1
        name = m.group(2).encode().decode("unicode_escape") if "\\" in m.group(2) else m.group(2)
        defines.append(Define(name, path, line, body))
        pos = close.end()
        if close.group(2) == "-":
            rest = text[pos:]
            pos += len(rest) - len(rest.lstrip())
        elif close.group(2) == "" and text.startswith("\n", pos):
            pos += 1
        # Keep line numbers of what follows: a comment holding the removed lines prints nothing.
        removed = text.count("\n", m.start(), pos)
        if removed:
            out.append("{#" + "\n" * removed + "+#}")
    return "".join(out), defines


# --- rendering -------------------------------------------------------------------------------

@dataclass
class _RenderState:
    engine: "Engine"
    defines: dict[str, Define]
    depth: int = 0
    # include results by (name, id(arg)), holding arg so its id stays unique: templates cannot
    # change a file's `root` or reach anything outside it, so a define given it renders the same.
    included: dict[tuple[str, int], tuple[Any, str]] = field(default_factory=dict)
    # toYaml of maps and lists by identity, on the same grounds: a gateway's labels print four times.
    yaml_of: dict[int, tuple[Any, str]] = field(default_factory=dict)


_STATE: contextvars.ContextVar[_RenderState] = contextvars.ContextVar("meshcharts_render_state")


def _define_context(arg: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = dict(arg) if isinstance(arg, Scope) else {}
    ctx["dot"] = arg
    ctx["root"] = arg
    return ctx


def _run(template: jinja2.Template, variables: dict[str, Any]) -> str:
    """``template.render`` without copying the environment's globals into a new dict on every
    call: ``variables`` are laid over one prepared copy and shared as the context's parent."""
    state = _STATE.get()
    parent = dict(state.engine.globals)
    parent.update(variables)
    try:
        return "".join(template.root_render_func(template.new_context(parent, shared=True)))
    except Exception:
        template.environment.handle_exception()  # re-raises with template file:line frames
        raise


def _to_yaml(value: Any) -> str:
    if type(value) not in (dict, list):
        return funcs.to_yaml_filter(value)
    memo = _STATE.get().yaml_of
    hit = memo.get(id(value))
    if hit is not None and hit[0] is value:
        return hit[1]
    text = funcs.to_yaml_filter(value)
    memo[id(value)] = (value, text)
    return text


def _include(name: Any, arg: Any = None) -> str:
    state = _STATE.get()
    name = go_str(name)
    define = state.defines.get(name)
    if define is None:
        raise jinja2.TemplateRuntimeError(f'no template "{name}" (no define of that name in the chart)')
    if state.depth >= MAX_INCLUDE_DEPTH:
        raise jinja2.TemplateRuntimeError(
            f'include "{name}" nested more than {MAX_INCLUDE_DEPTH} deep (runaway recursion?)')
    memo_key = (name, id(arg))
    # Only a file's `root` and plain scalars stay as they are; other arguments may be Jinja objects
    # that change between two calls (a namespace, a loop) or containers a template built around them.
    remembered = type(arg) is Scope or arg is None or type(arg) in (str, int, float, bool)
    if remembered:
        hit = state.included.get(memo_key)
        if hit is not None and hit[0] is arg:
            return hit[1]
    template = state.engine.compile(define.body, define.path, define.line)
    state.depth += 1
    try:
        text = _run(template, _define_context(arg))
    finally:
        state.depth -= 1
    if remembered:
        state.included[memo_key] = (arg, text)
    return text


def _tpl(text: Any, arg: Any = None) -> str:
    state = _STATE.get()
    where = arg["Template"]["Name"] if isinstance(arg, Scope) else "tpl"
    source, defines = split_defines(go_str(text), where)
    # Defines made inside tpl text serve that text only, as in Helm (which renders it in a clone).
    saved = {d.name: state.defines.get(d.name) for d in defines}
    for d in defines:
        state.defines[d.name] = d
    if defines:
        state.included.clear()
    try:
        template = state.engine.compile(source, f"{where} (tpl)", 1)
        return _run(template, _define_context(arg))
    finally:
        for name, old in saved.items():
            if old is None:
                state.defines.pop(name, None)
            else:
                state.defines[name] = old
        if defines:
            state.included.clear()


class Engine:
    """Compiles templates once (per process, and across processes through the on-disk cache)
    and renders chart trees."""

    def __init__(self, persistent: bool = True) -> None:
        self.env = make_environment()
        self.globals = dict(self.env.globals)
        self._disk = DiskCache.named("templates") if persistent else None
        self._compiled: dict[tuple[str, int, str], jinja2.Template] = {}
        self._split: dict[tuple[str, str], tuple[str, list[Define]]] = {}
        self._template_files: set[str] = set()

    def compile(self, source: str, path: str, first_line: int = 1) -> jinja2.Template:
        key = (path, first_line, source)
        template = self._compiled.get(key)
        if template is None:
            disk_key = hashlib.sha1(f"{_JINJA}\0{path}\0{first_line}\0{source}".encode()).hexdigest()
            blob = self._disk.get(disk_key) if self._disk is not None else None
            code = marshal.loads(blob) if blob is not None else None  # only the templates used
            if code is None:
                text = ("{#" + "\n" * (first_line - 1) + "+#}" + source) if first_line > 1 else source
                try:
                    code = self.env.compile(text, name=path, filename=path)
                except jinja2.TemplateSyntaxError as e:
                    raise TemplateError(f"template syntax error: {e.message}", f"{path}:{e.lineno}") from None
                if self._disk is not None:
                    self._disk.put(disk_key, marshal.dumps(code))
            template = self.env.template_class.from_code(self.env, code, self.globals, None)
            self._compiled[key] = template
            self._template_files.add(path)
        return template

    def render_charts(self, root: Chart, values: Values, release: dict, capabilities: dict) -> dict[str, str]:
        """Render every template of ``root`` and its (already enabled) children."""
        units = list(_walk(root, values, "", release, capabilities))
        defines: dict[str, tuple[tuple[int, str], Define]] = {}
        bodies: list[tuple[str, str, Scope]] = []
        for path, text, scope in units:
            key = (path, text)
            split = self._split.get(key)
            if split is None:
                split = self._split[key] = split_defines(text, path)
            rest, found = split
            rank = (path.count("/"), path)
            for d in found:  # the shallowest path wins, then the alphabetically first
                if d.name not in defines or rank < defines[d.name][0]:
                    defines[d.name] = (rank, d)
            base = path.rsplit("/", 1)[-1]
            if not base.startswith("_") and not path.endswith("NOTES.txt"):
                bodies.append((path, rest, scope))
        state = _RenderState(self, {n: d for n, (_, d) in defines.items()})
        token = _STATE.set(state)
        try:
            out: dict[str, str] = {}
            for path, text, scope in bodies:
                template = self.compile(text, path)
                try:
                    out[path] = _run(template, scope)
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
        import traceback

        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename in self._template_files]
        where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else path
        chain = [f"  included from {f.filename}:{f.lineno}" for f in reversed(frames[:-1])]
        if isinstance(error, FailRequested):
            message = str(error)
        elif isinstance(error, RecursionError):
            message = "template recursion too deep (an include that calls itself?)"
        elif isinstance(error, jinja2.UndefinedError):
            message = f"{error.message}" if error.message else "undefined value"
        elif isinstance(error, jinja2.exceptions.SecurityError):
            message = f"not allowed in a template: {error}"
        elif isinstance(error, (jinja2.TemplateError, TemplateError)):
            message = getattr(error, "message", None) or str(error)
            if isinstance(error, NotAMap) and scope is not None:
                message += _holder(error.value, scope["Values"], path)
        else:
            message = f"{type(error).__name__}: {error}"
        return TemplateError(message, where, chain)


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
    from .origin import dotted
    from .yamlio import type_name
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
