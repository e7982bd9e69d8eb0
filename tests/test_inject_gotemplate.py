"""The Go text/template interpreter the injector's template runs on: Go 1.10's language and
built-ins, and located errors for anything else. Expected texts are what Go's text/template
prints for the same template and data."""
from __future__ import annotations

import pytest

from meshcharts.injection.gotemplate import GoEnum, GoStruct, GoTemplateError, Template, go_sprintf
from meshcharts.golang import duration_ns, format_duration


def run(text: str, data=None, funcs=None, delims=("[[", "]]")) -> str:
    return Template(text, funcs, delims).execute(data)


DATA = GoStruct("Data", {
    "Name": "web", "Port": 8080, "Zero": 0, "Empty": "", "On": True,
    "Labels": {"app": "web", "tier": "front"}, "None": {},
    "Items": ["a", "b"], "Mode": GoEnum("REDIRECT", 0),
    "Inner": GoStruct("Inner", {"Value": "deep"}),
})


@pytest.mark.parametrize("template, expected", [
    ("plain text", "plain text"),
    ("[[ .Name ]]:[[ .Port ]]", "web:8080"),
    ("[[ .Inner.Value ]]", "deep"),
    ("[[ .Labels.app ]]|[[ .Labels.missing ]]", "web|<no value>"),
    ('[[ index .Labels "tier" ]]|[[ index .Labels "missing" ]]|', "front||"),
    ("[[ .Mode ]] [[ .Mode.String ]]", "REDIRECT REDIRECT"),
    ("a  [[- .Name -]]  b", "awebb"),
    ("a\n  [[- .Name ]]\n", "aweb\n"),
    ("[[/* a comment */]]x", "x"),
    ("a [[- /* trimmed */ -]] b", "ab"),
    ("[[ if .On ]]yes[[ else ]]no[[ end ]]", "yes"),
    ("[[ if .Zero ]]yes[[ else if .Empty ]]empty[[ else ]]neither[[ end ]]", "neither"),
    ("[[ if .None ]]map[[ else ]]empty map[[ end ]]", "empty map"),
    ("[[ if .Inner ]]structs are true[[ end ]]", "structs are true"),
    ("[[ range .Items ]]<[[ . ]]>[[ end ]]", "<a><b>"),
    ("[[ range $i, $e := .Items ]][[ $i ]]=[[ $e ]] [[ end ]]", "0=a 1=b "),
    ("[[ range $k, $v := .Labels ]][[ $k ]]:[[ $v ]],[[ end ]]", "app:web,tier:front,"),
    ("[[ range .None ]]x[[ else ]]nothing[[ end ]]", "nothing"),
    ("[[ with .Inner ]][[ .Value ]][[ end ]]", "deep"),
    ("[[ $x := .Name ]][[ $x ]]-[[ $.Port ]]", "web-8080"),
    ("[[ $x := 1 ]][[ if .On ]][[ $x = 2 ]][[ end ]][[ $x ]]", "2"),
    ('[[ "quoted\\n" ]][[ `raw\\n` ]]', "quoted\nraw\\n"),
    ("[[ 42 ]] [[ -7 ]] [[ 0x1F ]] [[ 1.5 ]] [[ true ]]", "42 -7 31 1.5 true"),
    ('[[ eq .Name "web" ]] [[ ne .Port 80 ]] [[ lt 1 2 ]] [[ le 2 2 ]] [[ gt 3 2 ]] [[ ge 1 2 ]]',
     "true true true true true false"),
    ('[[ eq .Name "x" "y" "web" ]]', "true"),
    ('[[ and .On .Name ]] [[ and .Zero .Name ]] [[ or .Empty .Name ]] [[ or .Zero .Empty ]] [[ not .On ]]',
     "web 0 web  false"),
    ('[[ len .Items ]] [[ len .Labels ]] [[ len "héllo" ]]', "2 2 6"),
    ('[[ index .Items 1 ]]', "b"),
    ('[[ print "a" 1 2 "b" ]]|[[ println "x" 1 ]]', "a1 2b|x 1\n"),
    ('[[ printf "istio.%s" .Name ]] [[ printf "%d|%5s|%-4d|%q|%v" 7 "ab" 3 "q" .Items ]]',
     'istio.web 7|   ab|3   |"q"|[a b]'),
    ('[[ .Name | printf "%s!" ]] [[ "x" | eq "x" ]]', "web! true"),
    ('[[ html "<a href=\'x\'>" ]] [[ js "it\'s" ]] [[ urlquery "a b&c" ]]',
     "&lt;a href=&#39;x&#39;&gt; it\\'s a+b%26c"),
    ("[[ (index .Labels \"app\") ]]", "web"),
    ("[[ (.Inner).Value ]]", "deep"),
    ("[[ .Labels ]] [[ .Items ]]", "map[app:web tier:front] [a b]"),
])
def test_language(template, expected):
    assert run(template, DATA) == expected


def test_functions_given_by_the_caller_take_piped_values_last():
    funcs = {"join": lambda sep, items: sep.join(items), "up": str.upper}
    assert run('[[ join "," .Items ]] [[ .Name | up ]] [[ .Items | join "-" | up ]]', DATA, funcs) == "a,b WEB A-B"
    with pytest.raises(GoTemplateError, match="wrong number of args for join"):
        run('[[ "x" | join "-" .Items ]]', DATA, funcs)


def test_other_delimiters_leave_braces_alone():
    assert run("{{ .Name }} [[ .Name ]]", DATA) == "{{ .Name }} web"
    assert Template("{{ .Name }}", delims=("{{", "}}")).execute(DATA) == "web"


@pytest.mark.parametrize("template, message, line", [
    ("a\nb\n[[ nosuch .Name ]]", 'function "nosuch" not defined', 3),
    ("[[ if .On ]]", "missing {{end}}", 1),
    ("x\n[[ end ]]", "unexpected {{end}}", 2),
    ("[[ define \"x\" ]][[ end ]]", "not supported", 1),
    ("[[ template \"x\" ]]", "not supported", 1),
    ("[[ .Name", "unclosed action", 1),
    ("[[ $undefined ]]", "undefined variable", 1),
    ("[[ ( .Name ]]", "unclosed left paren", 1),
    ("[[ .Name | ]]", "missing command", 1),
    ("[[ \"a\" \"b\" ]]", "can't give argument to non-function", 1),
])
def test_errors_name_the_line(template, message, line):
    with pytest.raises(GoTemplateError) as e:
        run(template, DATA)
    assert message in e.value.problem
    assert e.value.line == line
    assert str(e.value).startswith(f"line {line}: ")


@pytest.mark.parametrize("template, message", [
    ("[[ .Nope ]]", "can't evaluate field Nope in type Data"),
    ("[[ eq .Labels 1 ]]", "error calling eq: invalid type for comparison"),
    ('[[ eq .Name 1 ]]', "incompatible types for comparison"),
    ("[[ index .Items 5 ]]", "index out of range"),
    ("[[ len .Port ]]", "len of type int"),
    ("[[ .Name.Deeper ]]", "can't evaluate field Deeper in type string"),
])
def test_runtime_errors_name_the_line(template, message):
    with pytest.raises(GoTemplateError) as e:
        run("\n" + template, DATA)
    assert message in e.value.problem
    assert e.value.line == 2


def test_printf_reports_missing_and_extra_operands_like_go():
    assert go_sprintf("%s %s", "a") == "a %!s(MISSING)"
    assert go_sprintf("%s", "a", 1) == "a%!(EXTRA int=1)"
    assert go_sprintf("%d", "x") == "%!d(string=x)"


@pytest.mark.parametrize("text, nanos, printed", [
    ("45s", 45 * 10**9, "45s"), ("1m0s", 60 * 10**9, "1m0s"), ("1.5s", 1_500_000_000, "1.5s"),
    ("300ms", 300_000_000, "300ms"), ("2h45m", (2 * 3600 + 45 * 60) * 10**9, "2h45m0s"),
    ("0", 0, "0s"), ("1us", 1000, "1µs"), ("-2s", -2 * 10**9, "-2s"),
])
def test_go_durations(text, nanos, printed):
    assert duration_ns(text) == nanos
    assert format_duration(nanos) == printed


@pytest.mark.parametrize("text", ["", "s", ".s", "10", "1x", "1.s.s", "-", "1s-2s"])
def test_bad_go_durations(text):
    assert duration_ns(text) is None


from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

_PIECES = st.sampled_from(["[[", "]]", "[[- ", " -]]", " ", ".Name", ".Labels", ".Items", "$x", "$", ":=", "=", "|",
                           "(", ")", "if", "else", "end", "range", "with", "eq", "index", "printf", "len", '"s"',
                           "`r`", "1", "-2", "1.5", "true", "nil", "/*", "*/", "\n", "text", ".Inner.Value", "and",
                           "not", ",", "$i", ".", "'c'", ".Mode.String"])


@settings(max_examples=200, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=16).map("".join))
def test_any_template_text_runs_or_fails_with_a_located_error(text):
    try:
        out = run(text, DATA)
    except GoTemplateError as e:
        assert e.line >= 1 and str(e).startswith(f"line {e.line}: ")
        return
    assert isinstance(out, str)
