"""The Grafana dashboards: importable JSON with what Grafana 5.2 needs, and every panel query
over the metrics Istio 1.0 exports."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from meshcharts import render

DASHBOARDS = Path(__file__).resolve().parent.parent / "meshcharts" / "charts" / "istio" / "charts" / "grafana" / "dashboards"
NAMES = ["galley", "istio-mesh", "istio-performance", "istio-service", "istio-workload", "mixer", "pilot"]
# Istio 1.0's own metrics, the control plane's and Envoy's.
METRIC = re.compile(r"\b(istio_requests_total|istio_request_duration_seconds(?:_bucket|_sum|_count)?"
                    r"|istio_tcp_\w+|pilot_\w+|mixer_\w+|galley_\w+|envoy_\w+)\b")


def _panels(dashboard: dict) -> list[dict]:
    panels = list(dashboard.get("panels") or [])
    for row in dashboard.get("rows") or []:
        panels += row.get("panels") or []
    nested = [p for panel in panels for p in panel.get("panels") or []]  # collapsed rows
    return [p for p in panels + nested if p.get("type") != "row"]


def test_every_dashboard_is_there():
    assert sorted(p.name for p in DASHBOARDS.glob("*.json")) == sorted(f"{n}-dashboard.json" for n in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_dashboard_has_what_grafana_needs(name):
    dashboard = json.loads((DASHBOARDS / f"{name}-dashboard.json").read_text())
    assert dashboard["title"]
    assert dashboard.get("panels") or dashboard.get("rows")
    assert "list" in dashboard["templating"]
    assert dashboard["time"]["from"] and dashboard["time"]["to"]
    panels = _panels(dashboard)
    assert panels
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", NAMES)
def test_every_query_names_an_istio_metric(name):
    dashboard = json.loads((DASHBOARDS / f"{name}-dashboard.json").read_text())
    for panel in _panels(dashboard):
        targets = panel.get("targets") or []
        assert targets, f"panel {panel.get('title')!r} has no query"
        for target in targets:
            assert METRIC.search(target["expr"]), f"{panel.get('title')!r}: {target['expr']}"


def test_dashboards_reach_the_configmap_untemplated():
    manifest = render("demo")
    configmap = next(d for d in manifest.documents
                     if d.kind == "ConfigMap" and d.name == "istio-grafana-configuration-dashboards")
    data = configmap.object["data"]
    for name in NAMES:
        key = f"{name}-dashboard.json"
        # as files, byte for byte (the manifest trims the final newline of its last document)
        assert data[key].rstrip("\n") == (DASHBOARDS / key).read_text().rstrip("\n")
        json.loads(data[key])
