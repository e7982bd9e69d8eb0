"""What compiled templates run on: Helm's lookups, the missing value, loops, macros, Jinja's
helper objects and the Jinja built-in filters and tests templates use most, done natively.

:mod:`.compiler` turns a template into Python code that calls only what is here, the functions
of :mod:`.funcs` and the table of :mod:`.filters`, so a render whose compiled code comes from
the cache never imports Jinja2. These lookups are also the sandbox: ``x.y`` reads a map key, an
exposed field of a template object or a public part of a runtime object, and nothing else, so
no template reaches a Python internal.
"""
from __future__ import annotations


from ..golang import Missing, format_number, go_str, go_type

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_RANGE = 100_000
# The most characters or items one `*` may build ("x" * n): the one way a short template could
# exhaust memory in a single step.
MAX_REPEAT = 10_000_000


# --- errors ----------------------------------------------------------------------------------

class TemplateRuntimeError(Exception):
    """A template failed while rendering; the engine adds where."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UndefinedError(TemplateRuntimeError):
    """A missing value used where a value is needed (arithmetic, comparison, call)."""


class SecurityError(TemplateRuntimeError):
    """A template reached for a Python internal."""


class NotAMap(TemplateRuntimeError):
    """A field or index read from a value that is not a map; the value is kept so that the
    error can name the key holding it."""

    def __init__(self, message: str, value: Any):
        super().__init__(message)
        self.value = value


# --- the missing value -----------------------------------------------------------------------

class Undefined(Missing):
    """A missing key: prints empty, is falsy, iterates as nothing; reading through it, doing
    arithmetic with it or calling it is an error (Helm's nil)."""
    __slots__ = ("_undefined_name", "_undefined_hint", "_undefined_owner")

    def __init__(self, name: Any = None, hint: str | None = None, owner: str | None = None):
        self._undefined_name = name
        self._undefined_hint = hint
        self._undefined_owner = owner  # what the name was missing from ("dict", "Namespace", ...)

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        if self._undefined_hint:
            raise UndefinedError(self._undefined_hint)
        if self._undefined_owner:
            raise UndefinedError(f"'{self._undefined_owner} object' has no attribute {self._undefined_name!r}")
        raise UndefinedError(f"{self._undefined_name!r} is undefined")

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        raise TemplateRuntimeError(f"nil pointer evaluating interface {{}}.{name}")

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _fail
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _fail
    __pos__ = __neg__ = __pow__ = __rpow__ = __getitem__ = _fail
    __lt__ = __le__ = __gt__ = __ge__ = __int__ = __float__ = __complex__ = _fail

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TemplateRuntimeError(f"{self._undefined_name or 'a missing value'} is not a function")

    def __contains__(self, item: Any) -> bool:
        # Go's `contains "/" .Values.image` fails on a missing value; so does `"/" in Values.image`
        # rather than quietly building a broken image reference.
        what = f"{self._undefined_name!r}" if self._undefined_name else "a missing value"
        raise UndefinedError(f"{what} is missing: `in` needs a string, list or map (Helm: wrong type for value; "
                             "expected string; got interface {})")

    def __eq__(self, other: Any) -> bool:
        return type(self) is type(other)

    def __ne__(self, other: Any) -> bool:
        return type(self) is not type(other)

    def __hash__(self) -> int:
        return id(type(self))

    def __str__(self) -> str:
        return ""

    def __len__(self) -> int:
        return 0

    def __iter__(self) -> Any:
        return iter(())

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "Undefined"


# A parameter nobody passed (distinct from None, which a template may pass).
NOT_PASSED = object()


# --- objects templates see -------------------------------------------------------------------

class TemplateObject:
    """Python objects exposed to templates: only the names in ``exposed`` are reachable."""
    exposed: frozenset[str] = frozenset()


class RuntimeObject:
    """Jinja's helper objects (loop, namespace, cycler, joiner, macro): their public parts are
    readable; a ``_`` name they have is refused, any other name is missing."""
    public: frozenset[str] = frozenset()

    def template_attribute(self, name: str) -> Any:
        if name.startswith("_") and hasattr(self, name):
            raise SecurityError(f"{type(self).__name__}.{name} is a Python internal")
        if name in self.public:
            return getattr(self, name)
        return Undefined(name, owner=type(self).__name__)


class Scope(dict):
    """What a template file sees at its top: Helm's ``.`` (``root`` in meshcharts)."""


def getattr_(obj: Any, name: str) -> Any:
    """``obj.name`` in a template: Helm's field lookup (compiled code reads a plain map's keys
    itself and comes here for the rest)."""
    if isinstance(obj, TemplateObject):
        if name in obj.exposed:
            return getattr(obj, name)
        raise TemplateRuntimeError(f"can't evaluate field {name} in type {type(obj).__name__}")
    if isinstance(obj, dict):
        try:
            return obj[name]
        except KeyError:
            return Undefined(name, owner="dict")
    if isinstance(obj, Undefined):
        raise TemplateRuntimeError(f"nil pointer evaluating interface {{}}.{name}")
    if isinstance(obj, RuntimeObject):
        return obj.template_attribute(name)
    raise NotAMap(f"can't evaluate field {name} in type {go_type(obj)}", obj)


def getitem(obj: Any, key: Any) -> Any:
    """``obj[key]`` in a template: a map key, or a list or string index or slice."""
    if isinstance(obj, dict):
        try:
            return obj[key]
        except (KeyError, TypeError):
            return Undefined(str(key), owner="dict")
    if isinstance(obj, (list, tuple, str)) and isinstance(key, (int, slice)) and not isinstance(key, bool):
        try:
            return obj[key]
        except IndexError:
            raise TemplateRuntimeError(f"index out of range: {key}") from None
    if isinstance(obj, Undefined):
        if isinstance(key, slice):
            obj._fail()
        raise TemplateRuntimeError(f"nil pointer evaluating interface {{}}[{key!r}]")
    if isinstance(obj, RuntimeObject) and isinstance(key, str):
        return obj.template_attribute(key)
    raise NotAMap(f"can't index item of type {go_type(obj)}", obj)


def callable_(obj: Any) -> Any:
    """What a call expression calls: a missing value is not a function."""
    if isinstance(obj, Undefined):
        raise TemplateRuntimeError(f"{obj._undefined_name or 'a missing value'} is not a function")
    return obj


def finalize(value: Any) -> str:
    """How ``{{ }}`` prints a value: Go's formatting."""
    return value if type(value) is str else go_str(value)


def concat(*values: Any) -> str:
    """Jinja's ``~``: each operand as Python's ``str`` prints it, except a float64 (a values
    file's number), which prints as ``{{ }}`` and Go print it (``80``, not ``80.0``)."""
    return "".join([v if type(v) is str else _text_of(v) for v in values])


def _text_of(value: Any) -> str:
    return format_number(value) if type(value) is float else str(value)


def multiply(left: Any, right: Any) -> Any:
    for seq, n in ((left, right), (right, left)):
        if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_REPEAT:
            raise TemplateRuntimeError(f"'*' would build more than {MAX_REPEAT} characters or items")
    return left * right


def power(left: Any, right: Any) -> Any:
    if (isinstance(left, int) and isinstance(right, int) and right > 64
            and right * max(abs(left), 2).bit_length() > 64 * 1024):
        raise TemplateRuntimeError("'**' would build a number of more than 64K bits")
    return left ** right


def set_attribute(namespace: Any, name: str | None = None, value: Any = None) -> None:
    """``{% set ns.name = value %}`` (without a name: only the check that ``ns`` is a namespace)."""
    if not isinstance(namespace, Namespace):
        raise TemplateRuntimeError("cannot assign attribute on non-namespace object")
    if name is not None:
        namespace.values[name] = value


# --- Jinja's helper objects ------------------------------------------------------------------

class LoopContext(RuntimeObject):
    """``loop`` inside a for block."""
    public = frozenset({"index", "index0", "revindex", "revindex0", "first", "last", "length", "depth",
                        "depth0", "previtem", "nextitem", "cycle", "changed"})

    def __init__(self, items: list, recurse: Any = None, depth: int = 1):
        self._items = items
        self._recurse = recurse  # a recursive loop's function: loop(children) renders them
        self.depth, self.depth0 = depth, depth - 1
        self.length = len(items)
        self.index0 = -1
        self._last_changed: Any = NOT_PASSED

    def __call__(self, items: Any) -> str:
        if self._recurse is None:
            raise TemplateRuntimeError("The loop must have the 'recursive' marker to be called recursively.")
        return self._recurse(items, self.depth + 1)

    @property
    def index(self) -> int:
        return self.index0 + 1

    @property
    def revindex(self) -> int:
        return self.length - self.index0

    @property
    def revindex0(self) -> int:
        return self.length - self.index0 - 1

    @property
    def first(self) -> bool:
        return self.index0 == 0

    @property
    def last(self) -> bool:
        return self.index0 == self.length - 1

    @property
    def previtem(self) -> Any:
        return self._items[self.index0 - 1] if self.index0 > 0 else Undefined(hint="there is no previous item")

    @property
    def nextitem(self) -> Any:
        if self.index0 + 1 < self.length:
            return self._items[self.index0 + 1]
        return Undefined(hint="there is no next item")

    def __repr__(self) -> str:
        return f"<LoopContext {self.index}/{self.length}>"

    def cycle(self, *values: Any) -> Any:
        if not values:
            raise TemplateRuntimeError("no items for cycling given")
        return values[self.index0 % len(values)]

    def changed(self, *value: Any) -> bool:
        if self._last_changed != value:
            self._last_changed = value
            return True
        return False


class Namespace(RuntimeObject):
    """``namespace(a=1)``: the one object a template may change (``{% set ns.a = 2 %}``)."""

    def __init__(self, *args: Any, **kwargs: Any):
        self.values = dict(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Namespace {self.values!r}>"

    def template_attribute(self, name: str) -> Any:
        if name.startswith("_") and hasattr(self, name):
            raise SecurityError(f"Namespace.{name} is a Python internal")
        try:
            return self.values[name]
        except KeyError:
            return Undefined(name, owner="Namespace")


class Cycler(RuntimeObject):
    """``cycler("odd", "even")``: ``next()`` returns each in turn, ``current`` the next one."""
    public = frozenset({"items", "pos", "current", "next", "reset"})

    def __init__(self, *items: Any):
        if not items:
            raise TemplateRuntimeError("cycler needs at least one item")
        self.items = items
        self.pos = 0

    def reset(self) -> None:
        self.pos = 0

    @property
    def current(self) -> Any:
        return self.items[self.pos]

    def next(self) -> Any:
        value = self.items[self.pos]
        self.pos = (self.pos + 1) % len(self.items)
        return value


class Joiner(RuntimeObject):
    """``joiner(", ")``: prints nothing the first time it is called, the separator after."""
    public = frozenset({"sep", "used"})

    def __init__(self, sep: str = ", "):
        self.sep = sep
        self.used = False

    def __call__(self) -> str:
        if self.used:
            return self.sep
        self.used = True
        return ""


class Macro(RuntimeObject):
    """A ``{% macro %}``: called like a function, returns its text."""
    public = frozenset({"name", "arguments", "catch_varargs", "catch_kwargs", "caller"})
    caller = False  # {% call %} blocks are not supported

    def __init__(self, func: Any, name: str, arguments: tuple[str, ...], catch_varargs: bool, catch_kwargs: bool):
        self._func = func
        self.name = name
        self.arguments = arguments
        self.catch_varargs = catch_varargs
        self.catch_kwargs = catch_kwargs

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        count = len(self.arguments)
        values = list(args[:count])
        for name in self.arguments[len(values):]:
            values.append(kwargs.pop(name, NOT_PASSED))
        if kwargs and not self.catch_kwargs:
            raise TemplateRuntimeError(f"macro {self.name!r} takes no keyword argument {next(iter(kwargs))!r}")
        if len(args) > count and not self.catch_varargs:
            raise TemplateRuntimeError(f"macro {self.name!r} takes not more than {count} argument(s)")
        if self.catch_varargs:
            values.append(args[count:])
        if self.catch_kwargs:
            values.append(kwargs)
        return self._func(*values)

    def __repr__(self) -> str:
        return f"<Macro {self.name!r}>"


def safe_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateRuntimeError(f"Range too big: a template may not build a range of more than {MAX_RANGE}")
    return numbers


GLOBALS: dict[str, Any] = {"range": safe_range, "cycler": Cycler, "joiner": Joiner, "namespace": Namespace}


# --- Jinja's built-in tests and filters, natively ------------------------------------------------

TESTS: dict[str, Any] = {
    "defined": lambda v: not isinstance(v, Undefined),
    "undefined": lambda v: isinstance(v, Undefined),
    "none": lambda v: v is None,
    "boolean": lambda v: v is True or v is False,
    "false": lambda v: v is False,
    "true": lambda v: v is True,
    "integer": lambda v: isinstance(v, int) and v is not True and v is not False,
    "float": lambda v: isinstance(v, float),
    "number": lambda v: isinstance(v, (int, float, complex)),
    "string": lambda v: isinstance(v, str),
    "mapping": lambda v: isinstance(v, dict),
    "sequence": lambda v: hasattr(type(v), "__len__") and hasattr(type(v), "__getitem__") or isinstance(v, Undefined),
    "iterable": lambda v: hasattr(type(v), "__iter__"),
    "callable": callable,
    "lower": lambda v: str(v).islower(),
    "upper": lambda v: str(v).isupper(),
    "odd": lambda v: v % 2 == 1,
    "even": lambda v: v % 2 == 0,
    "divisibleby": lambda v, n: v % n == 0,
    "sameas": lambda v, other: v is other,
    "in": lambda v, seq: v in seq,
    "eq": lambda a, b: a == b, "==": lambda a, b: a == b, "equalto": lambda a, b: a == b,
    "ne": lambda a, b: a != b, "!=": lambda a, b: a != b,
    "lt": lambda a, b: a < b, "<": lambda a, b: a < b, "lessthan": lambda a, b: a < b,
    "le": lambda a, b: a <= b, "<=": lambda a, b: a <= b,
    "gt": lambda a, b: a > b, ">": lambda a, b: a > b, "greaterthan": lambda a, b: a > b,
    "ge": lambda a, b: a >= b, ">=": lambda a, b: a >= b,
    "escaped": lambda v: hasattr(v, "__html__"),
}


for _name, _test in TESTS.items():  # errors name them as Jinja does (test_in() missing ...)
    if _test.__name__ == "<lambda>":
        _test.__name__ = _test.__qualname__ = f"test_{_name}"


def _soft_str(value: Any) -> str:
    return value if isinstance(value, str) else _text_of(value)


def attribute_of(item: Any, attribute: Any) -> Any:
    """Jinja's ``attribute=`` argument: a dotted path of keys or indexes."""
    if not isinstance(attribute, str):
        return getitem(item, attribute)
    for part in attribute.split("."):
        item = getitem(item, int(part) if part.isdigit() else part)
    return item


def attr(obj: Any, name: Any) -> Any:
    """Jinja's ``attr``: a field as ``obj.name`` reads it; a plain value without such a Python
    attribute gives a missing value (one with it is refused, as by ``obj.name``)."""
    name = _soft_str(name)
    if not isinstance(obj, (dict, TemplateObject, RuntimeObject, Undefined)) and not hasattr(obj, name):
        return Undefined(name, owner=type(obj).__name__)
    return getattr_(obj, name)


def reverse(value: Any) -> Any:
    if isinstance(value, str):
        return value[::-1]
    try:
        return reversed(value)
    except TypeError:
        items = list(value)
        items.reverse()
        return items


def join(value: Any, d: str = "", attribute: Any = None) -> str:
    if attribute is not None:
        value = [attribute_of(v, attribute) for v in value]
    items, separator = [_soft_str(v) for v in value], _soft_str(d)
    if len(separator) * len(items) > MAX_REPEAT:
        raise TemplateRuntimeError(f"join would build more than {MAX_REPEAT} characters")
    return separator.join(items)


def first(seq: Any) -> Any:
    for item in seq:
        return item
    return Undefined(hint="No first item, sequence was empty.")


def last(seq: Any) -> Any:
    items = list(seq)
    return items[-1] if items else Undefined(hint="No last item, sequence was empty.")


def length(value: Any) -> int:
    return len(value)


def string(value: Any) -> str:
    return _soft_str(value)


def jinja_default(value: Any, default_value: Any = "", boolean: bool = False) -> Any:
    """Jinja's ``d``: the fallback for a missing value (or, with ``boolean``, any falsy one).
    meshcharts' ``default`` is Helm's, with Go's emptiness."""
    return default_value if isinstance(value, Undefined) or (boolean and not value) else value


def lower(value: Any) -> str:
    return _soft_str(value).lower()


def upper(value: Any) -> str:
    return _soft_str(value).upper()


def capitalize(value: Any) -> str:
    return _soft_str(value).capitalize()


def to_float(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def trim(value: Any, chars: str | None = None) -> str:
    return _soft_str(value).strip(chars)


def _ignore_case(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _getter(attribute: Any, case_sensitive: bool) -> Any:
    """Jinja's key function of ``attribute=`` (a dotted path, numbers as indexes), with text
    compared without case unless ``case_sensitive``."""
    if attribute is None:
        parts: list[Any] = []
    elif isinstance(attribute, str):
        parts = [int(part) if part.isdigit() else part for part in attribute.split(".")]
    else:
        parts = [attribute]

    def get(item: Any) -> Any:
        for part in parts:
            item = getitem(item, part)
        return item if case_sensitive else _ignore_case(item)
    return get


def sort(value: Any, reverse: bool = False, case_sensitive: bool = False, attribute: Any = None) -> list:
    """Jinja's ``sort``; ``attribute`` may name several keys, comma-separated."""
    getters = [_getter(a, case_sensitive) for a in (attribute.split(",") if isinstance(attribute, str) else [attribute])]
    return sorted(value, key=lambda item: [get(item) for get in getters], reverse=reverse)


def dictsort(value: Any, case_sensitive: bool = False, by: str = "key", reverse: bool = False) -> list:
    if by not in ("key", "value"):
        raise TemplateRuntimeError('You can only sort by either "key" or "value"')
    position = 0 if by == "key" else 1

    def key(item: tuple) -> Any:
        return item[position] if case_sensitive else _ignore_case(item[position])
    return sorted(value.items(), key=key, reverse=reverse)


def unique(value: Any, case_sensitive: bool = False, attribute: Any = None) -> Any:
    get = _getter(attribute, case_sensitive)
    seen = set()
    for item in value:
        key = get(item)
        if key not in seen:
            seen.add(key)
            yield item


def _min_or_max(value: Any, function: Any, case_sensitive: bool, attribute: Any) -> Any:
    items = iter(value)
    try:
        head = next(items)
    except StopIteration:
        return Undefined(hint="No aggregated item, sequence was empty.")
    return function(_chain(head, items), key=_getter(attribute, case_sensitive))


def _chain(head: Any, rest: Any) -> Any:
    yield head
    yield from rest


def smallest(value: Any, case_sensitive: bool = False, attribute: Any = None) -> Any:
    """Jinja's ``min``."""
    return _min_or_max(value, min, case_sensitive, attribute)


def largest(value: Any, case_sensitive: bool = False, attribute: Any = None) -> Any:
    """Jinja's ``max``."""
    return _min_or_max(value, max, case_sensitive, attribute)


def total(iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    """Jinja's ``sum`` (an ``attribute`` is compared with its case)."""
    if attribute is not None:
        iterable = map(_getter(attribute, True), iterable)
    return sum(iterable, start)


# Jinja's built-in filters done here. Those that take a filter or test by name (map, select, ...)
# are the table's own (:mod:`.filters`), and any other is Jinja's, through :mod:`.bridge`.
FILTERS: dict[str, Any] = {
    "attr": attr, "reverse": reverse, "join": join, "first": first, "last": last, "length": length,
    "count": length, "list": list, "string": string, "trim": trim, "d": jinja_default,
    "lower": lower, "upper": upper, "capitalize": capitalize, "abs": abs, "float": to_float,
    "sort": sort, "dictsort": dictsort, "unique": unique, "min": smallest, "max": largest, "sum": total,
}
