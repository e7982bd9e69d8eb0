"""``toYaml`` has two emitters: a direct one for plain data and PyYAML's, set up as yaml.v2's,
for everything else. Which one runs depends on the whole value (one sibling holding `x # y`
sends a map to PyYAML), so wherever the direct one writes anything, the two must write the
same text."""
from __future__ import annotations

import os

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from meshcharts.yamlio import fast_yaml, full_yaml, to_yaml

_EXPLORE = int(os.environ.get("FUZZ_EXAMPLES", "0"))
EMITTERS = settings(max_examples=_EXPLORE or 400, derandomize=not _EXPLORE, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

WORDS = st.sampled_from([
    "x", "name", "a.b/c", "istio-system", "v1", "1.0.6", "x # y", "a: b", "true", "no", "null", "~", "0o17",
    "1e3", "12:30", "2001-12-14", ".5", "-", "- x", "-x", "x:", " lead", "trail ", "multi\nline", "end\n",
    "two\n\n", "\n", "tab\there", "é", "日本", "'q'", '"q"', "{a}", "[a]", "&a", "*a", "!t", "%x", "@x", "`x`",
    "a" * 90, "word " * 20, "",
])
TEXT = st.one_of(WORDS, st.text(max_size=12))
FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from([1e21, -1e21, 1e22, 1.5e21, 1e-7, 5e-5, 0.1, 123456789.5, 1e20, 2.0**70]))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), FLOATS, TEXT)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                      max_leaves=12)


@EMITTERS
@given(value=VALUES)
@example(value={"a": 1e21})
@example(value={"a": 1e21, "b": "x # y"})
@example(value=[1e-7, {"k": -1e22}])
def test_both_toyaml_emitters_write_the_same_text(value):
    fast = fast_yaml(value)
    if fast is not None:
        assert fast == full_yaml(value)


def test_a_float_prints_the_same_whichever_emitter_its_map_takes():
    assert to_yaml({"a": 1e21}) == "a: 1e+21"
    assert to_yaml({"a": 1e21, "b": "x # y"}) == "a: 1e+21\nb: 'x # y'"
    assert to_yaml([1e-07, 2.5]) == "- 1e-07\n- 2.5"


def test_the_direct_emitter_serves_plain_data():
    """Guards the property above from passing vacuously: common values take the direct path."""
    for value in ({"a": 1e21}, {"labels": {"app": "pilot"}, "ports": [{"port": 80, "name": "http"}]},
                  ["x", 1, 2.5, None, True], {"text": "multi\nline"}):
        assert fast_yaml(value) is not None
