"""The same input gives the same bytes: across hash seeds, and whatever the key order of values."""
from __future__ import annotations

import os
import subprocess
import sys

from meshcharts import render


def _render_in_subprocess(seed: str, *args: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    proc = subprocess.run([sys.executable, "-m", "meshcharts", "render", "--profile", "demo", *args],
                          capture_output=True, text=True, env=env, check=True)
    return proc.stdout


def test_hash_seed_does_not_change_output():
    first = _render_in_subprocess("1")
    second = _render_in_subprocess("4242")
    assert first and first == second


def test_key_order_of_values_does_not_change_output(tmp_path):
    ordered = tmp_path / "a.yaml"
    ordered.write_text("global:\n  hub: reg.local/istio\n  tag: x1\n"
                       "gateways:\n  istio-ingressgateway:\n    replicaCount: 2\n    autoscaleMin: 2\n"
                       "pilot:\n  traceSampling: 5.0\n")
    shuffled = tmp_path / "b.yaml"
    shuffled.write_text("pilot:\n  traceSampling: 5.0\n"
                        "gateways:\n  istio-ingressgateway:\n    autoscaleMin: 2\n    replicaCount: 2\n"
                        "global:\n  tag: x1\n  hub: reg.local/istio\n")
    a = render("demo", values_files=[ordered]).text
    b = render("demo", values_files=[shuffled]).text
    assert a == b
    assert "reg.local/istio/pilot:x1" in a
