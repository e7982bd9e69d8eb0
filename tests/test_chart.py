"""Chart loading: Chart.yaml checks, which files are templates, child charts, dependencies,
conditions and tags, and the root-only .helmignore."""
from __future__ import annotations

import re

import pytest

from meshcharts import MeshchartsError
from meshcharts.errors import ChartError

DOC = "kind: ConfigMap\nmetadata:\n  name: {{ Template.Name | base }}\n"


def sources(manifest) -> list[str]:
    return [d.source for d in manifest.documents]


# --- Chart.yaml -----------------------------------------------------------------------------

@pytest.mark.parametrize(("chart_yaml", "fragment"), [
    ("apiVersion: v1\nversion: 0.1.0\n", "no 'name'"),
    ("apiVersion: v1\nname: p\n", "no 'version'"),
    ("apiVersion: v1\nname: p\nversion: banana\n", "not a semantic version"),
    ("apiVersion: v1\nname: p\nversion: 1.2.3.4\n", "not a semantic version"),
    ("apiVersion: v1\nname: p\nversion: 1.0.0-\n", "not a semantic version"),
    ("apiVersion: v1\nname: p\nversion: 0.1.0\ntype: plugin\n", "type"),
    ("- not\n- a map\n", "must be a map"),
    ("name: [p\n", "invalid YAML"),
], ids=["no-name", "no-version", "version-word", "version-four-parts", "version-empty-prerelease", "bad-type",
        "not-a-map", "bad-yaml"])
def test_bad_chart_yaml_is_an_error_naming_it(render_chart, chart_yaml, fragment):
    with pytest.raises(ChartError) as info:
        render_chart({"Chart.yaml": chart_yaml, "templates/a.yaml": DOC})
    assert "Chart.yaml" in str(info.value)
    assert fragment in str(info.value)


def test_bad_child_chart_yaml_names_the_child(render_chart):
    with pytest.raises(ChartError, match=r"charts/kid/Chart\.yaml"):
        render_chart({"templates/a.yaml": DOC, "charts/kid/Chart.yaml": "name: kid\nversion: one\n"})


@pytest.mark.parametrize("version", ["0.1.0", "1.0.6", "2.0.0-rc.1", "1.2.3+build.7", "1.2.3-alpha.1+meta"])
def test_semantic_versions_load(render_chart, version):
    manifest = render_chart({"Chart.yaml": f"name: p\nversion: {version}\n",
                             "templates/a.yaml": "kind: T\nv: '{{ Chart.Version }}'\n"})
    assert manifest.documents[0].object["v"] == version


def test_missing_chart_yaml_is_an_error(tmp_path):
    from meshcharts import render
    (tmp_path / "templates").mkdir()
    with pytest.raises(ChartError, match="Chart.yaml file is missing"):
        render(chart=tmp_path)


def test_missing_chart_directory_is_an_error(tmp_path):
    from meshcharts import render
    with pytest.raises(ChartError, match="chart directory not found"):
        render(chart=tmp_path / "absent")


@pytest.mark.parametrize(("where", "constraint", "kube", "ok"), [
    ("Chart.yaml", ">=1.20.0", "v1.36.0", True),
    ("Chart.yaml", ">=1.20.0", "v1.19.4", False),
    ("Chart.yaml", "<1.20.0", "1.19.0", True),
    ("Chart.yaml", "~1.36.0", "v1.36.2", True),
    ("charts/kid/Chart.yaml", ">=1.40.0", "v1.36.0", False),
], ids=["satisfied", "too-old", "upper-bound", "tilde", "child-constraint"])
def test_kube_version_constraint(render_chart, where, constraint, kube, ok):
    name = "kid" if "kid" in where else "p"
    spec = {where: f"name: {name}\nversion: 0.1.0\nkubeVersion: \"{constraint}\"\n", "templates/a.yaml": DOC,
            "charts/kid/templates/b.yaml": DOC}
    if ok:
        assert len(render_chart(spec, kube_version=kube).documents) == 2
    else:
        with pytest.raises(ChartError) as info:
            render_chart(spec, kube_version=kube)
        assert where in str(info.value) and constraint in str(info.value)


@pytest.mark.parametrize("constraint", ["'>=1.x.y'", "[1]"], ids=["bad-version", "a-list"])
def test_kube_version_constraint_that_does_not_parse_names_chart_yaml(render_chart, constraint):
    spec = {"Chart.yaml": f"name: p\nversion: 0.1.0\nkubeVersion: {constraint}\n", "templates/a.yaml": DOC}
    with pytest.raises(ChartError, match=r"/Chart\.yaml: kubeVersion .*: invalid semantic version"):
        render_chart(spec)


def test_bad_kube_version_flag_is_an_error(render_chart):
    with pytest.raises(MeshchartsError, match="^--kube-version: "):
        render_chart({"templates/a.yaml": DOC}, kube_version="latest")


# --- which files are templates --------------------------------------------------------------

def test_underscore_files_are_not_rendered_but_their_defines_are_shared(render_chart):
    manifest = render_chart({
        "templates/_helpers.tpl": 'kind: Printed\n{% define "x" %}from-helper{% enddefine %}\n',
        "templates/sub/_more.yaml": "kind: AlsoPrinted\n",
        "templates/a.yaml": 'kind: T\nv: {{ include("x", root) }}\n',
    })
    assert sources(manifest) == ["parent/templates/a.yaml"]
    assert manifest.documents[0].object["v"] == "from-helper"


def test_templates_at_any_depth_with_any_extension(render_chart):
    manifest = render_chart({
        "templates/a.yaml": DOC,
        "templates/deep/er/b.yaml": DOC,
        "templates/c.txt": DOC,
        "templates/d.tpl": DOC,
    })
    assert sources(manifest) == ["parent/templates/a.yaml", "parent/templates/c.txt", "parent/templates/d.tpl",
                                 "parent/templates/deep/er/b.yaml"]


def test_files_outside_templates_are_not_rendered(render_chart):
    manifest = render_chart({"templates/a.yaml": DOC, "extra/b.yaml": DOC, "README.md": DOC})
    assert sources(manifest) == ["parent/templates/a.yaml"]


def test_child_charts_load_recursively(render_chart):
    manifest = render_chart({
        "templates/a.yaml": DOC,
        "charts/mid/templates/b.yaml": DOC,
        "charts/mid/charts/leaf/templates/c.yaml": DOC,
        "charts/_skipped/templates/d.yaml": DOC,
        "charts/.hidden/templates/e.yaml": DOC,
    })
    assert sources(manifest) == ["parent/charts/mid/charts/leaf/templates/c.yaml", "parent/charts/mid/templates/b.yaml",
                                 "parent/templates/a.yaml"]


def test_child_path_uses_its_chart_name_not_its_directory(render_chart):
    manifest = render_chart({"charts/dir/Chart.yaml": "name: realname\nversion: 0.1.0\n",
                             "charts/dir/templates/a.yaml": "kind: T\nv: {{ Chart.Name }}\n"})
    assert sources(manifest) == ["parent/charts/realname/templates/a.yaml"]
    assert manifest.documents[0].object["v"] == "realname"


# --- dependencies, conditions, tags ---------------------------------------------------------

def _with_dependencies(entries: str, form: str, values: str = "") -> dict[str, str]:
    spec = {"values.yaml": values, "templates/a.yaml": DOC,
            "charts/kid/templates/k.yaml": DOC, "charts/other/templates/o.yaml": DOC}
    if form == "requirements.yaml":
        spec["requirements.yaml"] = f"dependencies:\n{entries}"
    else:
        spec["Chart.yaml"] = f"apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n{entries}"
    return spec


FORMS = ["requirements.yaml", "Chart.yaml"]


@pytest.mark.parametrize("form", FORMS)
def test_dependency_condition_disables_child(render_chart, form):
    spec = _with_dependencies("- name: kid\n  condition: kid.enabled\n", form, "kid:\n  enabled: false\n")
    assert sources(render_chart(spec)) == ["parent/charts/other/templates/o.yaml", "parent/templates/a.yaml"]


@pytest.mark.parametrize("form", FORMS)
def test_listed_but_missing_child_is_an_error(render_chart, form):
    spec = _with_dependencies("- name: kid\n- name: ghost\n", form)
    with pytest.raises(ChartError, match="'ghost' is listed but charts/ has no chart"):
        render_chart(spec)


@pytest.mark.parametrize("form", FORMS)
def test_unlisted_child_always_renders(render_chart, form):
    spec = _with_dependencies("- name: kid\n  condition: kid.enabled\n", form,
                              "kid: {enabled: false}\nother: {enabled: false}\ntags: {x: false}\n")
    assert "parent/charts/other/templates/o.yaml" in sources(render_chart(spec))


def test_requirements_yaml_replaces_chart_yaml_dependencies(render_chart):
    spec = {"Chart.yaml": "name: parent\nversion: 0.1.0\ndependencies:\n- name: ghost\n",
            "requirements.yaml": "dependencies:\n- name: kid\n  condition: kid.active\n",
            "values.yaml": "kid: {active: false}\n", "charts/kid/templates/k.yaml": DOC, "templates/a.yaml": DOC}
    assert sources(render_chart(spec)) == ["parent/templates/a.yaml"]


def test_dependency_listed_twice_is_an_error(render_chart):
    with pytest.raises(ChartError, match="listed twice"):
        render_chart(_with_dependencies("- name: kid\n- name: kid\n", "requirements.yaml"))


def test_alias_renames_the_child(render_chart):
    spec = _with_dependencies("- name: kid\n  alias: nick\n  condition: nick.enabled\n", "requirements.yaml",
                              "nick: {enabled: true}\n")
    assert "parent/charts/nick/templates/k.yaml" in sources(render_chart(spec))


BAD_DEPENDENCIES = [
    # (requirements.yaml, Chart.yaml dependencies, message)
    ("- name: kid\n", None, "requirements.yaml: requirements.yaml must be a map, not a list"),
    ("dependencies: {name: kid}\n", None, "requirements.yaml: 'dependencies' must be a list, not a map"),
    (None, "dependencies: 5\n", "Chart.yaml: 'dependencies' must be a list, not a number"),
    ("dependencies:\n- name: kid\n  tags: front\n", None, "requirements.yaml: dependency #1: 'tags' must be a list of tag names"),
    ("dependencies:\n- name: [kid]\n", None, "requirements.yaml: dependency #1: 'name' must be a string, not a list"),
    ("dependencies:\n- name: kid\n  condition: {a: b}\n", None,
     "requirements.yaml: dependency #1: 'condition' must be a string, not a map"),
    ("dependencies:\n- version: 1.0.0\n", None, "requirements.yaml: dependency #1 has no name"),
]


@pytest.mark.parametrize(("requirements", "chart_deps", "message"), BAD_DEPENDENCIES, ids=[
    "requirements-a-list", "dependencies-a-map", "chart-yaml-dependencies-a-number", "tags-a-string", "name-a-list",
    "condition-a-map", "no-name"])
def test_malformed_dependency_list_names_its_file(render_chart, requirements, chart_deps, message):
    spec = {"templates/a.yaml": DOC, "charts/kid/templates/k.yaml": DOC}
    if requirements is not None:
        spec["requirements.yaml"] = requirements
    if chart_deps is not None:
        spec["Chart.yaml"] = "apiVersion: v2\nname: parent\nversion: 0.1.0\n" + chart_deps
    with pytest.raises(ChartError) as info:
        render_chart(spec)
    assert str(info.value).endswith(message)


def test_scalar_condition_and_alias_are_read_as_text(render_chart):
    """Helm reads these fields as strings: `condition: true` is the path "true" (not found, so the
    child stays enabled) and `alias: 5` names the child "5"."""
    spec = _with_dependencies("- name: kid\n  condition: true\n  alias: 5\n", "requirements.yaml",
                              "'5': {v: from-parent}\n")
    spec["charts/kid/templates/k.yaml"] = "kind: T\nv: {{ Values.v }}\n"
    docs = render_chart(spec).by_source()
    assert docs["parent/charts/5/templates/k.yaml"][0].object["v"] == "from-parent"


CONDITIONS = [
    # (dependency entry lines for `kid`, values.yaml, rendered?)
    ("condition: kid.enabled", "", True),
    ("condition: kid.enabled", "kid: {enabled: false}", False),
    ("condition: kid.enabled", "kid: {enabled: true}", True),
    ("condition: kid.enabled", "kid: {enabled: 'false'}", True),
    ("condition: kid.enabled", "kid: {enabled: 0}", True),
    ("condition: kid.enabled,global.kid", "kid: {enabled: 1}\nglobal: {kid: false}", False),
    ("condition: kid.enabled,global.kid", "kid: {enabled: true}\nglobal: {kid: false}", True),
    ("condition: missing.path,kid.enabled", "kid: {enabled: false}", False),
    ("condition: 'kid.enabled, kid.other'", "kid: {other: false}", False),
    ("tags: [front]", "tags: {front: false}", False),
    ("tags: [front]", "tags: {front: true}", True),
    ("tags: [front]", "tags: {back: false}", True),
    ("tags: [front, back]", "tags: {front: false}", False),
    ("tags: [front, back]", "tags: {front: false, back: true}", True),
    ("tags: [front]", "tags: {front: 'false'}", True),
    ("condition: kid.enabled\n  tags: [front]", "kid: {enabled: true}\ntags: {front: false}", True),
    ("condition: kid.enabled\n  tags: [front]", "kid: {enabled: false}\ntags: {front: true}", False),
    ("condition: kid.enabled\n  tags: [front]", "kid: {enabled: 'x'}\ntags: {front: false}", False),
]


@pytest.mark.parametrize(("entry", "values", "rendered"), CONDITIONS, ids=[
    "no-value-enabled", "false-disables", "true-enables", "string-ignored", "number-ignored",
    "first-bool-decides", "first-path-wins", "missing-path-skipped", "spaces-after-comma", "tag-false-disables",
    "tag-true-enables", "tag-not-set", "all-found-tags-false", "any-tag-true", "non-bool-tag-ignored",
    "condition-beats-tag-false", "condition-beats-tag-true", "non-bool-condition-leaves-tags"])
def test_conditions_and_tags(render_chart, entry, values, rendered):
    spec = _with_dependencies(f"- name: kid\n  {entry}\n", "requirements.yaml", values + "\n")
    assert ("parent/charts/kid/templates/k.yaml" in sources(render_chart(spec))) is rendered


def test_condition_from_the_command_line(render_chart):
    spec = _with_dependencies("- name: kid\n  condition: kid.enabled\n", "requirements.yaml")
    assert "parent/charts/kid/templates/k.yaml" not in sources(render_chart(spec, set_values=["kid.enabled=false"]))


def test_condition_from_child_defaults(render_chart):
    spec = _with_dependencies("- name: kid\n  condition: kid.enabled\n", "requirements.yaml")
    spec["charts/kid/values.yaml"] = "enabled: false\n"
    assert "parent/charts/kid/templates/k.yaml" not in sources(render_chart(spec))


def test_nested_condition_is_relative_to_its_parent(render_chart):
    spec = {"templates/a.yaml": DOC, "charts/mid/templates/m.yaml": DOC,
            "charts/mid/requirements.yaml": "dependencies:\n- name: leaf\n  condition: leaf.enabled\n",
            "charts/mid/charts/leaf/templates/l.yaml": DOC, "values.yaml": "leaf: {enabled: true}\n"}
    assert "parent/charts/mid/charts/leaf/templates/l.yaml" in sources(render_chart(spec))
    assert "parent/charts/mid/charts/leaf/templates/l.yaml" not in sources(
        render_chart(spec, set_values=["mid.leaf.enabled=false"]))


def test_disabled_child_gets_no_defaults_or_globals(render_chart):
    spec = _with_dependencies("- name: kid\n  condition: kid.enabled\n", "requirements.yaml",
                              "global: {g: 1}\nkid: {enabled: false}\n")
    spec["charts/kid/values.yaml"] = "fromkid: 1\n"
    spec["templates/a.yaml"] = "kind: T\nv: {{ Values.kid | toJson }}\n"
    [doc] = render_chart(spec).by_source()["parent/templates/a.yaml"]
    assert doc.object["v"] == {"enabled": False}


# --- .helmignore ----------------------------------------------------------------------------

IGNORE_TREE = {
    "templates/a.yaml": DOC,
    "templates/skip.yaml": DOC,
    "templates/.hidden.yaml": DOC,
    "templates/docs/d.yaml": DOC,
    "charts/kid/templates/skip.yaml": DOC,
    "charts/kid/templates/keep.yaml": DOC,
    "charts/kid/templates/.kidhidden.yaml": DOC,
    "charts/kid/.helmignore": "keep.yaml\n",
}

IGNORES = [
    # (root .helmignore, sources left)
    (None, ["parent/charts/kid/templates/.kidhidden.yaml", "parent/charts/kid/templates/keep.yaml",
            "parent/charts/kid/templates/skip.yaml", "parent/templates/a.yaml", "parent/templates/docs/d.yaml",
            "parent/templates/skip.yaml"]),
    ("# comment\n\nskip.yaml\n", ["parent/charts/kid/templates/.kidhidden.yaml",
                                  "parent/charts/kid/templates/keep.yaml", "parent/templates/a.yaml",
                                  "parent/templates/docs/d.yaml"]),
    ("templates/skip.yaml\n", ["parent/charts/kid/templates/.kidhidden.yaml", "parent/charts/kid/templates/keep.yaml",
                               "parent/charts/kid/templates/skip.yaml", "parent/templates/a.yaml",
                               "parent/templates/docs/d.yaml"]),
    ("docs/\n", ["parent/charts/kid/templates/.kidhidden.yaml", "parent/charts/kid/templates/keep.yaml",
                 "parent/charts/kid/templates/skip.yaml", "parent/templates/a.yaml", "parent/templates/skip.yaml"]),
    ("charts/kid\n", ["parent/templates/a.yaml", "parent/templates/docs/d.yaml", "parent/templates/skip.yaml"]),
    ("s*.yaml\n", ["parent/charts/kid/templates/.kidhidden.yaml", "parent/charts/kid/templates/keep.yaml",
                   "parent/templates/a.yaml", "parent/templates/docs/d.yaml"]),
]


@pytest.mark.parametrize(("helmignore", "expected"), IGNORES, ids=[
    "none-only-builtin-dotfile-rule", "basename-anywhere-incl-children", "path-from-root", "dir-only",
    "whole-child", "glob"])
def test_root_helmignore_applies_to_the_whole_tree(render_chart, helmignore, expected):
    spec = dict(IGNORE_TREE)
    if helmignore is not None:
        spec[".helmignore"] = helmignore
    assert sorted(sources(render_chart(spec))) == expected


def test_helmignore_notes_txt_removes_it_everywhere(render_chart):
    """NOTES.txt files outside templates/ are plain files; one root rule hides all of them."""
    spec = {"NOTES.txt": "root-notes", "charts/kid/NOTES.txt": "kid-notes",
            "templates/a.yaml": "kind: T\nv: '{{ Files.Get(\"NOTES.txt\") }}'\n",
            "charts/kid/templates/a.yaml": "kind: T\nv: '{{ Files.Get(\"NOTES.txt\") }}'\n"}
    assert [d.object["v"] for d in render_chart(spec).documents] == ["kid-notes", "root-notes"]
    spec[".helmignore"] = "NOTES.txt\n"
    assert [d.object["v"] for d in render_chart(spec).documents] == ["", ""]


def test_helmignore_double_star_is_an_error(render_chart):
    with pytest.raises(ChartError, match=r"\.helmignore:2: '\*\*'"):
        render_chart({".helmignore": "a\n**/b\n", "templates/a.yaml": DOC})


def test_helmignore_that_hides_chart_yaml_is_a_missing_chart_yaml(render_chart):
    """Helm's quirk: a `!p` rule ignores everything not matching p, Chart.yaml included."""
    with pytest.raises(ChartError, match="Chart.yaml file is missing"):
        render_chart({".helmignore": "*.md\n!docs/readme.md\n", "templates/a.yaml": DOC})


def test_helmignore_can_hide_requirements_yaml(render_chart):
    spec = _with_dependencies("- name: kid\n  condition: kid.enabled\n", "requirements.yaml",
                              "kid: {enabled: false}\n")
    spec[".helmignore"] = "requirements.yaml\n"
    assert "parent/charts/kid/templates/k.yaml" in sources(render_chart(spec))


@pytest.mark.parametrize(("pattern", "fragment"), [("[z-a]", "bad character range"), ("a[b", "'[' without ']'")],
                         ids=["bad-range", "unclosed-bracket"])
def test_helmignore_pattern_that_does_not_compile_is_an_error(render_chart, pattern, fragment):
    with pytest.raises(ChartError, match=rf"\.helmignore:2: syntax error in pattern .*{re.escape(fragment)}"):
        render_chart({".helmignore": f"a\n{pattern}\n", "templates/a.yaml": DOC})
