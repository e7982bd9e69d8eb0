"""The template stage, sealed: the only part of meshcharts that knows Jinja2.

Jinja2 parses a template; :mod:`.compiler` turns the parsed tree into Python code that runs on
:mod:`.runtime` (lookups, loops, macros, Jinja's built-in filters and tests done natively);
:mod:`.funcs` holds Helm's and sprig's functions with Go semantics; :mod:`.engine` renders a chart
tree with Helm's objects (``Values``, ``Release``, ``Chart``, ``Files``, ``Capabilities``),
shared ``define`` blocks, ``include`` and ``tpl``, and keeps compiled code in the disk cache.
"""
