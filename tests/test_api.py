"""The Python API: ``meshcharts.render`` gives the CLI's bytes and documents a program can read."""
from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

from meshcharts import Document, Manifest, MeshchartsError, RenderOptions, render, render_options
from cli_runner import invoke

CHART = str(Path(__file__).resolve().parent / "charts" / "two-children")

CASES = {
    "defaults": ({}, []),
    "release": ({"name": "store", "namespace": "shop"}, ["--name", "store", "--namespace", "shop"]),
    "sets": ({"set_values": ["cart.enabled=false", "web.extraLabels.tier=front"],
              "set_string_values": ["web.replicas=2"]},
             ["--set", "cart.enabled=false", "--set", "web.extraLabels.tier=front", "--set-string", "web.replicas=2"]),
    "capabilities": ({"kube_version": "v1.20.0", "api_versions": ["extra.io/v1"]},
                     ["--kube-version", "v1.20.0", "--api-versions", "extra.io/v1"]),
    "show-only": ({"show_only": ["charts/*/templates/deployment.yaml"]},
                  ["--show-only", "charts/*/templates/deployment.yaml"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_render_text_is_the_cli_stdout(case):
    kwargs, flags = CASES[case]
    result = invoke(["render", "--chart", CHART, *flags])
    assert result.exit_code == 0, result.stderr
    assert render(chart=CHART, **kwargs).text == result.stdout


def test_values_files_through_the_api(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_text("web:\n  host: shop.internal\n")
    text = render(chart=CHART, values_files=[path]).text
    assert text == invoke(["render", "--chart", CHART, "-f", str(path)]).stdout
    assert '"shop.internal"' in text


def test_documents_carry_source_kind_name_namespace_object():
    manifest = render(chart=CHART, name="store", namespace="shop")
    assert isinstance(manifest, Manifest)
    assert all(isinstance(d, Document) for d in manifest.documents)
    summary = [(d.source, d.kind, d.name, d.namespace) for d in manifest.documents]
    assert summary == [
        ("shop/templates/namespace.yaml", "Namespace", "shop", None),
        ("shop/charts/cart/templates/service.yaml", "NetworkPolicy", "store-cart-only-web", "shop"),
        ("shop/templates/configmap.yaml", "ConfigMap", "store-shop-config", "shop"),
        ("shop/templates/configmap.yaml", "ConfigMap", "store-shop-checksums", "shop"),
        ("shop/charts/cart/templates/service.yaml", "Service", "store-cart", "shop"),
        ("shop/charts/cart/templates/deployment.yaml", "Deployment", "store-cart", "shop"),
        ("shop/charts/web/templates/deployment.yaml", "Deployment", "store-web", "shop"),
        ("shop/charts/web/templates/gateway.yaml", "Gateway", "store-web", "shop"),
        ("shop/templates/post-install-job.yaml", "Job", "store-shop-migrate", "shop"),
    ]
    cart = manifest.documents[5].object
    assert cart["spec"]["replicas"] == 2
    assert cart["metadata"]["labels"] == {"app": "cart", "chart": "cart-0.3.0", "release": "store", "team": "shop",
                                          "tier": "backend"}
    assert [d.is_hook for d in manifest.documents].count(True) == 1
    assert manifest.text == "".join(d.render() for d in manifest.documents) == str(manifest)


def test_render_options_is_the_same_render():
    options = RenderOptions(chart=CHART, name="store", set_values=["cart.replicas=3"])
    assert render_options(options).text == render(chart=CHART, name="store", set_values=["cart.replicas=3"]).text


def test_renders_do_not_leak_into_each_other():
    """The chart is loaded once per process; values of one render must not reach the next."""
    first = render(chart=CHART, set_values=["cart.enabled=false", "global.labels.extra=x"])
    again = render(chart=CHART)
    assert "shop/charts/cart/templates/deployment.yaml" not in first.by_source()
    assert "shop/charts/cart/templates/deployment.yaml" in again.by_source()
    assert "extra" not in again.text
    assert again.text == render(chart=CHART).text


@pytest.mark.parametrize("kwargs", [
    {"set_values": ["a[x]=1"]},
    {"set_values": ["web.tls.mode=MUTUAL"]},
    {"chart": "/nonexistent/chart"},
    {"show_only": ["nothing.yaml"]},
    {"profile": "absent"},
], ids=["bad-set", "template-error", "missing-chart", "show-only-miss", "unknown-profile"])
def test_errors_are_meshcharts_errors(kwargs):
    with pytest.raises(MeshchartsError) as info:
        render(**{"chart": CHART, **kwargs})
    assert info.value.where and str(info.value).startswith(f"{info.value.where}: ")


def _shown(default) -> str:
    return json.dumps(default) if isinstance(default, str) else "None" if default is None else repr(default)


def test_readme_gives_the_real_signature_of_render():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    documented = " ".join(re.search(r"`render\((.*?)\)` returns", readme, re.S).group(1).split())
    parts = []
    for p in inspect.signature(render).parameters.values():
        if p.kind is p.KEYWORD_ONLY and "*" not in parts:
            parts.append("*")
        parts.append(f"{p.name}={_shown(p.default)}")
    assert documented == ", ".join(parts)


def test_render_takes_every_render_option():
    fields = set(RenderOptions._fields)
    assert set(inspect.signature(render).parameters) == fields


def test_a_long_running_process_does_not_keep_every_chart_it_rendered(make_chart, monkeypatch):
    """Per-object memos (default values, Files, schemas) are bounded: rendering one chart after
    another does not keep the data of every chart ever loaded."""
    import gc
    import tracemalloc

    from meshcharts import schema, values
    from meshcharts.template import engine
    for memo in (values._FOLDED, values._PRUNED, engine._FILES, schema._VALIDATORS, schema._SCHEMA_DIGESTS):
        monkeypatch.setattr(memo, "size", 4)
    spec = {"values.yaml": "".join(f"k{i}: {{a: {i}, b: [1, 2], c: {{d: x}}}}\n" for i in range(300)),
            "values.schema.json": '{"type": "object"}', "templates/t.yaml": "kind: T\nv: {{ Values.k1.a }}\n",
            "files/f.txt": "x" * 10_000}

    def render_new_charts(n: int) -> int:
        for _ in range(n):
            render(chart=make_chart(spec), set_values=["k1.a=2"])
        gc.collect()
        return tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    try:
        settled = render_new_charts(12)  # past the loader's cache of 8 charts and every memo's bound
        later = render_new_charts(12)
    finally:
        tracemalloc.stop()
    assert later - settled < 1_000_000  # each chart's data is about 300 kB


def test_each_values_file_is_read_once_per_render(make_chart, tmp_path, monkeypatch):
    """The merge of the user's sources serves the render and the schema's unknown-key check."""
    from meshcharts import origin, values
    chart = make_chart({"values.yaml": "a: 1\n", "values.schema.json": '{"type": "object"}',
                        "templates/t.yaml": "kind: T\nv: {{ Values.a }}\n"})
    site = tmp_path / "site.yaml"
    site.write_text("a: 2\n")
    reads = []
    real = values.read_values_file
    def counted(path, label=None, persist=False):
        reads.append(path)
        return real(path, label, persist)

    for module in (values, origin):  # wherever a reader may be bound
        monkeypatch.setattr(module, "read_values_file", counted, raising=False)
    assert render(chart=chart, values_files=[site]).documents[0].object["v"] == 2
    assert reads == [site]
