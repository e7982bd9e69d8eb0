"""Byte-exact snapshots of the CLI output for every profile and the common overrides.

A failing test here means the rendered manifest changed. Review the diff it prints; if the
change is intended, refresh with `pytest --snapshot-update` and say why in the commit."""
from __future__ import annotations

import pytest

from meshcharts import render
from meshcharts.bundle import bundled

OVERRIDES = {
    "override-private-registry": dict(profile="demo", set_values=[
        "global.hub=registry.internal:5000/istio", "global.tag=1.0.6-mirror", "global.imagePullSecrets={regcred}"]),
    "override-release-renamed": dict(name="mesh", namespace="mesh-system"),
    "override-components-off": dict(set_values=[
        "mixer.enabled=false", "galley.enabled=false", "prometheus.enabled=false", "gateways.enabled=false",
        "security.enabled=false"]),
}


@pytest.mark.parametrize("profile", bundled("istio").profile_names(), ids=[f"profile-{p}" for p in bundled("istio").profile_names()])
def test_profile(profile, golden):
    assert render(profile).text == golden


@pytest.mark.parametrize("case", sorted(OVERRIDES), ids=sorted(OVERRIDES))
def test_override(case, golden):
    assert render(**OVERRIDES[case]).text == golden
