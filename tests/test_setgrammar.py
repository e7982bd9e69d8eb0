"""The ``--set`` family: Helm's strvals grammar and typing (helm-semantics.md §2.6), one row per rule."""
from __future__ import annotations

import pytest

from meshcharts import render
from meshcharts.errors import ValuesError
from meshcharts.values import MAX_INDEX, user_values


def parse(arg: str, flag: str = "--set") -> dict:
    return user_values(sets=[(flag, arg)])


SET_TABLE = [
    # (argument, parsed values)
    ("outer.inner=value", {"outer": {"inner": "value"}}),
    ("a=1,b=2", {"a": 1, "b": 2}),
    ("a=-5", {"a": -5}),
    ("a=+5", {"a": 5}),
    ("a=0", {"a": 0}),
    ("a=007", {"a": "007"}),
    ("a=00", {"a": "00"}),
    ("a=1.5", {"a": "1.5"}),
    ("a=1e6", {"a": "1e6"}),
    ("a=9223372036854775808", {"a": "9223372036854775808"}),
    ("a=true", {"a": True}),
    ("a=TRUE", {"a": True}),
    ("a=False", {"a": False}),
    ("a=yes", {"a": "yes"}),
    ("a=null", {"a": None}),
    ("a=NULL", {"a": None}),
    ("a=~", {"a": "~"}),
    ("a=", {"a": ""}),
    ("a={x,y}", {"a": ["x", "y"]}),
    ("a={}", {"a": [""]}),
    ("a={1,true,null,}", {"a": [1, True, None, ""]}),
    ("a={x,y},b=1", {"a": ["x", "y"], "b": 1}),
    ("a[1]=x", {"a": [None, "x"]}),
    ("a[0][1]=x", {"a": [[None, "x"]]}),
    ("a[0].b=c", {"a": [{"b": "c"}]}),
    ("a.b[2].c=1", {"a": {"b": [None, None, {"c": 1}]}}),
    ("a={x,y},a[1]=z", {"a": ["x", "z"]}),
    ("a=1,a=2", {"a": 2}),
    ("a.b=1,a=2", {"a": 2}),
    ("a= spaced ", {"a": " spaced "}),
    ("a=1 ,b=2", {"a": "1 ", "b": 2}),
    ("name=value=with=equals", {"name": "value=with=equals"}),
    ("url=http://x/y?q=1", {"url": "http://x/y?q=1"}),
    (r"a\.b=1", {"a.b": 1}),
    (r"annotations.kubernetes\.io/ingress\.class=nginx", {"annotations": {"kubernetes.io/ingress.class": "nginx"}}),
    (r"a=x\,y", {"a": "x,y"}),
    (".a=1", {}),
    # Go's strconv.Atoi reads an index: a sign is allowed (Helm: a[+0]=x gives {a: [x]}).
    ("a[+0]=x", {"a": ["x"]}),
    ("a[-0]=x", {"a": ["x"]}),
    ("a[00]=x", {"a": ["x"]}),
]


@pytest.mark.parametrize(("arg", "expected"), SET_TABLE, ids=[a for a, _ in SET_TABLE])
def test_set_parses_and_types(arg, expected):
    assert parse(arg) == expected


@pytest.mark.parametrize(("arg", "path", "kind"), [
    ("a=5", ("a",), int),
    ("a=-5", ("a",), int),
    ("a=1.5", ("a",), str),
    ("a=007", ("a",), str),
    ("a=true", ("a",), bool),
    ("a={1,x}", ("a", 0), int),
], ids=["int", "negative-int", "decimal-stays-string", "leading-zero-stays-string", "bool", "list-item-int"])
def test_set_value_types(arg, path, kind):
    value = parse(arg)
    for step in path:
        value = value[step]
    assert type(value) is kind


STRING_TABLE = [
    ("a=1", {"a": "1"}),
    ("a=true", {"a": "true"}),
    ("a=null", {"a": "null"}),
    ("a={1,false}", {"a": ["1", "false"]}),
    ("a.b[1]=007", {"a": {"b": [None, "007"]}}),
]


@pytest.mark.parametrize(("arg", "expected"), STRING_TABLE, ids=[a for a, _ in STRING_TABLE])
def test_set_string_keeps_strings(arg, expected):
    assert parse(arg, "--set-string") == expected


ERROR_TABLE = [
    # (flag, argument, fragment of the message)
    ("--set", "a", "KEY=VALUE"),
    ("--set", "a,b=1", "no value"),
    ("--set", "a.=1", "no value"),
    ("--set", "a[-1]=1", "negative"),
    ("--set", "a[x]=1", "not a number"),
    ("--set", "a[1=1", "index"),
    ("--set", "a=[1,2]", "no value"),
    ("--set", "a=1,a.b=2", "not a map"),
    ("--set", "a={x,y", "'}'"),
    ("--set", f"a[{MAX_INDEX + 1}]=1", f"maximum supported index of {MAX_INDEX}"),
    ("--set", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.aa.bb.cc.dd.ee.ff=1", "nested level"),
    ("--set-string", "a[-1]=x", "negative"),
    # Helm: `strconv.Atoi: parsing " 0 ": invalid syntax` (no spaces, no base prefix).
    ("--set", "a[ 0 ]=x", "not a number"),
    ("--set", "a[0x1]=x", "not a number"),
    # Helm: "interface conversion: interface {} is nil, not map[string]interface {}".
    ("--set", "a=null,a.b=1", "is null, not a map"),
    # Helm drops a value with no key silently; meshcharts says so.
    ("--set", "=1", "no key before '='"),
    ("--set", "a=1,=x", "no key before '='"),
    ("--set-file", "a=/nonexistent/meshcharts-set-file", "not found"),
]


@pytest.mark.parametrize(("flag", "arg", "fragment"), ERROR_TABLE, ids=[f"{f} {a}"[:60] for f, a, _ in ERROR_TABLE])
def test_bad_set_argument_is_an_error_naming_it(flag, arg, fragment):
    with pytest.raises(ValuesError) as info:
        parse(arg, flag)
    message = str(info.value)
    assert message.startswith(f"{flag} {arg}: ")
    assert fragment in message


def test_index_cap_itself_is_allowed():
    assert len(parse(f"a[{MAX_INDEX}]=x")["a"]) == MAX_INDEX + 1


def test_set_file_reads_the_file_verbatim(tmp_path):
    path = tmp_path / "cert.pem"
    path.write_text("line1\nline2,with=specials\n")
    assert parse(f"tls.cert={path}", "--set-file") == {"tls": {"cert": "line1\nline2,with=specials\n"}}


@pytest.mark.parametrize(("file_text", "arg", "expected"), [
    ("a: [p, q, r]\n", "a[1]=x", {"a": ["p", "x", "r"]}),
    ("a: {b: 1, c: 2}\n", "a.d=3", {"a": {"b": 1, "c": 2, "d": 3}}),
    ("a: [{p: 1, q: 2}]\n", "a[0].p=9", {"a": [{"p": 9, "q": 2}]}),
    ("a: {b: 1}\n", "a=2", {"a": 2}),
], ids=["list-index-edits-element", "key-adds-into-map", "index-then-key-edits-item", "scalar-replaces-map"])
def test_set_applies_in_place_over_values_files(tmp_path, file_text, arg, expected):
    path = tmp_path / "v.yaml"
    path.write_text(file_text)
    assert user_values([(path, str(path))], [("--set", arg)]) == expected


@pytest.mark.parametrize(("arg", "printed"), [
    ("n=1000000", "1000000"),
    ("n=1.5", "1.5"),
    ("n=007", "007"),
    ("n=TRUE", "true"),
], ids=["int-prints-plainly", "decimal-string", "leading-zero-string", "bool"])
def test_set_values_print_in_templates(render_chart, arg, printed):
    manifest = render_chart({"templates/t.yaml": "kind: T\nv: '{{ Values.n }}'\n"}, set_values=[arg])
    assert manifest.documents[0].object["v"] == printed


def test_bad_set_in_render_names_the_argument(make_chart):
    chart = make_chart({"templates/t.yaml": "kind: T\n"})
    with pytest.raises(ValuesError, match=r"^--set a\[-1\]=1: "):
        render(chart=chart, set_values=["ok=1", "a[-1]=1"])
