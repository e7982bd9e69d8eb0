"""Coalescing against Helm 4: each case's expected values are what real Helm (SDK v4.2.3) gave a
parent chart and its child (printing ``toJson .Values``) for the same defaults and user values.
A random differential run of 750 such cases (nulls, globals, listed and unlisted children, maps
against scalars) found no difference; these pin the interesting rules."""
from __future__ import annotations

import json

import pytest

SHOW = "kind: Seen\nvalues: {{ Values | toJson }}\n"

CASES = [
    # (parent values.yaml, child values.yaml, user values, child listed in requirements,
    #  what Helm gave the parent, what Helm gave the child)
    pytest.param({"child": {"a": 1, "b": {"c": "s"}}}, {"b": {"c": "own", "d": 2}, "e": 3},
                 {"child": {"a": None, "b": {"c": None, "d": None}, "e": None}}, True,
                 {"child": {"a": None, "b": {}, "global": {}}}, {"a": None, "b": {}, "global": {}},
                 id="null-in-childs-section-kept-unless-the-child-has-the-default"),
    pytest.param({"child": {"a": 1, "b": {"c": "s"}}}, {"b": {"c": "own", "d": 2}, "e": 3},
                 {"child": {"a": None, "b": {"c": None, "d": None}, "e": None}}, False,
                 {"child": {"a": None, "b": {}, "global": {}}}, {"a": None, "b": {}, "global": {}},
                 id="same-for-an-unlisted-child"),
    pytest.param({"global": {"g": {"h": {"i": 1, "j": 2}}}}, {"global": {"g": {"h": {"k": 3}}}},
                 {"global": {"g": {"h": {"i": None}}}}, True,
                 {"child": {"global": {"g": {"h": {"i": 1, "j": 2, "k": 3}}}}, "global": {"g": {"h": {"i": 1, "j": 2, "k": 3}}}},
                 {"global": {"g": {"h": {"i": 1, "j": 2, "k": 3}}}},
                 id="global-copied-one-level-deep-so-deeper-defaults-come-back-in-the-parent"),
    pytest.param({"global": {"x": 1, "m": {"a": 1}}}, {"global": {"x": 2, "m": {"b": 2}}},
                 {"global": {"x": None}, "child": {"global": {"x": "mine"}}}, True,
                 {"child": {"global": {"m": {"a": 1, "b": 2}, "x": "mine"}}, "global": {"m": {"a": 1}}},
                 {"global": {"m": {"a": 1, "b": 2}, "x": "mine"}},
                 id="nulled-global-yields-to-the-childs-own-setting"),
    pytest.param({"a": {"b": 1}, "child": {"x": {"w": 1}}}, {"x": "scalar"}, {"a": None, "child": {"x": {"z": None}}}, True,
                 {"child": {"global": {}, "x": {"w": 1, "z": None}}}, {"global": {}, "x": {"w": 1, "z": None}},
                 id="map-over-a-childs-scalar-default"),
    pytest.param({"child": {"list": [1, 2]}}, {"list": [3]}, {"child": {"list": None}, "extra": None}, True,
                 {"child": {"global": {}}, "extra": None}, {"global": {}},
                 id="null-list-deleted-by-the-childs-default-and-a-new-null-kept"),
]


@pytest.mark.parametrize(("parent", "child", "user", "listed", "parent_sees", "child_sees"), CASES)
def test_coalescing_matches_helm(render_chart, tmp_path, parent, child, user, listed, parent_sees, child_sees):
    spec = {"values.yaml": json.dumps(parent), "charts/child/values.yaml": json.dumps(child),
            "templates/t.yaml": SHOW, "charts/child/templates/t.yaml": SHOW}
    if listed:
        spec["requirements.yaml"] = "dependencies:\n- name: child\n"
    site = tmp_path / "user.yaml"
    site.write_text(json.dumps(user))
    seen = {d.source.split("/templates/")[0]: d.object["values"]
            for d in render_chart(spec, values_files=[site]).documents}
    assert seen == {"parent": json.loads(json.dumps(parent_sees)), "parent/charts/child": child_sees}
