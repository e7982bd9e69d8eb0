"""Property tests: whatever values file or --set string arrives, the renderer either prints valid
YAML or stops with one clean, located error; hostile text at the keys users set most arrives in
the output intact."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshcharts import render
from meshcharts.bundle import bundled
from meshcharts.errors import MeshchartsError
from meshcharts.template.funcs import bare_or_quoted

# By default a fixed sequence of examples (reproducible in CI, a few seconds) and no example
# database on disk; FUZZ_EXAMPLES=N explores N fresh random examples per test instead.
_EXPLORE = int(os.environ.get("FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=_EXPLORE or 60, derandomize=not _EXPLORE, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# A Python exception's name in a message means an error escaped as itself instead of being explained.
_RAW_PYTHON_ERROR = re.compile(r"\b(TypeError|KeyError|AttributeError|ValueError|IndexError|RecursionError|"
                               r"OverflowError|UnicodeError|ZeroDivisionError|Traceback)\b")


def _schema_paths() -> list[tuple[str, ...]]:
    import json
    schema = json.loads((bundled("istio").directory / "values.schema.json").read_text(encoding="utf-8"))
    out = []

    def walk(node: dict, path: tuple[str, ...]) -> None:
        for key, sub in (node.get("properties") or {}).items():
            out.append(path + (key,))
            walk(sub, path + (key,))
    walk(schema, ())
    return out


KNOWN_PATHS = _schema_paths()
# Text of every kind, weighted towards what breaks YAML or templates.
HOSTILE = st.one_of(
    # Text YAML can hold raw (other characters are refused with a clean error, tested elsewhere).
    st.text(max_size=30).filter(lambda t: not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]", t)),
    st.sampled_from(["a: b", "# c", "- x", "{{ Release.Name }}", "{% if x %}", "[[ .Values ]]", "\"q\"", "'s'",
                     "multi\nline", "tab\there", "é ü 日本", "---", "...", "&a", "*a", "!tag", "|", ">", "%x", "@x",
                     "`x`", "null", "true", "0o17", "1e3", "", " lead", "trail ", "x:", "a,b", "[a]", "{a: 1}"]),
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63 - 1), st.floats(), HOSTILE)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(HOSTILE, inner, max_size=3), max_leaves=8)


def _nest(path: tuple[str, ...], value: object) -> dict:
    for key in reversed(path):
        value = {key: value}
    return value  # type: ignore[return-value]


def _merge(into: dict, more: dict) -> dict:
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
    return into


def _merge_all(pairs: list[tuple[tuple[str, ...], object]]) -> dict:
    """Values at known key paths, as one values document."""
    out: dict = {}
    for path, value in pairs:
        _merge(out, _nest(path, value))
    return out


VALUES_FILES = st.one_of(
    st.text(max_size=200),  # anything at all as the file's text
    st.lists(st.tuples(st.sampled_from(KNOWN_PATHS), VALUES), min_size=1, max_size=4).map(
        lambda pairs: yaml.safe_dump(_merge_all(pairs), allow_unicode=True)),
    st.dictionaries(HOSTILE, VALUES, max_size=4).map(lambda d: yaml.safe_dump(d, allow_unicode=True)),
)


SET_ARGS = st.one_of(
    st.text(alphabet=st.sampled_from("ab.=,[]{}\\0123 \n:#\"'-"), max_size=25),
    st.tuples(st.sampled_from(KNOWN_PATHS), st.text(max_size=20)).map(lambda kv: ".".join(kv[0]) + "=" + kv[1]),
)


def _render_or_clean_error(**kwargs: object) -> object:
    """The manifest's parsed documents, or None after a clean error."""
    try:
        manifest = render(**kwargs)  # type: ignore[arg-type]
    except MeshchartsError as e:
        message = str(e)
        assert message.strip() and "\n" not in message.split(": ", 1)[0]
        assert not _RAW_PYTHON_ERROR.search(message), message
        return None
    documents = list(yaml.load_all(manifest.text, Loader=yaml.CSafeLoader))  # valid YAML, every document
    assert len([d for d in documents if d is not None]) == len(manifest.documents)
    return documents


@FUZZ
@given(text=VALUES_FILES)
def test_any_values_file_renders_valid_yaml_or_fails_cleanly(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "site.yaml"
        path.write_text(text, encoding="utf-8")
        _render_or_clean_error(values_files=[path])


@FUZZ
@given(args=st.lists(SET_ARGS, min_size=1, max_size=3), flag=st.sampled_from(["set_values", "set_string_values"]))
def test_any_set_arguments_render_valid_yaml_or_fail_cleanly(args, flag):
    _render_or_clean_error(**{flag: args})


@FUZZ
@given(hub=HOSTILE.filter(bool), tag=HOSTILE, key=HOSTILE, note=HOSTILE)
def test_hostile_text_at_common_keys_arrives_intact(hub, tag, key, note):
    site = {"global": {"hub": hub, "tag": tag},
            "gateways": {"istio-ingressgateway": {"serviceAnnotations": {key: note}}}}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "site.yaml"
        # Every scalar double-quoted: the text reaches the chart exactly, whatever YAML 1.1 would make of it.
        path.write_text(yaml.safe_dump(site, default_style='"', allow_unicode=True), encoding="utf-8")
        documents = _render_or_clean_error(values_files=[path])
    assert documents is not None, "valid text at string keys must render"
    by_kind_name = {(d["kind"], d["metadata"]["name"]): d for d in documents if d}
    pilot = by_kind_name[("Deployment", "istio-pilot")]
    images = [c["image"] for c in pilot["spec"]["template"]["spec"]["containers"]]
    assert f"{hub}/pilot:{tag}" in images
    # Annotations print as Helm prints them (bare), quoted only where bare text would break the
    # document: so the parsed annotation is what YAML makes of the printed text, which for
    # hostile text is the text itself.
    printed_key, printed_note = bare_or_quoted(key, key=True), bare_or_quoted(note)
    expected = yaml.safe_load(f"{printed_key}: {printed_note}")
    assert by_kind_name[("Service", "istio-ingressgateway")]["metadata"]["annotations"] == expected
    if printed_note != note:  # quoted: the text arrives exactly
        assert list(expected.values()) == [note]
