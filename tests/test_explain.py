"""`values --show-origin`, `--user-only`, `--global-once`, `-o json` and `profiles diff`."""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from cli_runner import invoke
from meshcharts import effective_values
from meshcharts.api import RenderOptions
from meshcharts.explain import origins

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return invoke(list(args))


def line_of(label: str) -> str:
    """The text of the line ``file:line`` names (bundled files are named from the project root)."""
    file, line = label.rsplit(":", 1)
    return (ROOT / file if not Path(file).is_absolute() else Path(file)).read_text().split("\n")[int(line) - 1]


def entry(entries, path):
    return next(e for e in entries if e["path"] == path)


def test_every_origin_points_at_the_line_that_sets_the_key(tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text("# site\npilot:\n  traceSampling: 50\nmixer:\n  replicaCount: 2\n")
    options = RenderOptions(profile="demo", values_files=(str(site),), set_values=("mixer.replicaCount=3",))
    found = origins(options)
    e = entry(found, "pilot.traceSampling")
    assert e["value"] == 50 and e["source"] == f"{site}:3"
    assert [o["source"] for o in e["overrode"]] == ["profiles/demo.yaml:17", "values/pilot.yaml:14"]
    assert [o["value"] for o in e["overrode"]] == [100, 1]
    assert "traceSampling" in line_of(e["overrode"][0]["source"]) and "traceSampling" in line_of(
        e["overrode"][1]["source"])
    e = entry(found, "mixer.replicaCount")
    assert (e["value"], e["source"]) == (3, "--set mixer.replicaCount=3")
    assert [o["source"] for o in e["overrode"]] == [f"{site}:5", "values/mixer.yaml:" + e["overrode"][1]["source"]
                                                    .rsplit(":", 1)[1]]
    # every chart default names a line that holds its key
    for e in found:
        if e["source"].startswith("values/"):
            key = e["path"].rsplit(".", 1)[-1]
            key = re.sub(r"\[\d+\]$", "", key)
            assert key in line_of(e["source"]), e


def test_child_globals_trace_to_the_parent():
    found = origins(RenderOptions(set_values=("global.hub=reg.local/istio",)))
    e = entry(found, "pilot.global.hub")
    assert (e["value"], e["source"]) == ("reg.local/istio", "--set global.hub=reg.local/istio")
    assert e["overrode"][0]["source"].startswith("values/istio.yaml:")


def test_show_origin_yaml_is_the_values_with_comments():
    result = run("values", "--profile", "demo", "--show-origin", "--global-once")
    assert result.exit_code == 0
    assert yaml.safe_load(result.stdout) == _global_once(effective_values(RenderOptions(profile="demo")))
    assert "  traceSampling: 100  # profiles/demo.yaml:17 (overrides 1 from values/pilot.yaml:14)\n" in result.stdout


def _global_once(values):
    return {k: ({kk: vv for kk, vv in v.items() if kk != "global"} if isinstance(v, dict) and k != "global" else v)
            for k, v in values.items()}


def test_global_once_prints_global_once():
    plain = run("values").stdout
    once = run("values", "--global-once").stdout
    assert plain.count("hub: docker.io/istio") == 9  # the parent and each of the 8 enabled children
    assert once.count("hub: docker.io/istio") == 1
    assert len(once.splitlines()) < len(plain.splitlines()) / 2


def test_user_only_lists_what_the_user_changed(tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text("pilot:\n  replicaCount: 1\n  traceSampling: 5\n")  # replicaCount: the default again
    result = run("values", "--profile", "demo", "-f", str(site), "--user-only", "--global-once", "-o", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"global": {"nodePort": False}, "grafana": {"enabled": True},
                                         "pilot": {"traceSampling": 5}, "servicegraph": {"enabled": True},
                                         "tracing": {"enabled": True}}
    result = run("values", "--profile", "demo", "-f", str(site), "--user-only", "--show-origin", "-o", "json")
    entries = json.loads(result.stdout)
    assert sorted(e["path"] for e in entries if e["path"].startswith("pilot.")) == ["pilot.global.nodePort",
                                                                            "pilot.traceSampling"]
    assert entry(entries, "pilot.traceSampling")["source"] == f"{site}:3"


def test_json_values():
    result = run("values", "-o", "json", "--set", "pilot.replicaCount=2")
    assert json.loads(result.stdout)["pilot"]["replicaCount"] == 2


def test_profiles_diff_matches_the_two_profiles_values():
    result = run("profiles", "diff", "default", "demo")
    assert result.exit_code == 0
    a = _flat(_global_once(effective_values(RenderOptions())))
    b = _flat(_global_once(effective_values(RenderOptions(profile="demo"))))
    differing = {p for p in set(a) | set(b) if a.get(p, object()) != b.get(p, object())}
    lines = result.stdout.splitlines()
    assert lines[:2] == ["--- default", "+++ demo"]
    assert {re.match(r"^[~+-] ([^:]+):", line).group(1) for line in lines[2:]} == differing
    assert "~ pilot.traceSampling: 1 -> 100  # profiles/demo.yaml:17" in lines


def test_profiles_diff_usage_error():
    result = run("profiles", "diff", "default")
    assert result.exit_code == 1 and "expected `profiles` or `profiles diff A B`" in result.stderr


def _flat(values, prefix=""):
    out = {}
    for k, v in values.items():
        path = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict) and v:
            out.update(_flat(v, path))
        else:
            out[path] = v
    return out


def test_origins_in_a_chart_directory(make_chart):
    chart = make_chart({
        "values.yaml": "kid:\n  size: 2\nglobal:\n  hub: parent.io\n",
        "templates/a.yaml": "kind: A\n",
        "charts/kid/values.yaml": "size: 1\ncolour: blue\n",
        "charts/kid/templates/k.yaml": "kind: K\n",
    })
    found = {e["path"]: e for e in origins(RenderOptions(chart=str(chart), set_values=("kid.colour=red",)))}
    name = chart.name
    assert found["kid.size"]["source"] == f"{name}/values.yaml:2"
    assert found["kid.size"]["overrode"] == [{"source": f"{name}/charts/kid/values.yaml:1", "value": 1}]
    assert found["kid.colour"]["source"] == "--set kid.colour=red"
    assert found["kid.colour"]["overrode"] == [{"source": f"{name}/charts/kid/values.yaml:2", "value": "blue"}]
    assert found["kid.global.hub"]["source"] == f"{name}/values.yaml:4"
