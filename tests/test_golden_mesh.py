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


# Profiles whose manifest is byte-identical to another's. The upstream profiles they mirror differ
# from their twin only in keys no template of the mesh chart reads (global.refreshInterval,
# istiotesting.oneNameSpace) or in values equal to the chart's defaults (galley and prometheus
# enabled, mTLS off), so their goldens pin the same text; they stay as profiles because users
# of the upstream chart name them.
SAME_MANIFEST = {"default": {"galley", "istio", "one-namespace"}, "auth": {"auth-galley", "one-namespace-auth"}}
UNREAD_KEYS = {"refreshInterval", "oneNameSpace"}


def test_which_profile_goldens_are_identical():
    from conftest import GOLDEN
    by_text: dict[str, set[str]] = {}
    for profile in bundled("istio").profile_names():
        by_text.setdefault((GOLDEN / f"profile-{profile}.yaml").read_text(encoding="utf-8"), set()).add(profile)
    shared = sorted(sorted(group) for group in by_text.values() if len(group) > 1)
    assert shared == sorted(sorted({base} | twins) for base, twins in SAME_MANIFEST.items())


def test_identical_profiles_differ_only_in_keys_no_template_reads():
    from meshcharts.api import RenderOptions, effective_values

    def leaves(value, at=()):
        if isinstance(value, dict):
            for key, sub in value.items():
                yield from leaves(sub, at + (key,))
        else:
            yield at, value

    for base, twins in SAME_MANIFEST.items():
        seen = dict(leaves(effective_values(RenderOptions(profile=base))))
        for twin in twins:
            other = dict(leaves(effective_values(RenderOptions(profile=twin))))
            # A chart default's null is a present null in a child section the profile sets (Helm
            # keeps it there) and absent elsewhere: templates read both as nil.
            differing = {path[-1] for path in seen.keys() | other.keys() if seen.get(path) != other.get(path)}
            assert differing and differing <= UNREAD_KEYS, (base, twin, differing)
    templates = [p for p in bundled("istio").directory.rglob("templates/*") if p.is_file()]
    assert len(templates) > 50 and not [p for p in templates if any(key in p.read_text(encoding="utf-8") for key in UNREAD_KEYS)]
