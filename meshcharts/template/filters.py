"""The one table of filters and tests a template can name.

The engine builds it once from Jinja's built-ins done natively (:mod:`.runtime`), Helm's
functions (:mod:`.funcs`) and its own (``include``, ``toYaml`` printed once per value, ...), and
hands it to the compiler, which asks it which names exist, and to compiled code, which asks it
what a name calls. A name the table does not hold is one of Jinja's rarer built-ins: it is called
through :mod:`.bridge`, which imports Jinja2 only when a template first calls it.
"""
from __future__ import annotations

from . import runtime
from .bridge import JinjaBuiltins

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator


class Table:
    """Filters and tests by name: ``filter(name)`` and ``test(name)`` give the function a
    template calls; ``knows_filter``/``knows_test`` whether a name exists at all."""

    def __init__(self, filters: dict[str, Any], tests: dict[str, Any] | None = None):
        # These take a filter or test by name, so they belong to the table that resolves names.
        by_name = {"select": self.select, "reject": self.reject, "selectattr": self.selectattr,
                   "rejectattr": self.rejectattr, "map": self.map}
        self.filters: dict[str, Any] = {**runtime.FILTERS, **by_name, **filters}
        self.tests: dict[str, Any] = {**runtime.TESTS, **(tests or {})}
        self.jinja = JinjaBuiltins(self.filters, self.tests)

    def filter(self, name: str) -> Any:
        found = self.filters.get(name)
        return found if found is not None else self.jinja.filter(name)

    def test(self, name: str) -> Any:
        found = self.tests.get(name)
        return found if found is not None else self.jinja.test(name)

    def knows_filter(self, name: str) -> bool:
        return name in self.filters or self.jinja.has_filter(name)

    def knows_test(self, name: str) -> bool:
        return name in self.tests or self.jinja.has_test(name)

    def bridged(self) -> list[str]:
        """Jinja's built-in filters this table leaves to Jinja itself (imports Jinja2)."""
        return sorted(name for name in self.jinja.filter_names()
                      if name not in self.filters or getattr(self.filters[name], "calls_jinja", False))

    # Jinja's filters that take a test or a filter by name.

    def _select(self, seq: Any, args: tuple, attribute: Any, keep: bool) -> Iterator[Any]:
        if args:
            name, *rest = args
            test = self.test(name)
        else:
            test, rest = bool, []
        for item in seq:
            value = runtime.attribute_of(item, attribute) if attribute is not None else item
            if bool(test(value, *rest)) is keep:
                yield item

    def select(self, seq: Any, *args: Any) -> Iterator[Any]:
        return self._select(seq, args, None, True)

    def reject(self, seq: Any, *args: Any) -> Iterator[Any]:
        return self._select(seq, args, None, False)

    def selectattr(self, seq: Any, attribute: str, *args: Any) -> Iterator[Any]:
        return self._select(seq, args, attribute, True)

    def rejectattr(self, seq: Any, attribute: str, *args: Any) -> Iterator[Any]:
        return self._select(seq, args, attribute, False)

    def map(self, seq: Any, *args: Any, attribute: Any = None, default: Any = None, **kwargs: Any) -> Iterator[Any]:
        if attribute is not None:
            if kwargs:
                raise runtime.TemplateRuntimeError(f"Unexpected keyword argument {next(iter(kwargs))!r}")
            for item in seq:
                value = runtime.attribute_of(item, attribute)
                yield default if default is not None and isinstance(value, runtime.Undefined) else value
            return
        if not args:
            raise runtime.TemplateRuntimeError("map requires a filter argument")
        name, *rest = args
        function = self.filter(name)
        for item in seq:
            yield function(item, *rest, **kwargs)


# As errors name them (Jinja's own names for these).
Table.select.__qualname__, Table.reject.__qualname__ = "select", "reject"
Table.selectattr.__qualname__, Table.rejectattr.__qualname__, Table.map.__qualname__ = \
    "selectattr", "rejectattr", "map"
