"""The values model: precedence, deep merges, nulls, globals, and the order of user inputs.

Each chart prints the ``Values`` its templates see as JSON, so a test reads exactly what a
parent or a child chart received."""
from __future__ import annotations

import json

import pytest

from meshcharts import MeshchartsError, RenderOptions, effective_values

SHOW = "kind: Seen\nvalues: {{ Values | toJson }}\n"
CHILD = "charts/child/templates/seen.yaml"


def seen(manifest) -> dict[str, dict]:
    """``{chart path: Values}`` for every chart whose template printed its values."""
    return {d.source.rsplit("/templates/", 1)[0]: d.object["values"] for d in manifest.documents if d.kind == "Seen"}


@pytest.fixture
def values_of(render_chart, tmp_path):
    """Render a parent with one child, both printing their values; ``user`` is a values file."""
    def run(parent: str = "", child: str = "", user: str | None = None, **options) -> dict[str, dict]:
        spec = {"values.yaml": parent, "templates/seen.yaml": SHOW, "charts/child/values.yaml": child, CHILD: SHOW}
        if user is not None:
            path = tmp_path / "user.yaml"
            path.write_text(user)
            options["values_files"] = [path]
        return seen(render_chart(spec, **options))
    return run


PRECEDENCE = [
    # (parent values.yaml, child values.yaml, user values, what the child sees for x)
    ("", "x: child\n", None, "child"),
    ("child: {x: parent}\n", "x: child\n", None, "parent"),
    ("child: {x: parent}\n", "x: child\n", "child: {x: user}\n", "user"),
    ("", "x: child\n", "child: {x: user}\n", "user"),
]


@pytest.mark.parametrize(("parent", "child", "user", "expected"), PRECEDENCE,
                         ids=["child-default", "parent-section-beats-child", "user-beats-parent", "user-beats-child"])
def test_precedence_user_over_parent_section_over_child_defaults(values_of, parent, child, user, expected):
    assert values_of(parent, child, user)["parent/charts/child"]["x"] == expected


MERGES = [
    # (child default, user value for the child's key k, merged result)
    ({"a": {"b": 1, "c": 2}}, {"a": {"c": 3, "d": 4}}, {"a": {"b": 1, "c": 3, "d": 4}}),
    ([1, 2, 3], [9], [9]),
    ({"a": 1}, "scalar", "scalar"),
    ("scalar", {"a": 1}, {"a": 1}),
    ([{"name": "a", "v": 1}], [{"name": "b"}], [{"name": "b"}]),
]


@pytest.mark.parametrize(("default", "user", "expected"), MERGES,
                         ids=["maps-merge-deeply", "lists-replace", "scalar-replaces-map", "map-replaces-scalar",
                              "list-of-maps-replaces"])
def test_maps_merge_lists_and_scalars_replace(values_of, default, user, expected):
    got = values_of(child=json.dumps({"k": default}), user=json.dumps({"child": {"k": user}}))
    assert got["parent/charts/child"]["k"] == expected


def test_user_null_deletes_a_default(values_of):
    got = values_of(parent="top: {gone: 1, kept: 2}\n", child="m: {gone: 1, kept: 2}\nwhole: {a: 1}\n",
                    user="top: {gone: null}\nchild: {m: {gone: null}, whole: null}\n")
    assert got["parent"]["top"] == {"kept": 2}
    assert got["parent/charts/child"]["m"] == {"kept": 2}
    assert "whole" not in got["parent/charts/child"]


def test_user_null_for_an_absent_key_stays(values_of):
    got = values_of(user="newnull: null\nchild: {alsonew: null}\n")
    assert "newnull" in got["parent"] and got["parent"]["newnull"] is None
    assert got["parent/charts/child"]["alsonew"] is None


def test_default_nulls_are_dropped(values_of):
    got = values_of(parent="p: null\nm: {n: null, k: 1}\n")
    assert "p" not in got["parent"]
    assert got["parent"]["m"] == {"k": 1}


def test_section_for_a_child_must_be_a_map(values_of):
    with pytest.raises(MeshchartsError, match="child"):
        values_of(user="child: 5\n")


GLOBALS_PARENT = "global: {hub: parent-hub, m: {a: 1, b: 2}}\n"


@pytest.fixture
def two_children(render_chart):
    """Parent and children `one` and `two`, each with its own `global` defaults."""
    spec = {
        "values.yaml": GLOBALS_PARENT,
        "templates/seen.yaml": SHOW,
        "charts/one/values.yaml": "global: {hub: one-hub, only1: x, m: {b: 20, c: 30}}\nown: 1\n",
        "charts/one/templates/seen.yaml": SHOW,
        "charts/two/values.yaml": "global: {only2: two}\n",
        "charts/two/templates/seen.yaml": SHOW,
    }
    return seen(render_chart(spec))


def test_global_flows_down_and_parent_wins(two_children):
    assert two_children["parent/charts/one"]["global"] == {"hub": "parent-hub", "only1": "x",
                                                           "m": {"a": 1, "b": 2, "c": 30}}


def test_global_never_flows_up(two_children):
    assert two_children["parent"]["global"] == {"hub": "parent-hub", "m": {"a": 1, "b": 2}}


def test_global_never_flows_sideways(two_children):
    assert two_children["parent/charts/two"]["global"] == {"hub": "parent-hub", "m": {"a": 1, "b": 2},
                                                           "only2": "two"}


def test_child_sees_its_own_section_plus_global(two_children):
    assert sorted(two_children["parent/charts/one"]) == ["global", "own"]


def test_every_child_gets_a_global_map(render_chart):
    got = seen(render_chart({"templates/seen.yaml": SHOW, CHILD: SHOW}))
    assert "global" not in got["parent"]
    assert got["parent/charts/child"] == {"global": {}}


def test_user_global_reaches_children(values_of):
    got = values_of(parent="global: {hub: p}\n", child="global: {hub: c}\n", set_values=["global.hub=u"])
    assert got["parent/charts/child"]["global"]["hub"] == "u"


def test_user_null_on_a_global_leaves_the_childrens_default(render_chart):
    # Helm folds the defaults of a chart that lists its dependencies into its children's sections
    # before the user's values apply, so a null removes a global (or a key of a global map) from
    # the parent's own templates only. Real Helm printed {"m":{"b":2}} for the parent and
    # {"hub":"p","m":{"a":1,"b":2}} for the listed child, {"m":{"b":2}} for an unlisted one.
    spec = {"values.yaml": "global: {hub: p, m: {a: 1, b: 2}}\n", "templates/seen.yaml": SHOW, CHILD: SHOW}
    nulls = ["global.hub=null", "global.m.a=null"]
    listed = seen(render_chart({**spec, "requirements.yaml": "dependencies:\n- name: child\n"}, set_values=nulls))
    assert listed["parent"]["global"] == {"m": {"b": 2}}
    assert listed["parent/charts/child"]["global"] == {"hub": "p", "m": {"a": 1, "b": 2}}
    unlisted = seen(render_chart(spec, set_values=nulls))
    assert unlisted["parent/charts/child"]["global"] == {"m": {"b": 2}}


def test_grandchild_precedence_and_globals(render_chart):
    spec = {
        "values.yaml": "global: {g: root}\nmid: {leaf: {k: root}}\n",
        "templates/seen.yaml": SHOW,
        "charts/mid/values.yaml": "global: {g: mid, gm: mid}\nleaf: {k: mid, j: mid}\n",
        "charts/mid/templates/seen.yaml": SHOW,
        "charts/mid/charts/leaf/values.yaml": "global: {gl: leaf}\nk: leaf\nj: leaf\ni: leaf\n",
        "charts/mid/charts/leaf/templates/seen.yaml": SHOW,
    }
    leaf = seen(render_chart(spec))["parent/charts/mid/charts/leaf"]
    assert (leaf["k"], leaf["j"], leaf["i"]) == ("root", "mid", "leaf")
    assert leaf["global"] == {"g": "root", "gm": "mid", "gl": "leaf"}


# --- user inputs in order -------------------------------------------------------------------

ORDER = [
    # (values files, --set, --set-string, --set-file, expected k)
    (["f1"], [], [], [], "f1"),
    (["f1", "f2"], [], [], [], "f2"),
    (["f2", "f1"], [], [], [], "f1"),
    (["f1", "f2"], ["k=set"], [], [], "set"),
    (["f1"], ["k=set"], ["k=string"], [], "string"),
    (["f1"], ["k=set"], ["k=string"], ["k=FILE"], "from-file"),
    ([], ["k=first", "k=second"], [], [], "second"),
]


@pytest.mark.parametrize(("files", "sets", "strings", "set_files", "expected"), ORDER,
                         ids=["one-file", "later-file-wins", "file-order-matters", "set-beats-files",
                              "set-string-after-set", "set-file-after-set-string", "later-set-wins"])
def test_user_inputs_apply_in_order(make_chart, tmp_path, files, sets, strings, set_files, expected):
    chart = make_chart({"values.yaml": "k: default\nother: kept\n"})
    for name in ("f1", "f2"):
        (tmp_path / f"{name}.yaml").write_text(f"k: {name}\n")
    (tmp_path / "content.txt").write_text("from-file")
    options = RenderOptions(chart=chart, values_files=[tmp_path / f"{f}.yaml" for f in files], set_values=sets,
                            set_string_values=strings,
                            set_file_values=[s.replace("FILE", str(tmp_path / "content.txt")) for s in set_files])
    values = effective_values(options)
    assert values["k"] == expected
    assert values["other"] == "kept"


@pytest.mark.parametrize(("files", "expected"), [([], "profile"), (["f1"], "f1")],
                         ids=["profile-over-defaults", "file-over-profile"])
def test_profile_sits_below_values_files(make_chart, tmp_path, files, expected):
    chart = make_chart({"values.yaml": "k: default\n", "profiles/site.yaml": "k: profile\nonly: profile\n"})
    (tmp_path / "f1.yaml").write_text("k: f1\n")
    values = effective_values(RenderOptions(chart=chart, profile="site",
                                            values_files=[tmp_path / f"{f}.yaml" for f in files]))
    assert (values["k"], values["only"]) == (expected, "profile")


def test_unknown_profile_is_an_error(make_chart):
    with pytest.raises(MeshchartsError, match="--profile: unknown profile 'nope'"):
        effective_values(RenderOptions(chart=make_chart({}), profile="nope"))


@pytest.mark.parametrize(("text", "fragment"), [
    ("a: [1\n", ":1:"),
    ("- a\n- b\n", "not a list"),
    ("a: 1\n\tb: 2\n", ":2:"),
], ids=["unclosed-flow", "not-a-map", "tab-indent"])
def test_bad_values_file_names_the_file(make_chart, tmp_path, text, fragment):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(MeshchartsError) as info:
        effective_values(RenderOptions(chart=make_chart({}), values_files=[path]))
    assert str(info.value).startswith(str(path))
    assert fragment in str(info.value)


def test_missing_values_file_is_an_error(make_chart, tmp_path):
    with pytest.raises(MeshchartsError, match="not found"):
        effective_values(RenderOptions(chart=make_chart({}), values_files=[tmp_path / "absent.yaml"]))


@pytest.mark.parametrize(("text", "expected"), [
    ("v: y\n", True),
    ("v: off\n", False),
    ("v: 0o17\n", 15),
    ("v: 1:30\n", "1:30"),
    ("v: 2019-01-01\n", "2019-01-01"),
], ids=["y-is-true", "off-is-false", "octal", "sexagesimal-stays-string", "date-stays-string"])
def test_values_files_read_with_yaml_1_1_rules(make_chart, text, expected):
    assert effective_values(RenderOptions(chart=make_chart({"values.yaml": text})))["v"] == expected


# A YAML alias gives two keys one map, as text; in Helm (and here) they are two values, so a
# later source that changes one leaves the other alone.
ALIASED = "a: &shared {k: 1, keep: 1}\nb: *shared\n"


@pytest.mark.parametrize(("files", "sets", "expected_a"), [
    ([ALIASED], ["a.k=2"], {"k": 2, "keep": 1}),
    ([ALIASED, "a: {k: 3}\n"], [], {"k": 3, "keep": 1}),
    ([ALIASED + "---\na: {k: 4}\n"], [], {"k": 4, "keep": 1}),
    (["l: &m [{k: 1}]\nmm: *m\n"], ["l[0].k=5"], None),
], ids=["set-into-alias", "later-file-into-alias", "later-document-into-alias", "set-into-aliased-list-item"])
def test_changing_one_alias_of_a_map_leaves_the_other(make_chart, tmp_path, files, sets, expected_a):
    paths = []
    for i, text in enumerate(files):
        paths.append(tmp_path / f"f{i}.yaml")
        paths[-1].write_text(text)
    values = effective_values(RenderOptions(chart=make_chart({}), values_files=paths, set_values=sets))
    if expected_a is None:
        assert (values["l"], values["mm"]) == ([{"k": 5}], [{"k": 1}])
    else:
        assert (values["a"], values["b"]) == (expected_a, {"k": 1, "keep": 1})
