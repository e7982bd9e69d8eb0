"""Templates to Python code.

Jinja2 parses a template (its syntax, whitespace control and ``trim_blocks``/``lstrip_blocks``,
and ``define``, a tag of its own here); this module turns the parsed tree into Python functions
that call only :mod:`.runtime`, :mod:`.funcs` and the filter table the engine hands in. The code
object is what the engine caches on disk, so a render whose templates are cached never imports
Jinja2. Line numbers in the code are the template's, so a failing template's traceback names its
own file and line.

Running the code defines ``root(variables) -> text`` (the template's own text) and ``DEFINES``,
the template's ``define`` blocks as ``(name, function)`` pairs, each function rendering its body
as a template of its own.

Scoping follows Jinja's: ``{% set %}`` inside a ``for`` body, a macro, ``with`` or a filter block
stays there (and starts each loop pass from the outer value); ``if`` makes no scope.
"""
from __future__ import annotations

import ast

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension

from ..errors import TemplateError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any



class DefineTag(Extension):
    """``{% define "name" %}...{% enddefine %}``: a named body that ``include`` renders. It is a
    tag of Jinja's parser, so raw blocks, comments and whitespace control around and inside it
    are the lexer's, as for any block tag. The body parses as Jinja's extension blocks do (a
    call block of this extension), and the code generator makes it a function of its own."""
    tags = {"define"}

    def parse(self, parser: Any) -> Any:
        lineno = next(parser.stream).lineno
        name = parser.stream.expect("string").value
        body = parser.parse_statements(("name:enddefine",), drop_needle=True)
        call = self.call_method("define", [nodes.Const(name)], lineno=lineno)
        return nodes.CallBlock(call, [], [], body, lineno=lineno)


def _define_name(node: nodes.Node) -> str | None:
    """The name of a ``define`` block, None for any other node."""
    if (isinstance(node, nodes.CallBlock) and isinstance(node.call, nodes.Call)
            and isinstance(node.call.node, nodes.ExtensionAttribute) and node.call.node.identifier == DefineTag.identifier):
        return node.call.args[0].value
    return None


_PARSER = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, autoescape=False,
                             extensions=[DefineTag])

# Operators by Jinja node: `*` and `**` go through the runtime, which bounds what they build.
_BINARY = {"Add": "({} + {})", "Sub": "({} - {})", "Div": "({} / {})", "FloorDiv": "({} // {})", "Mod": "md({}, {})",
           "And": "({} and {})", "Or": "({} or {})", "Mul": "mul({}, {})", "Pow": "pw({}, {})"}
_UNARY = {"Not": "(not {})", "Neg": "(-{})", "Pos": "(+{})"}
_COMPARE = {"eq": "==", "ne": "!=", "gt": ">", "gteq": ">=", "lt": "<", "lteq": "<=", "in": "in", "notin": "not in"}
_UNSUPPORTED = {
    "Extends": "extends", "Include": "include (Jinja's tag; use the include() function)",
    "Import": "import", "FromImport": "from ... import", "CallBlock": "call", "EvalContextModifier": "autoescape",
    "ExprStmt": "do", "Break": "break", "Continue": "continue",
}


class _Unsupported(Exception):
    def __init__(self, message: str, lineno: int):
        super().__init__(message)
        self.lineno = lineno


def compile_template(source: str, path: str, table: Any, first_line: int = 1) -> Any:
    """The code object of ``source`` (a template whose first line is line ``first_line`` of
    ``path``); running it defines ``root(variables) -> str`` and ``DEFINES``. ``table`` (a
    :class:`.filters.Table`) says which filters and tests exist."""
    try:
        return _compile(source, path, first_line, table)
    except RecursionError:  # Jinja's parser and ours recurse once per level of nesting
        raise TemplateError("template nests expressions or tags too deeply to compile", path) from None
    except SyntaxError as e:  # Python's own limits, e.g. at most 20 nested loops
        raise TemplateError(f"template too deeply nested to compile ({e.msg})", f"{path}:{e.lineno}") from None


def _compile(source: str, path: str, first_line: int, table: Any) -> Any:
    try:
        tree = _PARSER.parse(source, name=path, filename=path)
    except jinja2.TemplateSyntaxError as e:
        raise TemplateError(f"template syntax error: {e.message}", f"{path}:{e.lineno + first_line - 1}") from None
    gen = _CodeGen(path, first_line - 1, table)
    try:
        gen.template(tree)
    except _Unsupported as e:
        raise TemplateError(str(e), f"{path}:{(e.lineno or 1) + first_line - 1}") from None
    python = ast.parse("\n".join(text for text, _ in gen.lines), filename=path)
    line_of = [line for _, line in gen.lines]
    for node in ast.walk(python):
        if hasattr(node, "lineno"):
            node.lineno = node.end_lineno = line_of[node.lineno - 1]
            node.col_offset = node.end_col_offset = 0
    return compile(python, path, "exec", dont_inherit=True)


# --- code generation -------------------------------------------------------------------------

class _Scope:
    def __init__(self, parent: "_Scope | None"):
        self.parent = parent
        self.names: dict[str, str] = {}
        self.soft = 0  # the code generator's `soft` outside this scope


def _stores(body: list[nodes.Node]) -> list[str]:
    """Names a block of statements assigns in its own scope (not in nested scopes)."""
    found: list[str] = []

    def walk(statements: list[nodes.Node]) -> None:
        for node in statements:
            if isinstance(node, (nodes.Assign, nodes.AssignBlock)):
                found.extend(n for n in _target_names(node.target) if n not in found)
            elif isinstance(node, nodes.Macro) and node.name not in found:
                found.append(node.name)
            elif isinstance(node, nodes.If):
                walk(node.body)
                for branch in node.elif_:
                    walk([branch])
                walk(node.else_)

    walk(body)
    return found


def _uses_name(node_list: list[nodes.Node], name: str, in_loops: bool = False, in_macros: bool = False) -> bool:
    """Whether ``name`` is read in these nodes, not counting nested loop bodies unless
    ``in_loops`` (in a loop's body, ``loop`` is that loop's own) nor nested macros unless
    ``in_macros`` (a macro inside a loop sees that loop)."""
    for node in node_list:
        if isinstance(node, nodes.Name) and node.name == name and node.ctx == "load":
            return True
        if isinstance(node, nodes.Macro) and not in_macros:
            continue
        if isinstance(node, nodes.For) and not in_loops:
            if _uses_name([node.iter, *([node.test] if node.test else []), *node.else_], name, in_loops, in_macros):
                return True
            continue
        if _uses_name(list(node.iter_child_nodes()), name, in_loops, in_macros):
            return True
    return False


_LOOP_ASSIGNED = "template syntax error: Can't assign to special loop variable in for-loop target"


class _CodeGen:
    def __init__(self, path: str, line_offset: int, table: Any):
        self.path = path
        self.table = table
        self.lines: list[tuple[str, int]] = []
        self.offset = line_offset
        self.loops = 0      # for bodies open around the statement being compiled
        # Inside an if or an inline if (not a block nested there), Jinja lets an unknown filter
        # or test fail only when it is called; elsewhere it is a syntax error.
        self.soft = 0
        self.blocks: set[str] = set()
        self.depth = 0
        self.counter = 0
        self.line = 1
        self.root_scope = _Scope(None)  # every name it holds is read from the context at the start
        self.scope = self.root_scope
        self.helpers: dict[tuple[str, str], str] = {}
        # Lists and maps written with constants only, built once when the code loads: templates
        # cannot change a value (no method is reachable and no function changes its arguments).
        self.constants: dict[str, str] = {}  # name → literal
        self.writer = "w"

    # emitting

    def emit(self, text: str, lineno: int | None = None) -> None:
        if lineno is not None:
            self.line = lineno
        self.lines.append(("    " * self.depth + text, self.line + self.offset))

    def undefined_if(self, lineno: int) -> str:
        return (f"the inline if-expression on line {lineno + self.offset} in {self.path!r} evaluated to false "
                "and no else section was defined.")

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}_{self.counter}"

    def lookup(self, name: str) -> str:
        scope: _Scope | None = self.scope
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        ident = self.root_scope.names[name] = f"c_{name}"
        return ident

    def helper(self, kind: str, name: str) -> str:
        key = (kind, name)
        if key not in self.helpers:
            self.helpers[key] = f"{'F' if kind == 'filt' else 'T'}{len(self.helpers)}"
        return self.helpers[key]

    def push_scope(self, stores: list[str]) -> None:
        """A new scope whose assigned names start as their outer values."""
        outer = {name: self.lookup(name) for name in stores}
        self.scope = _Scope(self.scope)
        self.scope.soft, self.soft = self.soft, 0
        for name in stores:
            ident = self.fresh(f"l_{name}")
            self.scope.names[name] = ident
            self.emit(f"{ident} = {outer[name]}")

    def pop_scope(self) -> None:
        assert self.scope.parent is not None
        self.soft = self.scope.soft
        self.scope = self.scope.parent

    # the template

    def template(self, tree: nodes.Template) -> None:
        main: list[nodes.Node] = []
        defines: list[tuple[str, str]] = []
        for node in tree.body:
            name = _define_name(node)
            if name is None:
                main.append(node)
                continue
            function = f"define_{len(defines)}"
            self.function(function, node.body, node.lineno)
            defines.append((name, function))
        self.function("root", main, 1)
        self.emit(f"DEFINES = ({''.join(f'({name!r}, {function}), ' for name, function in defines)})", 1)
        self.lines[:0] = [(f"{ident} = {kind}({name!r})", 1 + self.offset)
                          for (kind, name), ident in self.helpers.items()]
        self.lines[:0] = [(f"{ident} = {literal}", 1 + self.offset) for ident, literal in self.constants.items()]

    def function(self, name: str, body: list[nodes.Node], lineno: int) -> None:
        """``def name(variables)``: ``body`` as a template of its own (the file's text, or a
        define's), whose names not set in it are read from ``variables``."""
        self.root_scope = self.scope = _Scope(None)  # every name it holds is read from the context at the start
        self.blocks = set()
        self.emit(f"def {name}(variables):", lineno)
        self.depth = 1
        head = len(self.lines)
        for stored in _stores(body):
            self.lookup(stored)
        self.emit("out = []")
        self.emit("w = out.append")
        self.statements(body)
        self.emit("return ''.join(out)")
        inits = [(f"    {ident} = resolve(variables, {stored!r})", lineno + self.offset)
                 for stored, ident in self.root_scope.names.items()]
        self.lines[head:head] = inits
        self.depth = 0

    def statements(self, body: list[nodes.Node]) -> None:
        start = len(self.lines)
        for node in body:
            if _define_name(node) is not None:
                raise _Unsupported("define must stand at the top level of a template, not inside another tag",
                                   node.lineno)
            method = getattr(self, f"stmt_{type(node).__name__}", None)
            if method is None:
                what = _UNSUPPORTED.get(type(node).__name__, type(node).__name__)
                raise _Unsupported(f"the {what} tag is not supported in meshcharts templates", node.lineno or self.line)
            method(node)
        if len(self.lines) == start:
            self.emit("pass")

    def scoped(self, body: list[nodes.Node]) -> None:
        """Statements in a scope of their own."""
        self.push_scope(_stores(body))
        self.statements(body)
        self.pop_scope()

    def block(self, body: list[nodes.Node]) -> None:
        self.depth += 1
        self.statements(body)
        self.depth -= 1

    def stmt_Output(self, node: nodes.Output) -> None:  # noqa: N802
        literal: list[str] = []  # adjacent text, written as one string
        line = node.lineno
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData) or isinstance(child, nodes.Const) and isinstance(child.value, str):
                if not literal:
                    line = child.lineno
                literal.append(child.data if isinstance(child, nodes.TemplateData) else child.value)
                continue
            if literal:
                self.emit(f"{self.writer}({''.join(literal)!r})", line)
                literal = []
            # fin() only for what is not already text (most values printed are strings)
            self.emit(f"{self.writer}(_s if type(_s := {self.expr(child)}) is str else fin(_s))", child.lineno)
        if literal:
            self.emit(f"{self.writer}({''.join(literal)!r})", line)

    def stmt_If(self, node: nodes.If) -> None:  # noqa: N802
        self.soft += 1
        try:
            self._if(node)
        finally:
            self.soft -= 1

    def _if(self, node: nodes.If) -> None:
        self.emit(f"if {self.expr(node.test)}:", node.lineno)
        self.block(node.body)
        for branch in node.elif_:
            self.emit(f"elif {self.expr(branch.test)}:", branch.lineno)
            self.block(branch.body)
        if node.else_:
            self.emit("else:")
            self.block(node.else_)

    def stmt_For(self, node: nodes.For) -> None:  # noqa: N802
        if "loop" in _target_names(node.target):
            raise _Unsupported(_LOOP_ASSIGNED, node.lineno)
        items_expr = self.expr(node.iter)
        if not node.recursive:
            items = self.fresh("items")
            self.emit(f"{items} = {items_expr}", node.lineno)
            self.loop(node, items, None)
            return
        # A recursive loop is a function: `loop(children)` renders the body over them, one deeper.
        func, items, depth = self.fresh("recurse"), self.fresh("items"), self.fresh("depth")
        self.emit(f"def {func}({items}, {depth}):", node.lineno)
        self.depth += 1
        buffer, saved = self.open_buffer()
        self.loop(node, items, (func, depth))
        self.emit(f"return ''.join({buffer})")
        self.depth -= 1
        self.writer = saved
        self.emit(f"{self.writer}({func}({items_expr}, 1))", node.lineno)

    def loop(self, node: nodes.For, items: str, recursion: tuple[str, str] | None) -> None:
        """The loop over the values in ``items`` (a local); ``recursion``: the function that
        renders a deeper level and this level's depth, for a recursive loop."""
        uses_loop = recursion is not None or _uses_name(node.body, "loop", in_macros=True)
        targets = _target_names(node.target)
        self.scope = _Scope(self.scope)
        for name in targets:
            self.scope.names[name] = self.fresh(f"l_{name}")
        target = self.target(node.target)
        if node.test is not None:
            kept, item = self.fresh("kept"), self.fresh("item")
            self.emit(f"{kept} = []")
            self.emit(f"for {item} in {items}:")
            self.depth += 1
            self.emit(f"{target} = {item}")
            soft, self.soft = self.soft, 0  # the filter belongs to the loop's frame, never an if's
            self.emit(f"if {self.expr(node.test)}:", node.test.lineno)
            self.soft = soft
            self.emit(f"    {kept}.append({item})")
            self.depth -= 1
            self.emit(f"{items} = {kept}")
        ran = self.fresh("ran") if node.else_ else None
        if ran:
            self.emit(f"{ran} = False")
        if uses_loop:
            loop = self.fresh("loop")
            self.scope.names["loop"] = loop
            self.emit(f"{items} = list({items})")
            self.emit(f"{loop} = Loop({items}{', ' + ', '.join(recursion) if recursion else ''})")
            self.emit(f"for {loop}.index0, {target} in enumerate({items}):")
        else:
            self.emit(f"for {target} in {items}:")
        self.depth += 1
        if ran:
            self.emit(f"{ran} = True")
        self.push_scope([n for n in _stores(node.body) if n not in targets])  # each pass starts afresh
        self.loops += 1
        self.statements(node.body)
        self.loops -= 1
        self.pop_scope()
        self.depth -= 1
        self.pop_scope()
        if ran:
            self.emit(f"if not {ran}:")
            self.depth += 1
            self.scoped(node.else_)
            self.depth -= 1

    def target(self, node: nodes.Node) -> str:
        if self.loops and "loop" in _target_names(node):
            raise _Unsupported(_LOOP_ASSIGNED, node.lineno)
        if isinstance(node, nodes.Name):
            return self.lookup(node.name)
        if isinstance(node, nodes.Tuple):
            return "(" + "".join(self.target(item) + ", " for item in node.items) + ")"
        raise _Unsupported("cannot assign to this expression", node.lineno)

    def assign(self, target: nodes.Node, value: str, lineno: int) -> None:
        if isinstance(target, nodes.NSRef):
            self.emit(f"nsset({self.lookup(target.name)}, {target.attr!r}, {value})", lineno)
        else:
            self.emit(f"{self.target(target)} = {value}", lineno)

    def stmt_Assign(self, node: nodes.Assign) -> None:  # noqa: N802
        value = self.expr(node.node)
        if isinstance(node.target, nodes.NSRef):  # checked before the value, as in Jinja
            self.emit(f"nsset({self.lookup(node.target.name)})", node.lineno)
        self.assign(node.target, value, node.lineno)

    def open_buffer(self, lineno: int | None = None) -> tuple[str, str]:
        """Write what follows into a new buffer; returns it and the writer to restore."""
        buffer, saved = self.fresh("buf"), self.writer
        self.writer = self.fresh("w")
        self.emit(f"{buffer} = []", lineno)
        self.emit(f"{self.writer} = {buffer}.append")
        return buffer, saved

    def captured(self, body: list[nodes.Node], lineno: int) -> str:
        """Render ``body`` into a buffer; returns the expression of its text."""
        buffer, saved = self.open_buffer(lineno)
        self.statements(body)
        self.writer = saved
        return f"''.join({buffer})"

    def stmt_AssignBlock(self, node: nodes.AssignBlock) -> None:  # noqa: N802
        self.push_scope(_stores(node.body))  # the body's own sets stay inside it
        text = self.captured(node.body, node.lineno)
        if node.filter is not None:
            text = self.filter(node.filter, text)
        self.pop_scope()
        self.assign(node.target, text, node.lineno)

    def stmt_FilterBlock(self, node: nodes.FilterBlock) -> None:  # noqa: N802
        self.push_scope(_stores(node.body))
        text = self.filter(node.filter, self.captured(node.body, node.lineno))
        self.pop_scope()
        self.emit(f"{self.writer}(fin({text}))", node.lineno)

    def stmt_Block(self, node: nodes.Block) -> None:  # noqa: N802
        # Without `extends` a block renders where it stands, in a scope of its own.
        if node.name in self.blocks:
            raise _Unsupported(f"template syntax error: block {node.name!r} defined twice", node.lineno)
        self.blocks.add(node.name)
        self.scoped(node.body)

    def stmt_Scope(self, node: nodes.Scope) -> None:  # noqa: N802
        self.scoped(node.body)

    def stmt_ScopedEvalContextModifier(self, node: nodes.ScopedEvalContextModifier) -> None:  # noqa: N802
        options = {k.key: k.value for k in node.options}
        escape = options.get("autoescape")
        if set(options) != {"autoescape"} or not isinstance(escape, nodes.Const) or escape.value is not False:
            raise _Unsupported("only {% autoescape false %} is supported in meshcharts templates (output is "
                               "YAML, never HTML-escaped)", node.lineno or self.line)
        self.statements(node.body)

    def stmt_With(self, node: nodes.With) -> None:  # noqa: N802
        values = [self.expr(v) for v in node.values]
        names = [n for t in node.targets for n in _target_names(t)]
        self.push_scope([n for n in _stores(node.body) if n not in names])
        for name in names:
            self.scope.names[name] = self.fresh(f"l_{name}")
        for target, value in zip(node.targets, values):
            self.emit(f"{self.target(target)} = {value}", node.lineno)
        self.statements(node.body)
        self.pop_scope()

    def stmt_Macro(self, node: nodes.Macro) -> None:  # noqa: N802
        func = self.fresh(f"macro_{node.name}")
        ident = self.lookup(node.name)
        names = [a.name for a in node.args]
        # A macro catches extra arguments when its body reads `varargs` / `kwargs` (not its own).
        uses_varargs = "varargs" not in names and _uses_name(node.body, "varargs", in_loops=True, in_macros=True)
        uses_kwargs = "kwargs" not in names and _uses_name(node.body, "kwargs", in_loops=True, in_macros=True)
        outer = self.scope
        locals_ = {name: self.fresh(f"l_{name}") for name in names}
        if uses_varargs:
            locals_["varargs"] = self.fresh("l_varargs")
        if uses_kwargs:
            locals_["kwargs"] = self.fresh("l_kwargs")
        # Macro.__call__ binds arguments by name and passes them in order, then varargs and kwargs.
        self.emit(f"def {func}({', '.join(locals_.values())}):", node.lineno)
        self.depth += 1
        self.scope = _Scope(outer)
        loops, soft = self.loops, self.soft
        self.loops, self.soft = 0, 0  # a macro is a frame of its own
        defaults = dict(zip(names[len(names) - len(node.defaults):], node.defaults))
        for name in names:  # a parameter not bound yet is missing to the defaults before it
            self.scope.names[name] = f"U({name!r})"
        for name in names:  # a default sees the parameters before it, not those after
            default = (self.expr(defaults[name]) if name in defaults
                       else f"U({name!r}, {'parameter ' + repr(name) + ' was not provided'!r})")
            self.emit(f"if {locals_[name]} is NOT_PASSED:")
            self.emit(f"    {locals_[name]} = {default}")
            self.scope.names[name] = locals_[name]
        for name in ("varargs", "kwargs"):
            if name in locals_:
                self.scope.names[name] = locals_[name]
        # Names the body sets start as their outer values, as in a loop pass.
        self.push_scope([n for n in _stores(node.body) if n not in self.scope.names])
        buffer, saved = self.open_buffer()
        self.statements(node.body)
        self.emit(f"return ''.join({buffer})")
        self.pop_scope()
        self.writer, self.loops, self.soft = saved, loops, soft
        self.depth -= 1
        self.scope = outer
        self.emit(f"{ident} = Macro({func}, {node.name!r}, {tuple(names)!r}, {uses_varargs}, {uses_kwargs})")

    # expressions

    def expr(self, node: nodes.Node) -> str:
        method = getattr(self, f"expr_{type(node).__name__}", None)
        if method is not None:
            return method(node)
        kind = type(node).__name__
        if kind in _BINARY:
            return _BINARY[kind].format(self.expr(node.left), self.expr(node.right))
        if kind in _UNARY:
            return _UNARY[kind].format(self.expr(node.node))
        raise _Unsupported(f"{type(node).__name__} expressions are not supported in meshcharts templates",
                           node.lineno)

    def expr_Const(self, node: nodes.Const) -> str:  # noqa: N802
        value = node.value
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            return f"float({str(value)!r})"
        return repr(value)

    def expr_TemplateData(self, node: nodes.TemplateData) -> str:  # noqa: N802
        return repr(node.data)

    def expr_Name(self, node: nodes.Name) -> str:  # noqa: N802
        return self.lookup(node.name)

    def expr_Getattr(self, node: nodes.Getattr) -> str:  # noqa: N802
        # A values map's key read in place; anything else (or a missing key) through ga(). One
        # temporary serves every lookup: each is read right after it is set.
        key = repr(node.attr)
        return f"(_t[{key}] if type(_t := {self.expr(node.node)}) is dict and {key} in _t else ga(_t, {key}))"

    def expr_Getitem(self, node: nodes.Getitem) -> str:  # noqa: N802
        return f"gi({self.expr(node.node)}, {self.expr(node.arg)})"

    def expr_Slice(self, node: nodes.Slice) -> str:  # noqa: N802
        parts = [self.expr(p) if p is not None else "None" for p in (node.start, node.stop, node.step)]
        return f"slice({', '.join(parts)})"

    def arguments(self, node: Any) -> str:
        parts = [self.expr(a) for a in node.args]
        parts += [f"{k.key}={self.expr(k.value)}" for k in node.kwargs]
        if node.dyn_args is not None:
            parts.append(f"*{self.expr(node.dyn_args)}")
        if node.dyn_kwargs is not None:
            parts.append(f"**{self.expr(node.dyn_kwargs)}")
        return ", ".join(parts)

    def expr_Call(self, node: nodes.Call) -> str:  # noqa: N802
        return f"cl({self.expr(node.node)})({self.arguments(node)})"

    def filter(self, node: nodes.Filter, subject: str) -> str:
        """``node`` applied to ``subject``; in a filter block or ``set`` block the innermost filter
        of a chain has no node of its own and takes the captured text."""
        if isinstance(node.node, nodes.Filter) and self._chain_bottom(node.node):
            subject = self.filter(node.node, subject)
        if not self.table.knows_filter(node.name) and not self.soft:
            raise _Unsupported(f"template syntax error: No filter named {node.name!r}.", node.lineno)
        args = self.arguments(node)
        return f"{self.helper('filt', node.name)}({subject}{', ' + args if args else ''})"

    @staticmethod
    def _chain_bottom(node: nodes.Filter) -> bool:
        """Whether this chain of filters ends in a subject-less filter (a block's)."""
        while isinstance(node, nodes.Filter) and node.node is not None:
            node = node.node
        return isinstance(node, nodes.Filter) and node.node is None

    def expr_Filter(self, node: nodes.Filter) -> str:  # noqa: N802
        return self.filter(node, self.expr(node.node))

    def expr_Test(self, node: nodes.Test) -> str:  # noqa: N802
        subject = self.expr(node.node)
        if node.name == "defined" and not node.args:
            return f"(not isinstance({subject}, U))"
        if node.name == "undefined" and not node.args:
            return f"isinstance({subject}, U)"
        if node.name == "none" and not node.args:
            if isinstance(node.node, nodes.Const):  # known now (and `3 is None` makes Python warn)
                return repr(node.node.value is None)
            return f"({subject} is None)"
        if not self.table.knows_test(node.name) and not self.soft:
            raise _Unsupported(f"template syntax error: No test named {node.name!r}.", node.lineno)
        args = self.arguments(node)
        return f"{self.helper('test', node.name)}({subject}{', ' + args if args else ''})"

    def expr_CondExpr(self, node: nodes.CondExpr) -> str:  # noqa: N802
        self.soft += 1
        try:
            return self._cond_expr(node)
        finally:
            self.soft -= 1

    def _cond_expr(self, node: nodes.CondExpr) -> str:
        otherwise = (self.expr(node.expr2) if node.expr2 is not None else
                     f"U(None, {self.undefined_if(node.lineno)!r})")
        return f"({self.expr(node.expr1)} if {self.expr(node.test)} else {otherwise})"

    def expr_Compare(self, node: nodes.Compare) -> str:  # noqa: N802
        parts = [self.expr(node.expr)]
        for operand in node.ops:
            parts.append(f"{_COMPARE[operand.op]} {self.expr(operand.expr)}")
        return f"({' '.join(parts)})"

    def expr_Concat(self, node: nodes.Concat) -> str:  # noqa: N802
        return f"cc({', '.join(self.expr(n) for n in node.nodes)})"

    def constant(self, literal: str, node: nodes.Node) -> str:
        """``literal`` hoisted out of the render function when ``node`` holds only constants."""
        if not all(isinstance(n, (nodes.Const, nodes.List, nodes.Tuple, nodes.Dict, nodes.Pair))
                   for n in node.find_all(nodes.Expr)):
            return literal
        ident = f"K{len(self.constants)}"  # one per literal written: two equal ones stay two objects
        self.constants[ident] = literal
        return ident

    def expr_List(self, node: nodes.List) -> str:  # noqa: N802
        return self.constant(f"[{', '.join(self.expr(n) for n in node.items)}]", node)

    def expr_Tuple(self, node: nodes.Tuple) -> str:  # noqa: N802
        return self.constant("(" + "".join(self.expr(n) + ", " for n in node.items) + ")", node)

    def expr_Dict(self, node: nodes.Dict) -> str:  # noqa: N802
        return self.constant("{" + ", ".join(f"{self.expr(p.key)}: {self.expr(p.value)}" for p in node.items) + "}",
                             node)


def _target_names(node: nodes.Node) -> list[str]:
    if isinstance(node, nodes.Name):
        return [node.name]
    if isinstance(node, nodes.Tuple):
        return [n for item in node.items for n in _target_names(item)]
    return []
