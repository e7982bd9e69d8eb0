"""The template stage, sealed: the only part of meshcharts that knows Jinja2.

Jinja2 parses a template (``define`` is a tag of its parser here); :mod:`.compiler` turns the
parsed tree into Python code that runs on :mod:`.runtime` (lookups, loops, macros, Jinja's common
built-in filters and tests done natively); :mod:`.funcs` holds Helm's and sprig's functions with
Go semantics; :mod:`.filters` is the one table of filters and tests, which the engine builds and
hands to the compiler and to compiled code; :mod:`.bridge` calls Jinja's rarer built-ins through
its public API; :mod:`.engine` renders a chart tree with Helm's objects (``Values``, ``Release``,
``Chart``, ``Files``, ``Capabilities``), shared ``define`` blocks, ``include`` and ``tpl``, and
keeps compiled code in the disk cache.
"""
