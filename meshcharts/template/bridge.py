"""Jinja's built-in filters, tests and globals that meshcharts does not do natively, called
through Jinja's public API (``Environment.call_filter``/``call_test``) in a sandboxed
environment whose lookups and missing value are meshcharts' own.

Jinja2 is imported when a template first calls one of them (or when the compiler asks whether a
name exists), never by a render of cached templates that do not use them. The list of names
that take this path is in docs/chart-authoring.md.
"""
from __future__ import annotations

from . import runtime

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class JinjaBuiltins:
    """Jinja's own filters, tests and globals, with ``filters``/``tests`` (the table's, which it
    shares and may still grow) visible to Jinja's ``filter`` and ``test`` tests."""

    def __init__(self, filters: dict[str, Any], tests: dict[str, Any]):
        self._filters, self._tests = filters, tests
        self._environment: Any = None
        self._context: Any = None
        self._plain: Any = None  # an environment with Jinja's filters only, for own_filter
        self._plain_context: Any = None

    def environment(self) -> Any:
        if self._environment is None:
            self._environment = sandbox_environment(self._filters, self._tests)
        return self._environment

    def filter_names(self) -> list[str]:
        return list(self.environment().filters)

    def has_filter(self, name: str) -> bool:
        return name in self.environment().filters

    def has_test(self, name: str) -> bool:
        return name in self.environment().tests

    def filter(self, name: str) -> Any:
        def call(value: Any, *args: Any, **kwargs: Any) -> Any:
            return self.call("filter", name, value, args, kwargs)
        call.__name__ = call.__qualname__ = name
        return call

    def test(self, name: str) -> Any:
        def call(value: Any, *args: Any, **kwargs: Any) -> Any:
            return self.call("test", name, value, args, kwargs)
        call.__name__ = call.__qualname__ = f"test_{name}"
        return call

    def call(self, kind: str, name: str, value: Any, args: tuple, kwargs: dict) -> Any:
        env = self.environment()
        if name not in (env.filters if kind == "filter" else env.tests):
            raise runtime.TemplateRuntimeError(f"No {kind} named {name!r} found.")
        if self._context is None:  # what a filter that asks for the template's context gets
            self._context = env.from_string("").new_context()
        call = env.call_filter if kind == "filter" else env.call_test
        return call(name, value, args, kwargs, context=self._context)

    def own_filter(self, name: str) -> Any:
        """Jinja's own filter ``name`` even where the table holds one of that name (the bounded
        ``center``, ``wordwrap`` and ``slice`` call Jinja's after checking their arguments)."""
        def call(value: Any, *args: Any, **kwargs: Any) -> Any:
            if self._plain is None:
                self._plain = sandbox_environment({}, {})
                self._plain_context = self._plain.from_string("").new_context()
            return self._plain.call_filter(name, value, args, kwargs, context=self._plain_context)
        call.__name__ = call.__qualname__ = name
        return call

    def global_function(self, name: str) -> Any:
        """Jinja's global ``name`` (e.g. ``lipsum``), looked up when first called."""
        def call(*args: Any, **kwargs: Any) -> Any:
            return self.environment().globals[name](*args, **kwargs)
        call.__name__ = call.__qualname__ = name
        return call


def sandbox_environment(filters: dict[str, Any], tests: dict[str, Any], **options: Any) -> Any:
    """Jinja's SandboxedEnvironment with meshcharts' lookups (``x.y`` and ``x[y]`` read maps and
    the exposed fields of template objects only), meshcharts' missing value, and ``filters`` and
    ``tests`` over Jinja's own. ``options`` go to the environment (the live oracle test renders
    templates in it)."""
    # Jinja2 itself (30 ms): only when a template calls a built-in the runtime does not have.
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    class Missing(jinja2.Undefined):
        """What Jinja makes of a missing value: meshcharts' (Jinja calls the class to make one)."""

        def __new__(cls, hint: str | None = None, obj: Any = None, name: str | None = None,
                    exc: Any = None) -> Any:
            return runtime.Undefined(name, hint)

    class Environment(SandboxedEnvironment):
        def getattr(self, obj: Any, attribute: str) -> Any:
            return runtime.getattr_(obj, attribute)

        def getitem(self, obj: Any, argument: Any) -> Any:
            return runtime.getitem(obj, argument)

    env = Environment(undefined=Missing, autoescape=False, **options)
    env.filters.update(filters)
    env.tests.update(tests)
    return env
