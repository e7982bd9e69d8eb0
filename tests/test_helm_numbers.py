"""Numbers as Go and sprig compute them, and values files as Helm's loader reads them.

Each expectation states what real Helm (SDK v4.2.3) printed for the same template and values,
rendered with a one-template chart (``{{ }}`` there is Go's template syntax, here Jinja's)."""
from __future__ import annotations

import pytest

from meshcharts.errors import ValuesError
from meshcharts.yamlio import load_values_text, reads_as_text, resolve_plain, to_yaml


@pytest.fixture
def out(render_chart, tmp_path):
    """The text ``t.yaml`` renders to, with ``values`` as a user values file."""
    def run(template: str, values: str = "", **options) -> str:
        files = []
        if values:
            path = tmp_path / "user.yaml"
            path.write_text(values)
            files = [str(path)]
        manifest = render_chart({"templates/t.yaml": template}, values_files=files, **options)
        return manifest.text.split("\n", 2)[2].rstrip("\n")
    return run


def test_integers_made_in_templates_print_as_integers(out):
    # Helm: `{{ 1000000 }} {{ int 1000000 }} {{ .Values.a }}` with a: 1000000 in a values file
    # printed "1000000 1000000 1e+06": only numbers read from values files are float64.
    assert out("x: {{ 1000000 }} {{ 1000000 | int }} {{ Values.a }}", "a: 1000000\n") == "x: 1000000 1000000 1e+06"


def test_integers_from_set_print_as_integers(out):
    # helm template --set a=1000000 prints 1000000 (strvals types it int64).
    assert out("x: {{ Values.a }}", set_values=["a=1000000"]) == "x: 1000000"


def test_int_is_sprigs(out):
    # Helm: {{ int "010" }} {{ int "0x10" }} {{ int "99999999999999999999" }} {{ int 1e19 }}
    #       {{ int .Values.a }} {{ int .Values.b }} with a: 1e19, b: -1e19
    # printed "8 16 0 -9223372036854775808 -9223372036854775808 -9223372036854775808".
    template = ('x: {{ "010" | int }} {{ "0x10" | int }} {{ "99999999999999999999" | int }} {{ 1e19 | int }} '
                '{{ Values.a | int }} {{ Values.b | int }}')
    assert out(template, "a: 1e19\nb: -1e19\n") == ("x: 8 16 0 -9223372036854775808 -9223372036854775808 "
                                                    "-9223372036854775808")
    # Helm: {{ int "10.00" }} {{ int "10." }} {{ int "1_000" }} {{ int " 5" }} {{ int "+5" }}
    #       {{ int "5.5" }} {{ int nil }} {{ int true }} {{ int -3.7 }} printed "10 0 1000 0 5 0 0 1 -3".
    template = ('x: {{ "10.00" | int }} {{ "10." | int }} {{ "1_000" | int }} {{ " 5" | int }} {{ "+5" | int }} '
                '{{ "5.5" | int }} {{ none | int }} {{ true | int }} {{ -3.7 | int }}')
    assert out(template) == "x: 10 0 1000 0 5 0 0 1 -3"


def test_printf_d_prints_whole_float64_as_an_integer(out):
    # Helm: {{ printf "%d" .Values.a }} {{ printf "%d" 5 }} with a: 5 printed "%!d(float64=5) 5";
    # meshcharts prints the whole number (a deliberate difference: charts sum values with %d).
    assert out('x: "{{ printf("%d", Values.a) }} {{ printf("%d", 5) }} {{ printf("%d", Values.b) }}"',
               "a: 5\nb: 1.5\n") == 'x: "5 5 %!d(float64=1.5)"'


HELM_TO_YAML = """\
a: 1000000
b: 9007199254740993
c: 1e20
d: 1e400
e: 0X1F
f: 0B101
g: 0O17
h: 08
i: 1.5e19
j: "0X1F"
k: "1e400"
l: "0O17"
m: 0.0000001
o: "1_000"
p: "+.5"
q: ".5e400"
"""


def test_to_yaml_of_values_file_numbers_goes_through_float64(out):
    # Helm's `{{ toYaml .Values }}` of HELM_TO_YAML printed exactly this.
    assert out("{{ Values | toYaml }}", HELM_TO_YAML) == "\n".join([
        "a: 1000000", "b: 9007199254740992", "c: 1e+20", "d: 1e400", "e: 31", "f: 5", "g: 15", "h: 8",
        "i: 15000000000000000000", 'j: "0X1F"', "k: 1e400", 'l: "0O17"', "m: 1e-07", 'o: "1_000"',
        'p: "+.5"', "q: .5e400"])


def test_print_of_values_file_numbers_is_float64(out):
    # Helm printed "1e+06 1.5e+19 9.007199254740992e+15 31 8" for {{ .Values.a }} ... of HELM_TO_YAML.
    assert out("x: {{ Values.a }} {{ Values.i }} {{ Values.b }} {{ Values.e }} {{ Values.h }}",
               HELM_TO_YAML) == "x: 1e+06 1.5e+19 9.007199254740992e+15 31 8"


@pytest.mark.parametrize(("text", "value"), [
    ("0X1F", 31), ("0B101", 5), ("0O17", 15), ("0o17", 15), ("0777", 511), ("08", 8.0), ("0778", 778.0),
    ("+5", 5), ("1_000", 1000), ("-0b101", -5), ("1e3", 1000.0), (".5", 0.5), ("-.5", -0.5), ("1.", 1.0),
    ("18446744073709551615", 18446744073709551615), ("1e400", "1e400"), (".5e400", ".5e400"),
    ("0x", "0x"), ("1:30", "1:30"), ("2019-01-01", "2019-01-01"), ("y", True), ("Off", False),
    ("tRuE", "tRuE"), ("~", None), ("nan", "nan"), (".Nan", ".Nan"), ("<<", "<<"),
], ids=lambda v: repr(v))
def test_plain_scalars_resolve_as_in_yaml_v2(text, value):
    got = resolve_plain(text)
    assert got == value and type(got) is type(value)


def test_values_files_hold_float64_numbers():
    values = load_values_text("a: 5\nb: 0X1F\nc: [1, 2]\nd: '5'\ne: 1e400\n", "v.yaml")
    assert values == {"a": 5.0, "b": 31.0, "c": [1.0, 2.0], "d": "5", "e": "1e400"}
    assert all(type(x) is float for x in (values["a"], values["b"], *values["c"]))


@pytest.mark.parametrize("value", [".inf", "-.Inf", ".nan"])
def test_inf_and_nan_fail_as_in_helm(value):
    # Helm: "error converting YAML to JSON: json: unsupported value: +Inf" (NaN likewise).
    with pytest.raises(ValuesError) as err:
        load_values_text(f"top:\n  a: {value}\n", "v.yaml")
    assert str(err.value).startswith("v.yaml:2:3: top.a: ")


def test_binary_decodes_to_its_text(out):
    # Helm: `{{ .Values.a }}|{{ toYaml .Values }}` with a: !!binary aGVsbG8= printed "hello|a: hello".
    assert out("x: {{ Values.a }}\n{{ Values | toYaml }}", "a: !!binary aGVsbG8=\n") == "x: hello\na: hello"


def test_non_string_keys_follow_sigs_yaml(out):
    # Helm's toYaml of keys 1.5, 0.1, 3.14159265358979, 1000000.0, 5, true printed these keys
    # (floats in 32-bit precision).
    values = "1.5: a\n0.1: b\n3.14159265358979: c\n1000000.0: d\n5: e\ntrue: f\n"
    assert out("{{ Values | toYaml }}", values) == '"0.1": b\n"1.5": a\n"1e+06": d\n"3.1415927": c\n"5": e\n"true": f'


@pytest.mark.parametrize(("text", "message"), [
    ("~: a\n", "a map key that is null"),
    ("x:\n  18446744073709551615: a\n", "a map key that is a number beyond int64"),
])
def test_null_and_uint64_keys_are_refused_as_in_helm(text, message):
    # Helm: "unsupported map key of type: %!s(<nil>)" and "unsupported map key of type: uint64".
    with pytest.raises(ValuesError, match=message):
        load_values_text(text, "v.yaml")


@pytest.mark.parametrize(("text", "plain"), [
    ("0X1F", False), ("0B101", False), ("0O17", False), ("1_000", False), ("+.5", False), ("1e400", True),
    (".5e400", True), ("2019-1-2", False), ("2019-13-02", True), ("1:30", False),
    ("abc", True), ("yes", False), ("nan", True), ("08", False), ("0x", True),
])
def test_to_yaml_quotes_exactly_what_yaml_v2_reads_as_another_type(text, plain):
    # Helm's toYaml quoted "2019-1-2" and printed 2019-13-02, 0x and 1e400 plain.
    assert reads_as_text(text) is plain
    assert to_yaml({"k": text}) == (f"k: {text}" if plain else f'k: "{text}"')


def test_float64_survives_the_parsed_yaml_cache(tmp_path):
    # The fact "float64" is carried by the value's type (a float), not by an int subclass, so the
    # marshal-based cache of parsed values files keeps it: a second process prints 1e+06 too.
    import os
    import subprocess
    import sys
    site = tmp_path / "site.yaml"
    site.write_text("pilot:\n  env:\n    BIG: 1000000\n")
    env = {**os.environ, "MESHCHARTS_CACHE_DIR": str(tmp_path / "cache")}
    code = ("from meshcharts import render; m = render(values_files=%r); "
            "print([e for d in m.documents if d.name == 'istio-pilot' and d.kind == 'Deployment' "
            "for e in d.object['spec']['template']['spec']['containers'][0]['env'] if e['name'] == 'BIG'])" % str(site))
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    assert runs[0] == runs[1] == "[{'name': 'BIG', 'value': '1e+06'}]\n"


def test_explicit_number_tags_read_as_helm_reads_them(out):
    # Helm's `{{ toJson .Values }}` of these printed {"d":"5","e":5,"f":7}.
    assert out("x: {{ Values | toJson }}", 'd: !!str 5\ne: !!float 5\nf: !!int "7"\n') == 'x: {"d":"5","e":5,"f":7}'


@pytest.mark.parametrize(("key", "name"), [("9e99", ".inf"), (".Inf", ".inf"), ("-.inf", "-.inf"), (".nan", ".nan"),
                                           ("16777217", "16777217"), ("16777217.0", "1.6777216e+07")])
def test_float_keys_past_float32_and_special_keys_are_named_as_helm_names_them(key, name):
    # Helm's values_from_yaml gave {".inf": "x"} for `9e99: x` and `.Inf: x` (float32 overflow,
    # then yaml.v2's spelling), and kept integer keys exact.
    assert load_values_text(f"{key}: x\n", "v.yaml") == {name: "x"}


def test_big_and_small_float64_print_in_go_s_json_forms(out):
    # Helm's toYaml and toJson of these values-file numbers printed exactly these texts
    # (Go's JSON writes the shortest digits padded with zeros, and 1e-7 without a leading zero).
    values = "a: 11246784556221893000\nb: 0.0000204\nc: 1.9652283161513403e-7\nd: 1e21\n"
    assert out("{{ Values | toYaml }}", values) == ("a: 11246784556221893000\nb: 2.04e-05\n"
                                                    "c: 1.9652283161513403e-07\nd: 1e+21")
    assert out("x: {{ Values | toJson }}", values) == \
        'x: {"a":11246784556221893000,"b":0.0000204,"c":1.9652283161513403e-7,"d":1e+21}'
