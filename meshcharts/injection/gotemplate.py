"""A small interpreter of Go's ``text/template`` language, as Go 1.10 runs it (the Go of Istio 1.0).

The sidecar injector's template is Go template text with ``[[ ]]`` delimiters; injecting means
running it on each pod. This module parses such a template once and executes it on plain Python
data shaped like Go values (see :class:`GoStruct`). It covers the language the injector's
templates use: text and actions with ``-`` trim markers, comments, pipelines, variables
(``$x :=``, ``$x =``), field and map-key chains, method calls on values that offer them
(``.InterceptionMode.String``), ``if``/``else if``/``else``, ``range``, ``with``, parenthesised
pipelines, string/raw-string/number/bool/nil literals, and Go's built-in functions (``and``,
``or``, ``not``, ``eq``, ``ne``, ``lt``, ``le``, ``gt``, ``ge``, ``len``, ``index``, ``print``,
``printf``, ``println``, ``html``, ``js``, ``urlquery``, ``call``). Functions are only those
built in and those the caller passes in; a name that is neither, and ``define``/``template``/
``block``, are errors naming the template line, as Go reports them at parse time.
"""
from __future__ import annotations

import math
import re
from urllib.parse import quote_plus

from ..errors import MeshchartsError
from ..golang import go_g, go_quote

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable


class GoTemplateError(MeshchartsError):
    """A template that does not parse, or fails while running; ``line`` is 1-based."""

    def __init__(self, message: str, line: int, where: str | None = None):
        super().__init__(f"line {line}: {message}", where)
        self.line = line
        self.problem = message


# --- values -----------------------------------------------------------------------------------

class _NoValue:
    """What Go prints as ``<no value>``: a missing map key read as a field, or an unset variable."""
    __slots__ = ()

    def __repr__(self) -> str:
        return "<no value>"


NO_VALUE = _NoValue()


class GoStruct:
    """A Go struct value: ``fields`` by Go name, plus methods callable from the template
    (``methods`` by name, each taking the receiver's arguments). ``type_name`` is used in
    messages and by functions that check their argument types."""

    def __init__(self, type_name: str, fields: dict[str, Any] | None = None,
                 methods: dict[str, Callable[..., Any]] | None = None):
        self.type_name = type_name
        self.fields = fields if fields is not None else {}
        self.methods = methods or {}

    def field(self, name: str) -> Any:
        """The field's value; KeyError when the struct has no such field."""
        return self.fields[name]

    def __repr__(self) -> str:
        return f"{self.type_name}{self.fields!r}"


class GoEnum:
    """A protobuf enum value: prints (and compares, through ``annotation``) as its name, and
    has Go's ``String`` method."""
    __slots__ = ("name", "number")

    def __init__(self, name: str, number: int):
        self.name, self.number = name, number

    @property
    def methods(self) -> dict[str, Callable[..., Any]]:
        return {"String": lambda: self.name}

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"GoEnum({self.name})"


def truth(value: Any) -> bool:
    """Go template truth: false, 0, "", nil and empty maps/slices are false; structs are true."""
    if value is None or value is NO_VALUE:
        return False
    if isinstance(value, (bool, int, float, str, list, tuple, dict)):
        return bool(value)
    return True


def _go_float(f: float) -> str:
    """A float64 as Go's ``%v`` prints it (shortest digits, exponent below 1e-4 and from 1e21)."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    return go_g(f, 21)


def go_sprint_one(value: Any) -> str:
    """One value as Go's ``fmt.Sprint`` writes it."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _go_float(value)
    if value is None:
        return "<nil>"
    if value is NO_VALUE:
        return "<no value>"
    if isinstance(value, GoEnum):
        return value.name
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(go_sprint_one(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{go_sprint_one(k)}:{go_sprint_one(value[k])}" for k in sorted(value)) + "]"
    methods = getattr(value, "methods", None)
    if methods and "String" in methods:
        return methods["String"]()
    if isinstance(value, GoStruct):
        return "{" + " ".join(go_sprint_one(value.fields[k]) for k in value.fields) + "}"
    return str(value)


def go_sprint(*args: Any) -> str:
    """``fmt.Sprint``: a space between operands when neither side is a string."""
    out = []
    for i, a in enumerate(args):
        if i > 0 and not isinstance(a, str) and not isinstance(args[i - 1], str):
            out.append(" ")
        out.append(go_sprint_one(a))
    return "".join(out)


_VERB = re.compile(r"%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*))?([a-zA-Z%])")


def go_sprintf(fmt: str, *args: Any) -> str:
    """``fmt.Sprintf`` for the verbs templates use: %s %v %d %q %t %x %X %f %%, with flags,
    width and precision; a missing or surplus operand is written the way Go writes it."""
    out: list[str] = []
    pos = 0
    arg_i = 0
    for m in _VERB.finditer(fmt):
        out.append(fmt[pos:m.start()])
        pos = m.end()
        flags, width, prec, verb = m.groups()
        if verb == "%":
            out.append("%")
            continue
        if arg_i >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        a = args[arg_i]
        arg_i += 1
        if verb in "sv":
            text = go_sprint_one(a)
            if verb == "s" and prec and prec.isdigit():
                text = text[:int(prec)]
        elif verb == "d" and isinstance(a, int) and not isinstance(a, bool):
            text = str(a)
        elif verb in "xX" and isinstance(a, (int, str)) and not isinstance(a, bool):
            text = format(a, "x") if isinstance(a, int) else a.encode().hex()
            text = text.upper() if verb == "X" else text
        elif verb == "q" and isinstance(a, str):
            text = go_quote(a)
        elif verb == "t" and isinstance(a, bool):
            text = "true" if a else "false"
        elif verb in "feg" and isinstance(a, (int, float)) and not isinstance(a, bool):
            p = int(prec) if prec and prec.isdigit() else 6
            text = format(float(a), f".{p}{verb}") if verb != "g" else _go_float(float(a))
        else:
            text = f"%!{verb}({_go_type(a)}={go_sprint_one(a)})"
        if width and width.isdigit() and len(text) < int(width):
            pad = int(width) - len(text)
            if "-" in flags:
                text = text + " " * pad
            elif "0" in flags and verb in "dxXfeg":
                sign = text[0] if text[:1] in "+-" else ""
                text = sign + "0" * pad + text[len(sign):]
            else:
                text = " " * pad + text
        out.append(text)
    out.append(fmt[pos:])
    if arg_i < len(args):
        out.append("%!(EXTRA " + ", ".join(f"{_go_type(a)}={go_sprint_one(a)}" for a in args[arg_i:]) + ")")
    return "".join(out)


def _go_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "[]interface {}"
    if isinstance(value, dict):
        return "map[string]string"
    if value is None:
        return "<nil>"
    return getattr(value, "type_name", type(value).__name__)


# --- lexing -----------------------------------------------------------------------------------

_SPACE = " \t\r\n"
_TOKEN = re.compile(r"""
    (?P<space>[ \t\r\n]+)
  | (?P<declare>:=)
  | (?P<assign>=)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<pipe>\|)
  | (?P<comma>,)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<char>'(?:[^'\\\n]|\\.)+')
  | (?P<number>[+-]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)(?![\w.]))
  | (?P<variable>\$[A-Za-z0-9_]*)
  | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+)
  | (?P<dot>\.)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
""", re.X)
KEYWORDS = {"if", "else", "end", "range", "with", "define", "template", "block", "nil", "true", "false"}


class Tok:
    __slots__ = ("kind", "text", "line", "spaced")

    def __init__(self, kind: str, text: str, line: int, spaced: bool = False):
        self.kind, self.text, self.line = kind, text, line
        self.spaced = spaced  # space before it: `(x) .F` is two operands, `(x).F` one

    def __repr__(self) -> str:
        return f"{self.kind}:{self.text}"


def _lex(src: str, left: str, right: str) -> list[tuple[str, Any, int]]:
    """The template as ("text", str, line) and ("action", [Tok...], line) pieces, trim markers
    applied to the neighbouring text."""
    pieces: list[tuple[str, Any, int]] = []
    pos, line, n = 0, 1, len(src)
    trim_next = False
    while pos <= n:
        start = src.find(left, pos)
        if start < 0:
            text = src[pos:]
            if trim_next:
                text = text.lstrip(_SPACE)
            if text:
                pieces.append(("text", text, line))
            break
        text = src[pos:start]
        if trim_next:
            text = text.lstrip(_SPACE)
        inner = start + len(left)
        trim_left = src.startswith("- ", inner)  # Go 1.10: a dash and one space
        if trim_left:
            text = text.rstrip(_SPACE)
            inner += 2
        if text:
            pieces.append(("text", text, line))
        line += src.count("\n", pos, start)
        action_line = line
        # A comment: the whole action is /* ... */.
        if src.startswith("/*", inner):
            close = src.find("*/", inner + 2)
            if close < 0:
                raise GoTemplateError("unclosed comment", action_line)
            after = close + 2
            if src.startswith(" -" + right, after):
                trim_next, end = True, after + 2 + len(right)
            elif src.startswith(right, after):
                trim_next, end = False, after + len(right)
            else:
                raise GoTemplateError("comment ends before closing delimiter", action_line)
            line += src.count("\n", start, end)
            pos = end
            continue
        toks: list[Tok] = []
        spaced = False
        p = inner
        cur_line = action_line + src.count("\n", start, inner)
        while True:
            if p >= n:
                raise GoTemplateError("unclosed action", action_line)
            if src.startswith(" -" + right, p):
                trim_next, p = True, p + 2 + len(right)
                break
            if src.startswith(right, p):
                trim_next, p = False, p + len(right)
                break
            m = _TOKEN.match(src, p)
            if not m:
                raise GoTemplateError(f"unexpected {src[p]!r} in command", cur_line)
            kind = m.lastgroup
            text = m.group()
            if kind == "space":
                if "\n" in text:  # Go 1.10 refuses line breaks inside an action
                    raise GoTemplateError("unexpected newline in action", cur_line)
            elif kind == "ident" and text in KEYWORDS:
                toks.append(Tok(text if text not in ("true", "false") else "bool", text, cur_line, spaced))
            else:
                toks.append(Tok(kind, text, cur_line, spaced))
            spaced = kind == "space"
            cur_line += text.count("\n")
            p = m.end()
        pieces.append(("action", toks, action_line))
        line += src.count("\n", start, p)
        pos = p
    return pieces


# --- parsing ----------------------------------------------------------------------------------
# Nodes are tuples, for speed: ("text", s) ("action", line, pipe) ("if"|"with", line, pipe, body,
# else_body) ("range", line, pipe, body, else_body); a pipe is (decl_vars, is_assign, commands);
# a command is a list of operands; an operand is ("field", names) ("dot",) ("var", name, names)
# ("func", name) ("lit", value) ("pipe", pipe, names) ("chain", operand, names).

class _Parser:
    def __init__(self, pieces: list[tuple[str, Any, int]], funcs: dict[str, Any]):
        self.pieces = pieces
        self.i = 0
        self.funcs = funcs
        self.vars: list[str] = ["$"]

    def parse(self) -> list:
        body, end = self.list_until(())
        if end is not None:
            raise GoTemplateError(f"unexpected {{{{{end[0]}}}}}", end[1])
        return body

    def list_until(self, stops: tuple[str, ...]) -> tuple[list, tuple | None]:
        nodes: list = []
        while self.i < len(self.pieces):
            kind, value, line = self.pieces[self.i]
            self.i += 1
            if kind == "text":
                nodes.append(("text", value))
                continue
            toks = value
            if not toks:
                raise GoTemplateError("missing value for command", line)
            head = toks[0].kind
            if head in ("end", "else"):
                if head not in stops:
                    raise GoTemplateError(f"unexpected {{{{{head}}}}}", line)
                return nodes, (head, line, toks)
            if head in ("if", "range", "with"):
                nodes.append(self.control(head, toks[1:], line))
            elif head in ("define", "template", "block"):
                raise GoTemplateError(f"{{{{{head}}}}} is not supported in this template", line)
            else:
                nodes.append(("action", line, self.pipeline(toks, line, "command")))
        if stops:
            raise GoTemplateError("unexpected EOF (missing {{end}})", self.pieces[-1][2] if self.pieces else 1)
        return nodes, None

    def control(self, kind: str, toks: list[Tok], line: int) -> tuple:
        depth = len(self.vars)
        pipe = self.pipeline(toks, line, kind, allow_two=kind == "range")
        body, end = self.list_until(("end", "else"))
        else_body: list = []
        assert end is not None
        if end[0] == "else":
            rest = end[2][1:]
            if rest:  # else if ... : a nested if that shares our end
                if rest[0].kind != "if" or kind != "if":
                    raise GoTemplateError("unexpected tokens after {{else}}", end[1])
                else_body = [self.control("if", rest[1:], end[1])]
            else:
                else_body, end2 = self.list_until(("end",))
                assert end2 is not None
                if len(end2[2]) > 1:
                    raise GoTemplateError("unexpected tokens after {{end}}", end2[1])
        elif len(end[2]) > 1:
            raise GoTemplateError("unexpected tokens after {{end}}", end[1])
        del self.vars[depth:]
        return (kind, line, pipe, body, else_body)

    def pipeline(self, toks: list[Tok], line: int, context: str, allow_two: bool = False) -> tuple:
        decl: list[str] = []
        assign = False
        # $x := ..., $i, $e := ... (range), $x = ...
        if toks and toks[0].kind == "variable":
            if len(toks) > 1 and toks[1].kind in ("declare", "assign"):
                decl, assign, toks = [toks[0].text], toks[1].kind == "assign", toks[2:]
            elif allow_two and len(toks) > 3 and toks[1].kind == "comma" and toks[2].kind == "variable" \
                    and toks[3].kind == "declare":
                decl, toks = [toks[0].text, toks[2].text], toks[4:]
        if assign:
            if decl[0] not in self.vars:
                raise GoTemplateError(f"undefined variable: {decl[0]}", line)
        else:
            self.vars.extend(decl)
        commands: list[list] = []
        cmd: list = []
        i = 0
        while i < len(toks):
            t = toks[i]
            if t.kind == "pipe":
                if not cmd:
                    raise GoTemplateError("missing command before |", t.line)
                commands.append(cmd)
                cmd = []
                i += 1
                continue
            operand, i = self.operand(toks, i, line)
            cmd.append(operand)
        if cmd:
            commands.append(cmd)
        elif commands:
            raise GoTemplateError("missing command after |", line)
        if not commands:
            raise GoTemplateError(f"missing value for {context}", line)
        for c in commands[1:]:
            if c[0][0] == "lit":
                raise GoTemplateError(f"non executable command in pipeline stage {commands.index(c) + 1}", line)
        return (decl, assign, commands)

    def operand(self, toks: list[Tok], i: int, line: int) -> tuple[tuple, int]:
        t = toks[i]
        k = t.kind
        if k == "field":
            node: tuple = ("field", t.text[1:].split("."))
        elif k == "dot":
            node = ("dot",)
        elif k == "variable":
            name, _, rest = t.text.partition(".")
            if name not in self.vars:
                raise GoTemplateError(f"undefined variable {name!r}", t.line)
            node = ("var", name, rest.split(".") if rest else [])
        elif k == "ident":
            if t.text not in self.funcs and t.text not in BUILTINS:
                raise GoTemplateError(f'function "{t.text}" not defined', t.line)
            node = ("func", t.text)
        elif k == "string":
            node = ("lit", _unquote(t.text, t.line))
        elif k == "raw":
            node = ("lit", t.text[1:-1])
        elif k == "char":
            node = ("lit", ord(_unquote('"' + t.text[1:-1] + '"', t.line)))
        elif k == "number":
            node = ("lit", _number(t.text, t.line))
        elif k == "bool":
            node = ("lit", t.text == "true")
        elif k == "nil":
            node = ("lit", None)
        elif k == "lparen":
            depth, j = 1, i + 1
            while j < len(toks) and depth:
                depth += {"lparen": 1, "rparen": -1}.get(toks[j].kind, 0)
                j += 1
            if depth:
                raise GoTemplateError("unclosed left paren", t.line)
            node = ("pipe", self.pipeline(toks[i + 1:j - 1], t.line, "parenthesized pipeline"), [])
            i = j - 1
        else:
            raise GoTemplateError(f"unexpected {t.text!r} in operand", t.line)
        i += 1
        # A field chain straight after a term: (pipe).Field, $x.Field (already split), .A.B
        if i < len(toks) and toks[i].kind == "field" and not toks[i].spaced and k in ("lparen", "variable", "field",
                                                                                      "dot"):
            names = toks[i].text[1:].split(".")
            if k == "dot":
                raise GoTemplateError("unexpected . after term", t.line)
            node = ("chain", node, names)
            i += 1
        return node, i


def _unquote(text: str, line: int) -> str:
    try:
        import ast  # 7 ms, only for a quoted string in a template
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise GoTemplateError(f"bad string literal {text}", line) from None


def _number(text: str, line: int) -> int | float:
    t = text.replace("_", "")
    try:
        if t.lstrip("+-").lower().startswith("0x"):
            return int(t, 16)
        if re.fullmatch(r"[+-]?\d+", t):
            if len(t.lstrip("+-")) > 1 and t.lstrip("+-").startswith("0"):
                return int(t, 8)
            return int(t)
        return float(t)
    except ValueError:
        raise GoTemplateError(f"bad number syntax: {text!r}", line) from None


# --- execution --------------------------------------------------------------------------------

class _Exec:
    __slots__ = ("funcs", "out", "vars")

    def __init__(self, funcs: dict[str, Any]):
        self.funcs = funcs
        self.out: list[str] = []
        self.vars: list[tuple[str, Any]] = []

    def walk(self, nodes: list, dot: Any) -> None:
        out = self.out
        for node in nodes:
            kind = node[0]
            if kind == "text":
                out.append(node[1])
            elif kind == "action":
                value = self.pipe(node[2], dot, node[1])
                if not node[2][0]:  # a declaration prints nothing
                    out.append(value if type(value) is str else go_sprint_one(value))
            elif kind == "if" or kind == "with":
                depth = len(self.vars)
                value = self.pipe(node[2], dot, node[1])
                if truth(value):
                    self.walk(node[3], value if kind == "with" else dot)
                else:
                    self.walk(node[4], dot)
                del self.vars[depth:]
            else:
                self.range(node, dot)

    def range(self, node: tuple, dot: Any) -> None:
        _, line, pipe, body, else_body = node
        depth = len(self.vars)
        decl = pipe[0]
        value = self.pipe((), dot, line, pipe[2])
        if isinstance(value, dict):
            items = [(k, value[k]) for k in sorted(value)]
        elif isinstance(value, (list, tuple)):
            items = list(enumerate(value))
        elif value is None or value is NO_VALUE:
            items = []
        else:
            raise GoTemplateError(f"range can't iterate over {go_sprint_one(value)}", line)
        if not items:
            self.walk(else_body, dot)
        for key, item in items:
            if len(decl) == 1:
                self.vars.append((decl[0], item))
            elif len(decl) == 2:
                self.vars.append((decl[0], key))
                self.vars.append((decl[1], item))
            self.walk(body, item)
            del self.vars[depth:]
        del self.vars[depth:]

    def lookup(self, name: str, line: int) -> Any:
        for n, v in reversed(self.vars):
            if n == name:
                return v
        raise GoTemplateError(f"undefined variable: {name}", line)

    def pipe(self, pipe: tuple, dot: Any, line: int, commands: list | None = None) -> Any:
        if commands is None:
            decl, assign, commands = pipe
        else:
            decl, assign = (), False
        value: Any = _MISSING
        for cmd in commands:
            value = self.command(cmd, dot, value, line)
        if decl and len(decl) == 1:
            if assign:
                for i in range(len(self.vars) - 1, -1, -1):
                    if self.vars[i][0] == decl[0]:
                        self.vars[i] = (decl[0], value)
                        break
            else:
                self.vars.append((decl[0], value))
        return value

    def command(self, cmd: list, dot: Any, final: Any, line: int) -> Any:
        first = cmd[0]
        kind = first[0]
        if kind == "func":
            args = [self.arg(a, dot, line) for a in cmd[1:]]
            if final is not _MISSING:
                args.append(final)
            return self.call(first[1], args, line)
        if kind == "field":
            return self.chain(dot, first[1], cmd[1:], dot, final, line)
        if kind == "chain":
            base = self.arg(first[1], dot, line)
            return self.chain(base, first[2], cmd[1:], dot, final, line)
        if kind == "var":
            base = self.lookup(first[1], line)
            if first[2]:
                return self.chain(base, first[2], cmd[1:], dot, final, line)
            value = base
        elif kind == "dot":
            value = dot
        elif kind == "pipe":
            value = self.pipe(first[1], dot, line)
        else:
            value = first[1]
        if len(cmd) > 1 or final is not _MISSING:
            raise GoTemplateError(f"can't give argument to non-function {_describe(first)}", line)
        return value

    def arg(self, node: tuple, dot: Any, line: int) -> Any:
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "dot":
            return dot
        if kind == "field":
            return self.chain(dot, node[1], [], dot, _MISSING, line)
        if kind == "var":
            base = self.lookup(node[1], line)
            return self.chain(base, node[2], [], dot, _MISSING, line) if node[2] else base
        if kind == "pipe":
            return self.pipe(node[1], dot, line)
        if kind == "chain":
            return self.chain(self.arg(node[1], dot, line), node[2], [], dot, _MISSING, line)
        # a bare function name as an argument is a call without arguments (Go allows it)
        return self.call(node[1], [], line)

    def chain(self, value: Any, names: list[str], arg_nodes: list, dot: Any, final: Any, line: int) -> Any:
        last = len(names) - 1
        for i, name in enumerate(names):
            has_args = i == last and (arg_nodes or final is not _MISSING)
            methods = getattr(value, "methods", None)
            if methods and name in methods:
                args = [self.arg(a, dot, line) for a in arg_nodes] if i == last else []
                if i == last and final is not _MISSING:
                    args.append(final)
                try:
                    value = methods[name](*args)
                except TypeError:
                    raise GoTemplateError(f"wrong number of args for {name}: got {len(args)}", line) from None
                continue
            if has_args:
                raise GoTemplateError(f"{name} is not a method but has arguments", line)
            if isinstance(value, GoStruct):
                try:
                    value = value.field(name)
                except KeyError:
                    raise GoTemplateError(f"can't evaluate field {name} in type {value.type_name}", line) from None
            elif isinstance(value, dict):
                value = value.get(name, NO_VALUE)
            elif value is None:
                raise GoTemplateError(f"nil pointer evaluating {name}", line)
            else:
                raise GoTemplateError(f"can't evaluate field {name} in type {_go_type(value)}", line)
        return value

    def call(self, name: str, args: list, line: int) -> Any:
        fn = self.funcs.get(name) or BUILTINS[name]
        try:
            return fn(*args)
        except GoTemplateError:
            raise
        except CallError as e:
            raise GoTemplateError(f"error calling {name}: {e}", line) from None
        except TypeError as e:
            if "positional argument" in str(e) or "takes" in str(e):
                raise GoTemplateError(f"wrong number of args for {name}: got {len(args)}", line) from None
            raise


_MISSING = object()


def _describe(node: tuple) -> str:
    if node[0] == "lit":
        return go_sprint_one(node[1])
    if node[0] == "dot":
        return "."
    return node[0]


class CallError(Exception):
    """Raised by a template function (built in, or given by the caller) to refuse its
    arguments; the template reports it as ``error calling NAME: ...`` on the action's line."""


# --- Go's built-in functions -------------------------------------------------------------------

def _basic(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, GoEnum):
        return "int"
    raise CallError("invalid type for comparison")


def _plain(value: Any) -> Any:
    return value.number if isinstance(value, GoEnum) else value


def _eq(a: Any, *others: Any) -> bool:
    if not others:
        raise CallError("missing argument for comparison")
    ka = _basic(a)
    for b in others:
        kb = _basic(b)
        if ka != kb:
            raise CallError("incompatible types for comparison")
        if _plain(a) == _plain(b):
            return True
    return False


def _lt(a: Any, b: Any) -> bool:
    ka, kb = _basic(a), _basic(b)
    if ka != kb:
        raise CallError("incompatible types for comparison")
    if ka == "bool":
        raise CallError("invalid type for comparison")
    return _plain(a) < _plain(b)


def _and(*args: Any) -> Any:
    if not args:
        raise CallError("wrong number of args for and: want at least 1 got 0")
    for a in args:
        if not truth(a):
            return a
    return args[-1]


def _or(*args: Any) -> Any:
    if not args:
        raise CallError("wrong number of args for or: want at least 1 got 0")
    for a in args:
        if truth(a):
            return a
    return args[-1]


def _len(value: Any) -> int:
    if isinstance(value, (str, list, tuple, dict)):
        return len(value.encode() if isinstance(value, str) else value)
    raise CallError(f"len of type {_go_type(value)}")


def _index(item: Any, *indexes: Any) -> Any:
    if item is None:
        raise CallError("index of untyped nil")
    for ix in indexes:
        if isinstance(item, dict):
            if not isinstance(ix, str):
                raise CallError(f"value has type {_go_type(ix)}; should be string")
            item = item.get(ix, "")  # a missing key gives the element type's zero value
        elif isinstance(item, (list, tuple, str)):
            if not isinstance(ix, int) or isinstance(ix, bool):
                raise CallError(f"cannot index slice/array with type {_go_type(ix)}")
            if not 0 <= ix < len(item):
                raise CallError(f"index out of range: {ix}")
            item = item[ix] if not isinstance(item, str) else item.encode()[ix]
        else:
            raise CallError(f"can't index item of type {_go_type(item)}")
    return item


def _html(*args: Any) -> str:
    s = go_sprint(*args)
    return (s.replace("&", "&amp;").replace("'", "&#39;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("\x00", "\ufffd"))


def _js(*args: Any) -> str:
    out = []
    for c in go_sprint(*args):
        if c in "\\'\"":
            out.append("\\" + c)
        elif c == "<":
            out.append("\\x3C")
        elif c == ">":
            out.append("\\x3E")
        elif c == "&":
            out.append("\\x26")
        elif c == "=":
            out.append("\\x3D")
        elif ord(c) < 0x20:
            out.append(f"\\x{ord(c):02X}" if c not in "\n\r\t" else {"\n": "\\n", "\r": "\\r", "\t": "\\t"}[c])
        else:
            out.append(c)
    return "".join(out)


def _urlquery(*args: Any) -> str:
    return quote_plus(go_sprint(*args), safe="-_.~")


def _call(fn: Any, *args: Any) -> Any:
    if not callable(fn):
        raise CallError(f"non-function of type {_go_type(fn)}")
    return fn(*args)


BUILTINS: dict[str, Callable[..., Any]] = {
    "and": _and, "or": _or, "not": lambda a: not truth(a),
    "eq": _eq, "ne": lambda a, b: not _eq(a, b), "lt": _lt, "le": lambda a, b: _lt(a, b) or _eq(a, b),
    "gt": lambda a, b: not (_lt(a, b) or _eq(a, b)), "ge": lambda a, b: not _lt(a, b),
    "len": _len, "index": _index, "print": go_sprint, "printf": go_sprintf,
    "println": lambda *a: " ".join(go_sprint_one(x) for x in a) + "\n",
    "html": _html, "js": _js, "urlquery": _urlquery, "call": _call,
}


class Template:
    """A parsed template: ``Template(text, funcs, delims=("[[", "]]"))``, then ``execute(data)``."""

    def __init__(self, text: str, funcs: dict[str, Callable[..., Any]] | None = None,
                 delims: tuple[str, str] = ("{{", "}}")):
        self.text = text
        self.funcs = dict(funcs or {})
        self.tree = _Parser(_lex(text, *delims), self.funcs).parse()

    def execute(self, data: Any) -> str:
        ex = _Exec(self.funcs)
        ex.vars.append(("$", data))
        ex.walk(self.tree, data)
        return "".join(ex.out)
